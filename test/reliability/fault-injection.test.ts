/**
 * Fault injection, in-process: plugins that throw or hang in each lifecycle hook, throw or hang in
 * event and service handlers, leak timers and flood the bus, each next to a healthy canary plugin, in
 * a real CoreRuntime. For each fault: the runtime stays up (degraded only where a plugin failed), the
 * canary keeps answering and receiving, stop() comes back within shutdownTimeoutMs (its outcome is
 * asserted, never its duration), and health and metrics name the culprit.
 *
 * The compiled binary's side (exit code 4, /health, /metrics) is in faults/binary.test.ts; the bus
 * floods and the all-at-once rounds are in faults/bus.test.ts.
 */
import { describe, expect, it } from "bun:test";
import type { PluginHookName } from "../../src/kernel/plugins/types.ts";
import { scale } from "./config.ts";
import {
  CANARY_ORDERED_EVENT,
  type FaultPlugin,
  filterFault,
  HOOKS,
  handlerFault,
  hangIn,
  SHARED_EVENT,
  serviceFault,
  throwIn,
  timerFault,
} from "./faults/plugins.ts";
import {
  expectCanaryAlive,
  expectHealth,
  type FaultRun,
  type FaultRunOptions,
  faultRuntime,
  guardEscapes,
  HOOK_MS,
  handlerFailures,
  pluginInfo,
  stopRun,
  waitFor,
  within,
} from "./faults/runtime.ts";
import { summary, tally } from "./faults/tally.ts";

/** Events pushed through a faulty handler per test. */
const EVENTS = scale(200, 20_000);
/** Calls to a failing service per test. */
const CALLS = scale(50, 5_000);
/** Concurrent calls left hanging on a service that never answers. */
const HUNG_CALLS = scale(100, 2_000);

guardEscapes(summary);

async function started(faults: FaultPlugin[], options?: FaultRunOptions): Promise<FaultRun> {
  const run = faultRuntime(faults, options);
  await within(run.runtime.start(), 4000, "runtime.start()");
  tally.scenarios++;
  tally.runtimes++;
  return run;
}

async function canaryAlive(run: FaultRun): Promise<void> {
  tally.canaryEvents += await expectCanaryAlive(run);
  tally.canaryProbes++;
}

/** What the plugin registered (service, subscription, ctx timer) is gone and stays silent. */
async function expectRemoved(run: FaultRun, fault: FaultPlugin): Promise<void> {
  const { bus, services } = run.runtime.kernel;
  expect(services.has(`${fault.name}.leftover`)).toBe(false);
  const seen = fault.trace.n.sharedSeen ?? 0;
  const ticks = fault.trace.n.timerTicks ?? 0;
  await bus.publish(SHARED_EVENT, { probe: true });
  await Bun.sleep(30);
  expect(fault.trace.n.sharedSeen ?? 0).toBe(seen);
  expect(fault.trace.n.timerTicks ?? 0).toBe(ticks);
}

const early = (hook: PluginHookName): boolean => hook === "onLoad" || hook === "onStart";
/** The hooks a plugin failing in `hook` is expected to have entered (a hook's counterpart runs only after it succeeded). */
const enteredWhenFailingIn = (hook: PluginHookName): PluginHookName[] =>
  hook === "onLoad" ? ["onLoad"] : hook === "onStart" ? ["onLoad", "onStart", "onUnload"] : [...HOOKS];

