/**
 * Fault-injection plugins for the in-process suite. Each one misbehaves in exactly one way (a hook
 * that throws or never settles, an event or service handler that throws or hangs, leaked timers, a bus
 * flood); the healthy canary next to them is what every test checks is unaffected. Each factory
 * returns a fresh definition plus a trace of what the plugin itself saw, so a test can tell "the
 * kernel removed it" from "it never ran".
 */
import type { PluginHookName } from "../../../src/kernel/plugins/types.ts";
import type { PluginContext, PluginDefinition } from "../../../src/sdk/index.ts";

export const HOOKS: readonly PluginHookName[] = ["onLoad", "onStart", "onStop", "onUnload"];

/** The event type the canary and the faulty subscribers share. */
export const SHARED_EVENT = "shared.ticked";

export interface Trace {
  /** Hooks entered, in order. */
  hooks: PluginHookName[];
  /** Codes of the errors the plugin got back when it used its context (e.g. after it was failed). */
  caught: string[];
  /** Free-form counters. */
  n: Record<string, number>;
  /** Raw timers the plugin leaked (not through ctx); the test clears them. */
  leaked: ReturnType<typeof setInterval>[];
  /** Ends every hang the plugin is in (hooks, handlers), so nothing stays pending after a test. */
  release(): void;
}

export interface FaultPlugin {
  name: string;
  definition: PluginDefinition<unknown>;
  trace: Trace;
}

function newTrace(): Trace & { hang(): Promise<void> } {
  const waiters: (() => void)[] = [];
  let released = false;
  return {
    hooks: [],
    caught: [],
    n: {},
    leaked: [],
    release() {
      released = true;
      for (const w of waiters.splice(0)) w();
    },
    /** A promise that settles only when the test calls release() (at once after it). */
    hang() {
      if (released) return Promise.resolve();
      return new Promise<void>((resolve) => waiters.push(resolve));
    },
  };
}

const bump = (trace: Trace, key: string, by = 1): void => {
  trace.n[key] = (trace.n[key] ?? 0) + by;
};

function codeOf(err: unknown): string {
  const code = (err as { code?: unknown })?.code;
  return typeof code === "string" ? code : String((err as Error)?.message ?? err);
}

/** Uses the context once more (after a hang was released): records what the kernel answered. */
function tryLateRegistration(ctx: PluginContext<unknown>, trace: Trace): void {
  try {
    ctx.services.register("late", () => "late");
    trace.caught.push("none");
  } catch (err) {
    trace.caught.push(codeOf(err));
  }
}

/**
 * Registers one of everything a plugin can own: a service, a subscription, a ctx interval. The test
 * checks all three are gone once the kernel fails or unloads the plugin.
 */
function registerEverything(ctx: PluginContext<unknown>, trace: Trace): void {
  ctx.services.register("leftover", () => "still here");
  ctx.events.subscribe(SHARED_EVENT, () => bump(trace, "sharedSeen"));
  ctx.setInterval(() => bump(trace, "timerTicks"), 5);
}

/** `fault-<kind>-<hook>`, lowercase as plugin names must be. */
export const faultName = (kind: string, hook: PluginHookName): string =>
  `fault-${kind}-${hook.toLowerCase()}`;

/**
 * Throws in `hook`. Before throwing it registers a service, a subscription and a timer (in onStart
 * for the teardown hooks), so the test can check the kernel removed them.
 */
export function throwIn(hook: PluginHookName): FaultPlugin {
  const trace = newTrace();
  const name = faultName("throw", hook);
  const definition: PluginDefinition<unknown> = {};
  for (const h of HOOKS) {
    definition[h] = (ctx) => {
      trace.hooks.push(h);
      if (h === "onStart" || (h === "onLoad" && hook === "onLoad")) registerEverything(ctx, trace);
      if (h === hook) throw new Error(`injected ${hook} failure`);
    };
  }
  return { name, definition, trace };
}

/**
 * Never settles in `hook` (until the test releases it). Registers everything first; once released,
 * it tries to register a service again and records what the kernel said.
 */
