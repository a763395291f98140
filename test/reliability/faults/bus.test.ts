/**
 * Fault injection, in-process, part two: plugins flooding the bus (tens of thousands of events in one
 * synchronous loop, a flood into a throwing handler, an ordered-publish storm, a storm still running
 * when stop() is called), and every fault plugin at once over several start/stop rounds. The canary
 * must keep answering and receiving throughout; see ../fault-injection.test.ts for the single faults.
 */
import { describe, expect, it } from "bun:test";
import { scale } from "../config.ts";
import {
  type FaultPlugin,
  FLOOD_EVENT,
  FLOOD_FAILING_EVENT,
  FLOOD_ORDERED_EVENT,
  filterFault,
  flooder,
  HOOKS,
  handlerFault,
  hangIn,
  SHARED_EVENT,
  serviceFault,
  throwIn,
  timerFault,
} from "./plugins.ts";
import {
  cleanupRuns,
  expectCanaryAlive,
  expectHealth,
  type FaultRun,
  faultRuntime,
  guardEscapes,
  handlerFailures,
  pluginInfo,
  stopRun,
  waitFor,
  within,
} from "./runtime.ts";
import { summary, tally } from "./tally.ts";

/** Events in one synchronous publish loop. */
const FLOOD = scale(30_000, 1_000_000);
/** Events flooded into a throwing handler. */
const FAILING_FLOOD = scale(10_000, 200_000);
/** Ordered events in one storm. */
const STORM = scale(20_000, 500_000);
/** Events per 1 ms tick of the storm that is still running at stop(). */
const PER_TICK = scale(500, 5_000);
/** Start/stop rounds with every fault plugin loaded at once. */
const ROUNDS = scale(2, 30);
/** Bound on draining a flood (under bun's 5 s test timeout in the short variant). */
const DRAIN_BOUND_MS = scale(4000, 120_000);

guardEscapes(summary);

async function floodRun(): Promise<{ run: FaultRun; flood: FaultPlugin }> {
  const flood = flooder();
  // Logs off: a flood into a throwing handler would otherwise parse 10^4 error lines.
  const run = faultRuntime([flood], { log: false });
  await run.runtime.init();
  await within(run.runtime.start(), 4000, "runtime.start()");
  tally.scenarios++;
  tally.runtimes++;
  return { run, flood };
}

async function canaryAlive(run: FaultRun): Promise<void> {
  tally.canaryEvents += await expectCanaryAlive(run);
  tally.canaryProbes++;
}

describe("a plugin flooding the bus", () => {
  it(`publishes ${FLOOD} events in one synchronous loop: all delivered, the canary unaffected`, async () => {
    const { run, flood } = await floodRun();
    const { bus, services } = run.runtime.kernel;
    expect(await services.call("fault-flood.flood", { type: FLOOD_EVENT, count: FLOOD })).toEqual({
      published: FLOOD,
    });
    // The flood's deliveries are still pending here: the canary is served alongside them.
    await canaryAlive(run);
    await within(bus.drain(), DRAIN_BOUND_MS, "bus.drain()");
    expect(flood.trace.n.flood).toBe(FLOOD);
    expect(bus.stats().byType[FLOOD_EVENT]).toEqual({ published: FLOOD, delivered: FLOOD, failed: 0 });
    await expectHealth(run);
    expect(await stopRun(run)).toMatchObject({ timedOut: false, hung: [] });
    tally.floodEvents += FLOOD;
  });

  it(`floods ${FAILING_FLOOD} events into its own throwing handler: every failure reported and counted`, async () => {
    const flood = flooder();
    const run = faultRuntime([flood], { log: false });
    await run.runtime.init();
    const failures = handlerFailures(run);
    await run.runtime.start();
    tally.scenarios++;
    const { bus, services } = run.runtime.kernel;
    await services.call("fault-flood.flood", { type: FLOOD_FAILING_EVENT, count: FAILING_FLOOD });
    await canaryAlive(run);
    await within(bus.drain(), DRAIN_BOUND_MS, "bus.drain()");
    expect(flood.trace.n.failing).toBe(FAILING_FLOOD);
    expect(failures.get("fault-flood")).toBe(FAILING_FLOOD);
    expect(bus.stats().byType[FLOOD_FAILING_EVENT]).toEqual({
      published: FAILING_FLOOD,
      delivered: 0,
      failed: FAILING_FLOOD,
    });
    expect(pluginInfo(run, "fault-flood")).toMatchObject({ state: "started", errorCount: FAILING_FLOOD });
    await expectHealth(run);
    expect(await stopRun(run)).toMatchObject({ timedOut: false, hung: [] });
    tally.floodEvents += FAILING_FLOOD;
    tally.handlerFailures += FAILING_FLOOD;
  });

  it(`storms ${STORM} ordered events: FIFO kept, the canary's ordered type not held up`, async () => {
    const { run, flood } = await floodRun();
    const { bus, services } = run.runtime.kernel;
    await services.call("fault-flood.flood", { type: FLOOD_ORDERED_EVENT, count: STORM });
    // Lanes are per type: the canary's ordered events go through while the storm is still queued.
    await canaryAlive(run);
    expect(flood.trace.n.ordered ?? 0).toBeLessThan(STORM);
    await within(bus.drain(), DRAIN_BOUND_MS, "bus.drain()");
    expect(flood.trace.n.ordered).toBe(STORM);
    expect(flood.trace.n.outOfOrder).toBeUndefined();
    expect(bus.stats().byType[FLOOD_ORDERED_EVENT]).toEqual({
      published: STORM,
      delivered: STORM,
      failed: 0,
    });
    expect(await stopRun(run)).toMatchObject({ timedOut: false, hung: [] });
    tally.floodEvents += STORM;
  });

  it("is still storming when stop() is called: its timer is cleared, deliveries drained, stop() is clean", async () => {
    const { run, flood } = await floodRun();
    const { bus, services } = run.runtime.kernel;
    await services.call("fault-flood.storm", { perTick: PER_TICK });
    await waitFor(() => (flood.trace.n.stormTicks ?? 0) >= 5, "the storm is under way");
    await canaryAlive(run);
    expect(await stopRun(run)).toMatchObject({ timedOut: false, hung: [] });
    const ticks = flood.trace.n.stormTicks ?? 0;
    await Bun.sleep(30);
    expect(flood.trace.n.stormTicks).toBe(ticks);
    const published = bus.stats().byType[FLOOD_EVENT];
    expect(published?.published).toBe(ticks * PER_TICK);
    // Everything published before the stop was handled: nothing was left in flight.
    expect(flood.trace.n.flood).toBe(ticks * PER_TICK);
    tally.floodEvents += ticks * PER_TICK;
  });
});