describe("a plugin that throws in a lifecycle hook", () => {
  for (const hook of HOOKS) {
    it(`throws in ${hook}: it alone is failed or reported, the canary keeps working, stop() is clean`, async () => {
      const fault = throwIn(hook);
      const run = await started([fault]);
      if (early(hook)) {
        await expectHealth(run, fault.name);
        const info = pluginInfo(run, fault.name);
        expect(info.state).toBe("failed");
        expect(info.error).toMatchObject({ code: "PLUGIN_HOOK_FAILED", hook });
        expect(info.error?.message).toContain(`injected ${hook} failure`);
        expect(info.errorCount).toBe(1);
        expect(run.log?.lines.some((l) => l.plugin === fault.name && l.msg === "plugin failed")).toBe(true);
        await expectRemoved(run, fault);
      } else {
        await expectHealth(run);
      }
      await canaryAlive(run);

      const result = await stopRun(run);
      expect(result).toMatchObject({ timedOut: false, hung: [] });
      expect(run.canary.trace.hooks).toEqual([...HOOKS]);
      expect(fault.trace.hooks).toEqual(enteredWhenFailingIn(hook));
      const info = pluginInfo(run, fault.name);
      expect(info.error).toMatchObject({ code: "PLUGIN_HOOK_FAILED", hook });
      expect(info.errorCount).toBe(1);
      expect(pluginInfo(run, "canary")).toMatchObject({ errorCount: 0, state: "unloaded" });
      if (!early(hook)) await expectRemoved(run, fault);
      tally.handlerFailures += info.errorCount;
    });
  }
});

describe("a plugin that hangs in a lifecycle hook", () => {
  for (const hook of HOOKS) {
    it(`hangs in ${hook}: cut by the hook timeout, named, its late work refused, stop() is clean`, async () => {
      const fault = hangIn(hook);
      const run = await started([fault]);
      if (early(hook)) {
        await expectHealth(run, fault.name);
        expect(pluginInfo(run, fault.name).state).toBe("failed");
        await expectRemoved(run, fault);
      } else {
        await expectHealth(run);
      }
      await canaryAlive(run);

      const result = await stopRun(run);
      expect(result).toMatchObject({ timedOut: false, hung: [] });
      // The canary stops after the culprit: its hooks ran once the culprit's hook was cut.
      expect(run.canary.trace.hooks).toEqual([...HOOKS]);
      expect(fault.trace.hooks).toEqual(enteredWhenFailingIn(hook));
      const info = pluginInfo(run, fault.name);
      expect(info.error).toMatchObject({
        code: "PLUGIN_HOOK_TIMEOUT",
        hook,
        data: { plugin: fault.name, hook, timeoutMs: HOOK_MS },
      });
      expect(info.errorCount).toBe(1);
      await expectRemoved(run, fault);

      // The abandoned hook wakes up later: its context is dead, nothing it registers appears.
      fault.trace.release();
      await waitFor(() => fault.trace.caught.length === 1, "the released hook tries its context");
      expect(fault.trace.caught).toEqual(["PLUGIN_STATE_CONFLICT"]);
      expect(run.runtime.kernel.services.has(`${fault.name}.late`)).toBe(false);
      tally.handlerFailures += info.errorCount;
    });
  }

  it("hangs in onStop past shutdownTimeoutMs: stop() gives up at the deadline and names it", async () => {
    const fault = hangIn("onStop");
    // The runtime's own hook bound (= shutdownTimeoutMs here) so the overall deadline is hit.
    const run = await started([fault], { hookTimeoutMs: "default", shutdownTimeoutMs: 300 });
    await expectHealth(run);
    await canaryAlive(run);
    const result = await stopRun(run);
    expect(result.timedOut).toBe(true);
    // The canary stops last, queued behind the culprit, and the modules after it: none had finished.
    expect(result.hung).toEqual([
      "plugin canary",
      "plugin fault-hang-onstop",
      "module logger",
      "module devices",
      "module presence",
      "module automation",
    ]);
    expect(run.runtime.phase).toBe("stopped");
    const line = run.log?.lines.find((l) => String(l.msg).startsWith("shutdown exceeded"));
    expect(line?.hung).toContain("plugin fault-hang-onstop");
  });

  it("hangs in onUnload past shutdownTimeoutMs: stop() still gives up at the deadline", async () => {
    const fault = hangIn("onUnload");
    const run = await started([fault], { hookTimeoutMs: "default", shutdownTimeoutMs: 300 });
    await canaryAlive(run);
    const result = await stopRun(run);
    expect(result.timedOut).toBe(true);
    expect(run.runtime.phase).toBe("stopped");
  });

  it("hangs in onUnload past shutdownTimeoutMs: it is named in StopResult.hung", async () => {
    const fault = hangIn("onUnload");
    const run = await started([fault], { hookTimeoutMs: "default", shutdownTimeoutMs: 300 });
    const result = await stopRun(run);
    expect(result.hung).toContain("plugin fault-hang-onunload");
  });
});

