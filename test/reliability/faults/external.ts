/**
 * Fault-injection plugins as external plugins (plain source written into `<dataDir>/plugins/<name>`),
 * for the compiled binary. They cannot import anything: everything comes through the context.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** Event the canary and `fault-event-throw` both subscribe to. */
export const FIRED = "fault-event.fired";

export const EXTERNAL = {
  /** Healthy: `canary.ping` answers `{ pong: n, seen }`, `seen` = FIRED events it received. */
  canary: `export default {
  onStart(ctx) {
    let seen = 0;
    ctx.events.subscribe("${FIRED}", () => { seen++; });
    ctx.services.register("ping", ({ n }) => ({ pong: n, seen }));
  },
};
`,
  /** Its FIRED handler always throws; `fire` ({ count }) publishes that many FIRED events. */
  "fault-event-throw": `export default {
  onStart(ctx) {
    ctx.events.subscribe("${FIRED}", () => { throw new Error("injected handler failure"); });
    ctx.services.register("fire", async ({ count }) => {
      for (let i = 0; i < count; i++) await ctx.events.publish("${FIRED}", { i });
      return { published: count };
    });
  },
};
`,
  /** Raw timers (not through ctx) that throw: one uncaught exception and one unhandled rejection. */
  "fault-raw-throw": `export default {
  onStart() {
    setTimeout(() => { throw new Error("injected uncaught exception"); }, 20);
    setTimeout(() => { void Promise.reject(new Error("injected unhandled rejection")); }, 20);
  },
};
`,
  "fault-hang-onstop": "export default { onStop() { return new Promise(() => {}); } };\n",
  "fault-throw-onload": `export default { onLoad() { throw new Error("injected onLoad failure"); } };\n`,
  "fault-throw-onstart": `export default { onStart() { throw new Error("injected onStart failure"); } };\n`,
  "fault-hang-onload": "export default { onLoad() { return new Promise(() => {}); } };\n",
  "fault-hang-onstart": "export default { onStart() { return new Promise(() => {}); } };\n",
  "fault-throw-onstop": `export default { onStop() { throw new Error("injected onStop failure"); } };\n`,
  "fault-throw-onunload": `export default { onUnload() { throw new Error("injected onUnload failure"); } };\n`,
  /** Subscribes to everything; never settles on $runtime.started (see the known bug in the tests). */
  "fault-kernel-hang": `export default {
  onStart(ctx) {
    ctx.events.subscribe("*", (e) => (e.type === "$runtime.started" ? new Promise(() => {}) : undefined));
  },
};
`,
} as const;

export type ExternalName = keyof typeof EXTERNAL;

/** Writes the named plugins into `<dataDir>/plugins/`. */
export function installExternal(dataDir: string, names: readonly ExternalName[]): void {
  for (const name of names) {
    const dir = join(dataDir, "plugins", name);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "plugin.json"), JSON.stringify({ name, version: "1.0.0" }));
    writeFileSync(join(dir, "index.ts"), EXTERNAL[name]);
  }
}

/**
 * The value of one Prometheus sample: `name{labels}` with the labels given (in any order; other
 * labels on the line are allowed). Undefined when absent.
 */
export function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split("\n")) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const open = line.indexOf("{");
    const close = line.lastIndexOf("}");
    const body = open >= 0 && close > open ? line.slice(open + 1, close) : "";
    const have = new Map<string, string>();
    for (const m of body.matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) have.set(m[1] as string, m[2] as string);
    if (Object.entries(labels).every(([k, v]) => have.get(k) === v)) {
      return Number(line.slice((close >= 0 ? close : line.indexOf(" ")) + 1).trim());
    }
  }
  return undefined;
}