/** One of every fault plugin, fresh. */
function everyFault(): FaultPlugin[] {
  return [
    ...HOOKS.map(throwIn),
    ...HOOKS.map(hangIn),
    handlerFault("fault-event-throw", "throw"),
    handlerFault("fault-event-reject", "reject"),
    handlerFault("fault-event-hang", "hang"),
    filterFault("fault-filter"),
    serviceFault(),
    timerFault(),
    flooder(),
  ];
}

describe("every fault plugin at once", () => {
  it(`survives ${ROUNDS} start/stop rounds: only the plugins failing at start are failed, the canary always works`, async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const faults = everyFault();
      const run = faultRuntime(faults, { log: false, shutdownTimeoutMs: 5000 });
      await within(run.runtime.start(), 10_000, "runtime.start()");
      tally.runtimes++;
      const health = await run.runtime.healthCheck();
      expect(health.status).toBe("degraded");
      const failed = Object.entries(health.checks.plugins.plugins)
        .filter(([, h]) => h.status !== "healthy")
        .map(([name]) => name)
        .sort();
      expect(failed).toEqual([
        "fault-hang-onload",
        "fault-hang-onstart",
        "fault-throw-onload",
        "fault-throw-onstart",
      ]);

      const { bus, services } = run.runtime.kernel;
      for (let i = 0; i < 100; i++) void bus.publish(SHARED_EVENT, { i });
      await services.call("fault-flood.flood", { type: FLOOD_EVENT, count: 5_000 });
      const calls = await Promise.all([
        services.call("fault-service.boom", {}).catch((e: unknown) => e),
        services.call("fault-service.hang", {}).catch((e: unknown) => e),
      ]);
      expect(calls.map((e) => (e as { code?: string }).code)).toEqual([
        "INVALID_ARGUMENT",
        "SERVICE_TIMEOUT",
      ]);
      await canaryAlive(run);
      expect(run.canary.trace.n.shared).toBeGreaterThanOrEqual(100);

      // A hung event handler would hold stop() to its deadline (a known bug, see
      // fault-injection.test.ts): release that one; the hung hooks stay hung and are cut by their bound.
      faults.find((f) => f.name === "fault-event-hang")?.trace.release();
      const result = await stopRun(run);
      expect(result).toMatchObject({ timedOut: false, hung: [] });
      expect(run.canary.trace.hooks).toEqual([...HOOKS]);
      const errors = run.runtime
        .getMetrics()
        .plugins.filter((p) => p.errorCount > 0)
        .map((p) => p.name);
      expect(errors).not.toContain("canary");
      expect(errors).toEqual(expect.arrayContaining([...HOOKS.map((h) => `fault-throw-${h.toLowerCase()}`)]));
      tally.scenarios++;
      tally.floodEvents += 5_000;
      await cleanupRuns();
    }
  }, 120_000);
});