describe("a plugin whose event handler fails", () => {
  for (const mode of ["throw", "reject"] as const) {
    it(`${mode}s on each of ${EVENTS} events: every failure reported naming it; the canary on the same type gets them all`, async () => {
      const fault = handlerFault(`fault-event-${mode}`, mode);
      const run = faultRuntime([fault]);
      await run.runtime.init();
      const failures = handlerFailures(run);
      await run.runtime.start();
      tally.scenarios++;
      const { bus } = run.runtime.kernel;
      for (let i = 0; i < EVENTS; i++) void bus.publish(SHARED_EVENT, { i });
      await bus.drain();
      await waitFor(() => failures.get(fault.name) === EVENTS, "every failure reported");
      expect(fault.trace.n.calls).toBe(EVENTS);
      expect(run.canary.trace.n.shared).toBe(EVENTS);
      expect(bus.stats().byType[SHARED_EVENT]).toEqual({
        published: EVENTS,
        delivered: EVENTS,
        failed: EVENTS,
      });
      const info = pluginInfo(run, fault.name);
      expect(info).toMatchObject({ state: "started", errorCount: EVENTS });
      // Handler errors are counted, not fatal: the plugin keeps running and health stays healthy.
      await expectHealth(run);
      await canaryAlive(run);
      expect(await stopRun(run)).toMatchObject({ timedOut: false, hung: [] });
      tally.handlerFailures += EVENTS;
    });
  }

  it("fails after its retries: counted once per event, every attempt made", async () => {
    const events = 20;
    const fault = handlerFault("fault-event-retry", "throw", { retry: { attempts: 3, backoffMs: 1 } });
    const run = await started([fault]);
    const { bus } = run.runtime.kernel;
    await Promise.all(Array.from({ length: events }, (_, i) => bus.publish(SHARED_EVENT, { i })));
    expect(fault.trace.n.calls).toBe(events * 3);
    expect(pluginInfo(run, fault.name).errorCount).toBe(events);
    expect(bus.stats().byType[SHARED_EVENT]?.failed).toBe(events);
    expect(run.canary.trace.n.shared).toBe(events);
    await canaryAlive(run);
    expect(await stopRun(run)).toMatchObject({ timedOut: false, hung: [] });
  });

  it("has a filter that throws: a failed delivery naming it, its handler never called", async () => {
    const fault = filterFault("fault-filter");
    const run = await started([fault]);
    const { bus } = run.runtime.kernel;
    for (let i = 0; i < EVENTS; i++) await bus.publish(SHARED_EVENT, { i });
    await bus.drain();
    expect(fault.trace.n).toEqual({ filtered: EVENTS });
    expect(pluginInfo(run, fault.name).errorCount).toBe(EVENTS);
    expect(run.canary.trace.n.shared).toBe(EVENTS);
    await expectHealth(run);
    await canaryAlive(run);
    expect(await stopRun(run)).toMatchObject({ timedOut: false, hung: [] });
  });

  it("throws on every event, kernel ones included: its failures are reported without looping", async () => {
    const fault = handlerFault("fault-event-wildcard", "throw", { pattern: "*" });
    const run = await started([fault], { log: false });
    const { bus } = run.runtime.kernel;
    for (let i = 0; i < EVENTS; i++) void bus.publish(SHARED_EVENT, { i });
    await bus.drain();
    const stats = bus.stats();
    const reports = stats.byType["$bus.handler_failed"];
    // One report per failure on any other type; the wildcard fails on each report too, which is
    // logged only (a report of a report would loop).
    const failedElsewhere = Object.entries(stats.byType)
      .filter(([type]) => type !== "$bus.handler_failed")
      .reduce((sum, [, c]) => sum + c.failed, 0);
    expect(stats.byType[SHARED_EVENT]?.failed).toBe(EVENTS);
    expect(reports?.published).toBe(failedElsewhere);
    expect(reports?.failed).toBe(reports?.published);
    await canaryAlive(run);
    expect(await stopRun(run)).toMatchObject({ timedOut: false, hung: [] });
    tally.handlerFailures += failedElsewhere;
  });
});