export function hangIn(hook: PluginHookName): FaultPlugin {
  const trace = newTrace();
  const name = faultName("hang", hook);
  const definition: PluginDefinition<unknown> = {};
  for (const h of HOOKS) {
    definition[h] = async (ctx) => {
      trace.hooks.push(h);
      if (h === "onStart" || (h === "onLoad" && hook === "onLoad")) registerEverything(ctx, trace);
      if (h !== hook) return;
      await trace.hang();
      bump(trace, "resumed");
      tryLateRegistration(ctx, trace);
    };
  }
  return { name, definition, trace };
}

export type HandlerMode = "throw" | "reject" | "hang";

/**
 * Subscribes to `pattern` with a handler that throws synchronously, rejects, or never settles (until
 * released). `match` narrows which events misbehave (the others are handled normally).
 */
export function handlerFault(
  name: string,
  mode: HandlerMode,
  options: {
    pattern?: string;
    match?: (type: string) => boolean;
    retry?: { attempts: number; backoffMs: number };
  } = {},
): FaultPlugin {
  const trace = newTrace();
  const pattern = options.pattern ?? SHARED_EVENT;
  const definition: PluginDefinition<unknown> = {
    onStart(ctx) {
      trace.hooks.push("onStart");
      ctx.events.subscribe(
        pattern,
        (event) => {
          if (options.match !== undefined && !options.match(event.type)) return undefined;
          bump(trace, "calls");
          if (mode === "throw") throw new Error(`injected handler failure (${event.type})`);
          if (mode === "reject")
            return Promise.reject(new Error(`injected async handler failure (${event.type})`));
          return trace.hang();
        },
        options.retry === undefined ? {} : { retry: options.retry },
      );
    },
  };
  return { name, definition, trace };
}

/** A subscription whose filter throws: the kernel counts it as a failed delivery, never calls the handler. */
export function filterFault(name: string): FaultPlugin {
  const trace = newTrace();
  return {
    name,
    trace,
    definition: {
      onStart(ctx) {
        ctx.events.subscribe(SHARED_EVENT, () => bump(trace, "handled"), {
          filter: () => {
            bump(trace, "filtered");
            throw new Error("injected filter failure");
          },
        });
      },
    },
  };
}

/**
 * Services that fail: `boom` throws a coded error synchronously, `reject` rejects, `hang` never settles
 * (timeout 100 ms), `hang_long` never settles under the registry's default timeout (callers pass a
 * shorter one), `flaky` always throws behind a circuit breaker that opens after 3 failures.
 */
export function serviceFault(name = "fault-service"): FaultPlugin {
  const trace = newTrace();
  return {
    name,
    trace,
    definition: {
      onStart(ctx) {
        ctx.services.register("boom", () => {
          bump(trace, "boom");
          throw ctx.errors.create("INVALID_ARGUMENT", "injected service failure");
        });
        ctx.services.register("reject", async () => {
          bump(trace, "reject");
          throw new Error("injected async service failure");
        });
        ctx.services.register("hang", () => trace.hang(), { timeoutMs: 100 });
        ctx.services.register("hang_long", () => trace.hang());
        ctx.services.register(
          "flaky",
          () => {
            bump(trace, "flaky");
            throw new Error("injected flaky failure");
          },
          { circuitBreaker: { failureThreshold: 3, windowMs: 60_000, cooldownMs: 60_000 } },
        );
      },
    },
  };
}

/**
 * Leaks timers: a raw setInterval the kernel cannot know about (it keeps trying to write state through
 * the context), plus ctx timers whose callbacks throw synchronously and reject.
 */
export function timerFault(name = "fault-timers"): FaultPlugin {
  const trace = newTrace();
  return {
    name,
    trace,
    definition: {
      onStart(ctx) {
        trace.leaked.push(
          setInterval(() => {
            bump(trace, "raw");
            try {
              ctx.state.set(`${name}/raw`, trace.n.raw ?? 0);
            } catch (err) {
              trace.caught.push(codeOf(err));
            }
          }, 5),
        );
        ctx.setInterval(() => {
          bump(trace, "ctxInterval");
          throw new Error("injected timer failure");
        }, 5);
        ctx.setTimeout(async () => {
          bump(trace, "ctxTimeout");
          throw new Error("injected async timer failure");
        }, 5);
      },
    },
  };
}

