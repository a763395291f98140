/**
 * A runtime with the demo house, the automation module on a ManualClock, and helpers to drive the
 * simulated devices and wait for what follows (device reports travel through real timers of 0 ms).
 */
import { BUILTIN_PLUGINS } from "../../src/builtin-plugins.generated.ts";
import type { BusEvent } from "../../src/kernel/bus/types.ts";
import { builtinSource } from "../../src/kernel/plugins/index.ts";
import { createAutomationModule, ManualClock } from "../../src/modules/automation/index.ts";
import { type Booted, bootRuntime } from "../helpers/runtime.ts";

// biome-ignore lint/suspicious/noExplicitAny: response bodies are checked by expect()
export type Json = any;

export const BERLIN = {
  "location.latitude": 52.52,
  "location.longitude": 13.405,
  "location.timeZone": "Europe/Berlin",
};

export function demo() {
  const d = BUILTIN_PLUGINS.find((p) => (p.manifest as { name?: string }).name === "demo");
  if (d === undefined) throw new Error("no demo plugin");
  return builtinSource(d);
}

export interface House extends Booted {
  clock: ManualClock;
  events: BusEvent[];
  /** What the demo device reports now. */
  reported(id: string): Record<string, unknown>;
  /** Reports a sensor change as the demo plugin would. */
  report(externalId: string, state: Record<string, unknown>): Promise<void>;
  create(rule: Json): Promise<Json>;
  runs(id: string): Promise<Json[]>;
}

export async function bootHouse(
  options: { start?: number | Date; dir?: string; overrides?: Record<string, unknown> } = {},
): Promise<House> {
  const clock = new ManualClock(options.start ?? Date.UTC(2026, 0, 15, 12, 0, 0));
  const booted = await bootRuntime({
    dir: options.dir,
    plugins: [demo()],
    modules: [createAutomationModule({ clock })],
    overrides: {
      ...BERLIN,
      "plugins.demo.config": {
        intervalMs: 3_600_000,
        commandDelayMs: 0,
        motionChance: 0,
        doorChance: 0,
        buttonChance: 0,
      },
      ...options.overrides,
    },
  });
  const events: BusEvent[] = [];
  booted.kernel.bus.subscribe("*", (e) => {
    events.push(e);
  });
  const house: House = {
    ...booted,
    clock,
    events,
    reported: (id) => (booted.kernel.state.get(`devices/${id}`) as Json).state.reported,
    async report(externalId, state) {
      await booted.kernel.services.call("devices.report", { externalId, state }, { caller: "demo" });
      await settle();
    },
    create: (rule) => booted.json("/api/v1/automations", { method: "POST", body: JSON.stringify(rule) }),
    async runs(id) {
      const body = await booted.json<Json>(`/api/v1/automations/${id}/runs`);
      return body.runs;
    },
  };
  return house;
}

/** Lets real 0 ms timers (the demo's reports) and the bus deliveries they start run. */
export async function settle(rounds = 3): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise((r) => setTimeout(r, 2));
}

/** Waits (real time, bounded) until `check` holds; throws naming `what` otherwise. */
export async function until(check: () => boolean, what: string, timeoutMs = 3000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

export function of(events: BusEvent[], type: string): Json[] {
  return events.filter((e) => e.type === type).map((e) => e.payload);
}