describe("a plugin whose event handler never settles", () => {
  it("holds up neither the other handlers of the type, nor other types, services or timers", async () => {
    const fault = handlerFault("fault-event-hang", "hang");
    const run = await started([fault]);
    const { bus } = run.runtime.kernel;
    let settled = 0;
    for (let i = 0; i < EVENTS; i++) void bus.publish(SHARED_EVENT, { i }).then(() => settled++);
    await waitFor(() => run.canary.trace.n.shared === EVENTS, "the canary gets every shared event");
    expect(fault.trace.n.calls).toBe(EVENTS);
    await canaryAlive(run);
    await expectHealth(run);
    // The publisher's promise waits for every handler, the hung one included.
    expect(settled).toBe(0);
    fault.trace.release();
    await waitFor(() => settled === EVENTS, "publishes settle once the handler does");
    expect(await stopRun(run)).toMatchObject({ timedOut: false, hung: [] });
  });

  it("on an ordered type, leaves the canary's ordered type flowing", async () => {
    const fault = handlerFault("fault-ordered-hang", "hang", { pattern: "fault.ordered" });
    const run = await started([fault]);
    const { bus } = run.runtime.kernel;
    for (let i = 0; i < 5; i++) void bus.publishOrdered("fault.ordered", { i });
    await waitFor(() => fault.trace.n.calls === 1, "the first ordered event reaches the hung handler");
    await canaryAlive(run);
    fault.trace.release();
    await waitFor(() => fault.trace.n.calls === 5, "its lane moves on once released");
    expect(await stopRun(run)).toMatchObject({ timedOut: false, hung: [] });
  });

  it("past shutdownTimeoutMs: stop() gives up at the deadline and names its plugin", async () => {
    const fault = handlerFault("fault-event-hang", "hang");
    const run = await started([fault], { shutdownTimeoutMs: 300 });
    void run.runtime.kernel.bus.publish(SHARED_EVENT, {});
    const result = await stopRun(run);
    expect(result.timedOut).toBe(true);
    expect(result.hung).toEqual(["plugin fault-event-hang"]);
  });

  it("past eventHandlerTimeoutMs: failed as BUS_HANDLER_TIMEOUT, named in health and metrics, stop() clean", async () => {
    const fault = handlerFault("fault-event-hang", "hang");
    const run = faultRuntime([fault], { eventHandlerTimeoutMs: 100 });
    await run.runtime.init();
    const failures: { owner?: string; error: { code?: string } }[] = [];
    run.runtime.kernel.bus.subscribe<(typeof failures)[number]>("$bus.handler_failed", (e) => {
      failures.push(e.payload);
    });
    await run.runtime.start();
    const { bus } = run.runtime.kernel;
    let settled = false;
    void bus.publish(SHARED_EVENT, {}).then(() => (settled = true));
    await waitFor(() => settled, "the publish settles once the bus gives up on the hung handler");
    expect(failures).toEqual([
      expect.objectContaining({
        owner: "fault-event-hang",
        error: expect.objectContaining({ code: "BUS_HANDLER_TIMEOUT" }),
      }),
    ]);
    const health = await run.runtime.healthCheck();
    expect(health.status).toBe("degraded");
    expect(health.checks.bus.detail).toContain(`fault-event-hang on ${SHARED_EVENT}`);
    const metrics = run.runtime.getMetrics();
    expect(metrics.bus.stuckByOwner).toEqual({ "fault-event-hang": 1 });
    expect(pluginInfo(run, fault.name).errorCount).toBe(1);
    await canaryAlive(run);
    expect(await stopRun(run)).toMatchObject({ timedOut: false, hung: [] });
    tally.handlerFailures++;
  });

  it("on an ordered type the canary shares: the lane moves on at eventHandlerTimeoutMs, in order", async () => {
    const fault = handlerFault("fault-ordered-hang", "hang", { pattern: CANARY_ORDERED_EVENT });
    const run = await started([fault], { eventHandlerTimeoutMs: 100 });
    const first = run.canary.ordered.length;
    for (let i = 0; i < 5; i++)
      void run.runtime.kernel.bus.publishOrdered(CANARY_ORDERED_EVENT, { i: first + i });
    await waitFor(() => run.canary.ordered.length === first + 5, "the canary gets its 5 ordered events");
    expect(run.canary.ordered.slice(first)).toEqual([0, 1, 2, 3, 4].map((i) => first + i));
    // The fifth is delivered to the canary at once; its hung twin times out after.
    await waitFor(() => run.runtime.getMetrics().bus.timedOut === 5, "each hung run timed out");
    fault.trace.release();
    expect(await stopRun(run)).toMatchObject({ timedOut: false, hung: [] });
  });

  it("on $runtime.started: start() returns, and stop() returns at the deadline naming it", async () => {
    const fault = handlerFault("fault-kernel-hang", "hang", {
      pattern: "*",
      match: (type) => type === "$runtime.started",
    });
    const run = faultRuntime([fault], { shutdownTimeoutMs: 300 });
    await within(run.runtime.start(), 1000, "runtime.start()");
    expect((await run.runtime.healthCheck()).status).toBe("healthy");
    await canaryAlive(run);
    const result = await within(run.runtime.stop(), 1000, "runtime.stop()");
    expect(result).toMatchObject({ timedOut: true, hung: ["plugin fault-kernel-hang"] });
  });

  it("on $runtime.stopping: other plugins' onStop still runs, stop() returns at the deadline naming it", async () => {
    const fault = handlerFault("fault-kernel-hang", "hang", {
      pattern: "*",
      match: (type) => type === "$runtime.stopping",
    });
    const run = await started([fault], { shutdownTimeoutMs: 300 });
    await canaryAlive(run);
    const result = await stopRun(run);
    expect(run.canary.trace.hooks).toContain("onStop");
    expect(result).toMatchObject({ timedOut: true, hung: ["plugin fault-kernel-hang"] });
    expect(run.runtime.phase).toBe("stopped");
  });
});