export const FLOOD_EVENT = "flood.ticked";
export const FLOOD_FAILING_EVENT = "flood.failed";
export const FLOOD_ORDERED_EVENT = "flood.ordered";

/**
 * Floods the bus from inside the plugin. Service `flood` publishes `count` events of `type` in one
 * synchronous loop (nothing awaited); `storm` starts a ctx interval publishing `perTick` events each
 * tick until the plugin stops. It subscribes itself: an async handler on FLOOD_EVENT, a throwing one
 * on FLOOD_FAILING_EVENT, and an ordered-checking async one on FLOOD_ORDERED_EVENT (counting any
 * event that arrives out of order, and yielding to the timer queue every 97th event).
 */
export function flooder(name = "fault-flood"): FaultPlugin {
  const trace = newTrace();
  return {
    name,
    trace,
    definition: {
      onStart(ctx) {
        ctx.events.subscribe(FLOOD_EVENT, async () => {
          await null;
          bump(trace, "flood");
        });
        ctx.events.subscribe(FLOOD_FAILING_EVENT, () => {
          bump(trace, "failing");
          throw new Error("injected flood failure");
        });
        ctx.events.subscribe<{ i: number }>(FLOOD_ORDERED_EVENT, async (event) => {
          const expected = trace.n.ordered ?? 0;
          if (event.payload.i !== expected) bump(trace, "outOfOrder");
          if (event.payload.i % 97 === 0) await new Promise((r) => setTimeout(r, 0));
          else await null;
          bump(trace, "ordered");
        });
        ctx.services.register("flood", ({ type, count }: { type: string; count: number }) => {
          const ordered = type === FLOOD_ORDERED_EVENT;
          for (let i = 0; i < count; i++) {
            void (ordered ? ctx.events.publishOrdered(type, { i }) : ctx.events.publish(type, { i }));
          }
          return { published: count };
        });
        ctx.services.register("storm", ({ perTick }: { perTick: number }) => {
          ctx.setInterval(() => {
            for (let i = 0; i < perTick; i++) void ctx.events.publish(FLOOD_EVENT, { i });
            bump(trace, "stormTicks");
          }, 1);
          return { started: true };
        });
      },
    },
  };
}

export const CANARY = "canary";
export const CANARY_EVENT = "canary.ticked";
export const CANARY_ORDERED_EVENT = "canary.ordered";

export interface Canary extends FaultPlugin {
  /** Payload indexes of CANARY_ORDERED_EVENT in arrival order. */
  ordered: number[];
}

/**
 * The healthy plugin: service `canary.ping` ({ n } → { pong: n }), subscriptions to its own events
 * (plain and ordered) and to SHARED_EVENT, and a ctx heartbeat timer. Its name sorts before every
 * `fault-*` plugin, so it starts first and stops last.
 */
export function canary(): Canary {
  const trace = newTrace();
  const ordered: number[] = [];
  const definition: PluginDefinition<unknown> = {
    onLoad() {
      trace.hooks.push("onLoad");
    },
    onStart(ctx) {
      trace.hooks.push("onStart");
      ctx.services.register("ping", ({ n }: { n: number }) => ({ pong: n }));
      ctx.events.subscribe(CANARY_EVENT, () => bump(trace, "ticks"));
      ctx.events.subscribe(SHARED_EVENT, () => bump(trace, "shared"));
      ctx.events.subscribe<{ i: number }>(CANARY_ORDERED_EVENT, (event) => {
        ordered.push(event.payload.i);
      });
      ctx.setInterval(() => bump(trace, "heartbeat"), 5);
    },
    onStop() {
      trace.hooks.push("onStop");
    },
    onUnload() {
      trace.hooks.push("onUnload");
    },
  };
  return { name: CANARY, definition, trace, ordered };
}