describe("a plugin whose service handler fails", () => {
  it(`throws or rejects on each of ${CALLS} calls: only its callers fail, counted per service and plugin`, async () => {
    const fault = serviceFault();
    const run = await started([fault]);
    const { services } = run.runtime.kernel;
    for (let i = 0; i < CALLS; i++) {
      const boom = await services.call("fault-service.boom", {}).catch((e: unknown) => e);
      expect(boom).toMatchObject({ code: "INVALID_ARGUMENT", message: "injected service failure" });
      const reject = await services.call("fault-service.reject", {}).catch((e: unknown) => e);
      expect((reject as Error).message).toContain("injected async service failure");
      expect(await services.call("canary.ping", { n: i })).toEqual({ pong: i });
    }
    const stats = services.stats();
    expect(stats["fault-service.boom"]).toMatchObject({ calls: CALLS, failures: CALLS });
    expect(stats["fault-service.reject"]).toMatchObject({ calls: CALLS, failures: CALLS });
    expect(stats["canary.ping"]).toMatchObject({ calls: CALLS, failures: 0 });
    expect(pluginInfo(run, fault.name)).toMatchObject({
      state: "started",
      serviceCalls: 2 * CALLS,
      serviceFailures: 2 * CALLS,
      // `boom` answers INVALID_ARGUMENT (400, the caller's fault): failures, but not the plugin's errors.
      errorCount: CALLS,
    });
    await expectHealth(run);
    await canaryAlive(run);
    expect(await stopRun(run)).toMatchObject({ timedOut: false, hung: [] });
    tally.serviceFailures += 2 * CALLS;
  });

  it(`never settles: ${HUNG_CALLS} concurrent callers time out, the canary answers meanwhile, stop() is not held`, async () => {
    const fault = serviceFault();
    const run = await started([fault]);
    const { services } = run.runtime.kernel;
    const hung = Array.from({ length: HUNG_CALLS }, () =>
      services.call("fault-service.hang", {}).catch((e: unknown) => e),
    );
    await canaryAlive(run);
    const outcomes = await Promise.all(hung);
    expect(outcomes.every((e) => (e as { code?: string }).code === "SERVICE_TIMEOUT")).toBe(true);
    // The caller's own bound works on a service left at the registry's default timeout.
    const own = await services
      .call("fault-service.hang_long", {}, { timeoutMs: 50 })
      .catch((e: unknown) => e);
    expect(own).toMatchObject({ code: "SERVICE_TIMEOUT" });
    expect(services.stats()["fault-service.hang"]).toMatchObject({
      calls: HUNG_CALLS,
      failures: HUNG_CALLS,
      timeouts: HUNG_CALLS,
    });
    expect(pluginInfo(run, fault.name).serviceFailures).toBe(HUNG_CALLS + 1);
    // Calls still pending when stop() runs are not waited for.
    const pending = services.call("fault-service.hang_long", {}).catch((e: unknown) => e);
    expect(await stopRun(run)).toMatchObject({ timedOut: false, hung: [] });
    fault.trace.release();
    await pending;
    tally.serviceFailures += HUNG_CALLS + 1;
  });

  it("fails behind a circuit breaker: cut off after its threshold, the canary is not", async () => {
    const fault = serviceFault();
    const run = await started([fault]);
    const { services } = run.runtime.kernel;
    const codes: string[] = [];
    for (let i = 0; i < 6; i++) {
      const err = await services.call("fault-service.flaky", {}).catch((e: unknown) => e);
      codes.push((err as { code?: string }).code ?? "plain");
    }
    expect(codes).toEqual(["plain", "plain", "plain", ...Array(3).fill("SERVICE_CIRCUIT_OPEN")]);
    expect(fault.trace.n.flaky).toBe(3);
    await canaryAlive(run);
    expect(await stopRun(run)).toMatchObject({ timedOut: false, hung: [] });
  });
});

describe("a plugin that leaks timers", () => {
  it("has ctx timers that throw: caught, logged and counted under it, and cleared when it stops", async () => {
    const fault = timerFault();
    const run = await started([fault]);
    const { n } = fault.trace;
    await waitFor(() => (n.ctxInterval ?? 0) >= 5 && n.ctxTimeout === 1, "the faulty timers fire");
    await expectHealth(run);
    await canaryAlive(run);
    expect(await stopRun(run)).toMatchObject({ timedOut: false, hung: [] });
    const fired = (n.ctxInterval ?? 0) + (n.ctxTimeout ?? 0);
    await Bun.sleep(30);
    expect((n.ctxInterval ?? 0) + (n.ctxTimeout ?? 0)).toBe(fired);
    expect(pluginInfo(run, fault.name).errorCount).toBe(fired);
    const logged = run.log?.lines.filter(
      (l) => l.plugin === fault.name && l.msg === "plugin timer callback failed",
    );
    expect(logged?.length).toBe(fired);
    tally.handlerFailures += fired;
  });

  it("leaks a raw setInterval past stop(): it keeps running but its context refuses every use", async () => {
    const fault = timerFault();
    const run = await started([fault]);
    await waitFor(() => (fault.trace.n.raw ?? 0) >= 3, "the raw timer ticks");
    // While the plugin runs, its raw timer may use the context like any code of the plugin.
    expect(fault.trace.caught).toEqual([]);
    expect(run.runtime.kernel.state.get("fault-timers/raw")).toBeGreaterThan(0);
    await canaryAlive(run);
    expect(await stopRun(run)).toMatchObject({ timedOut: false, hung: [] });
    // The kernel cannot clear a timer it never saw: it keeps firing, harmlessly.
    const ticks = fault.trace.n.raw ?? 0;
    await waitFor(() => (fault.trace.n.raw ?? 0) > ticks + 2, "the leaked timer still fires after stop");
    expect(new Set(fault.trace.caught)).toEqual(new Set(["PLUGIN_STATE_CONFLICT"]));
  });
});
