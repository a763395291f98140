import type { z } from "zod";
import type { ErrorCode, HearthError } from "../errors.ts";
import type { BunSerialBindingInterface } from "../hal/serial/binding.ts";
import type { SerialOpenOptions, SerialPort, SerialPortInfo } from "../hal/serial/types.ts";
import type { BusEvent, EventHandler, SubscribeOptions, Unsubscribe } from "../kernel/bus/types.ts";
import type { EndpointDefinition } from "../kernel/http/types.ts";
import type { Logger } from "../kernel/log/types.ts";
import type { CallOptions, RegisterOptions, ServiceHandler } from "../kernel/services/types.ts";
import type { StateSetOptions, StateWatcher, Unwatch } from "../kernel/state/types.ts";
import type { StorageOps } from "../kernel/storage/types.ts";
import type { PluginHardware } from "./hardware.ts";

export type {
  BusEvent,
  EndpointDefinition,
  EventHandler,
  Logger,
  SerialOpenOptions,
  SerialPort,
  SerialPortInfo,
  StorageOps,
};

/**
 * Serial ports for the plugin. What it opens (directly or through `binding`) is its own: closed
 * when the plugin stops, fails or unloads, and refused to any other plugin (SERIAL_PORT_BUSY naming
 * the holder) while it is open.
 */
export interface PluginSerial {
  /**
   * Opens a device (`/dev/ttyUSB0`, `/dev/serial/by-id/…`), exclusively.
   *
   * @example
   * const port = await ctx.hardware.serial.open({ path: "/dev/ttyACM0", baudRate: 115200 });
   * for await (const chunk of port) handle(chunk);
   */
  open(options: SerialOpenOptions): Promise<SerialPort>;
  /** The serial devices present, with known Zigbee sticks recognised by USB id. */
  list(): Promise<SerialPortInfo[]>;
  /**
   * serialport's binding interface over `open`, for `@serialport/stream` and libraries built on it.
   *
   * @example
   * new SerialPortStream({ binding: ctx.hardware.serial.binding, path, baudRate: 115200 });
   */
  readonly binding: BunSerialBindingInterface;
}

/** Services a plugin registers: always `<plugin>.<action>`; the owner is filled in. */
export interface PluginServices {
  /** Registers `<plugin>.<action>` (or `v<N>.<plugin>.<action>` when `action` is `v<N>.<action>`). */
  register<P, R>(
    action: string,
    handler: ServiceHandler<P, R>,
    options?: Omit<RegisterOptions<P, R>, "owner">,
  ): void;
  call<R = unknown>(
    name: string,
    params?: unknown,
    options?: Omit<CallOptions, "caller" | "identity">,
  ): Promise<R>;
  has(name: string): boolean;
}

export interface PluginEvents {
  /** Publishes `<domain>.<verb>`; `$`-prefixed kernel events are refused (PLUGIN_FORBIDDEN). */
  publish<P>(type: string, payload?: P): Promise<void>;
  publishOrdered<P>(type: string, payload?: P): Promise<void>;
  subscribe<P = unknown>(
    pattern: string,
    handler: EventHandler<P>,
    options?: Omit<SubscribeOptions<P>, "owner">,
  ): Unsubscribe;
}

/** Read everything; write only keys under `<plugin>/` (absolute keys: `zigbee/coordinator`). */
export interface PluginState {
  get<T = unknown>(key: string): T | undefined;
  has(key: string): boolean;
  keys(pattern?: string): string[];
  watch(pattern: string, watcher: StateWatcher): Unwatch;
  set(key: string, value: unknown, options?: StateSetOptions): void;
  delete(key: string): boolean;
}

/**
 * Timers bound to the plugin: cleared automatically when it stops, fails or unloads. A callback that
 * throws (or returns a promise that rejects) is logged under the plugin and counted as a handler error.
 */
export interface PluginTimers {
  setTimeout(fn: () => unknown, ms: number): ReturnType<typeof setTimeout>;
  setInterval(fn: () => unknown, ms: number): ReturnType<typeof setInterval>;
  clearTimeout(handle: ReturnType<typeof setTimeout> | undefined): void;
  clearInterval(handle: ReturnType<typeof setInterval> | undefined): void;
}

/** What a plugin says of its own connection to the outside world (a stick, a broker). */
export type PluginStatus = "ok" | "degraded" | "error";

/** The plugin's report of its health, shown in `/api/v1/integrations`, `/health/ready` and metrics. */
export interface PluginIntegration {
  /**
   * `ok`, `degraded` (working, with a problem) or `error` (not working: stick unplugged, broker
   * unreachable), with a reason people can read. `degraded` and `error` make the runtime `degraded`,
   * naming the plugin. Cleared when the plugin stops.
   *
   * @example
   * ctx.integration.setStatus("error", "stick /dev/ttyUSB0 is unplugged; retrying");
   */
  setStatus(status: PluginStatus, reason?: string): void;
}

export interface PluginErrors {
  /** A coded error to throw: `throw ctx.errors.create("INVALID_ARGUMENT", "pin 99 does not exist")`. */
  create(code: ErrorCode, message: string, data?: unknown): HearthError;
  is(err: unknown, code?: ErrorCode): err is HearthError;
}

/**
 * What every lifecycle hook receives: the whole public plugin API. Everything registered through it
 * (services, subscriptions, watchers, endpoints, timers) is removed when the plugin fails or unloads.
 */
export interface PluginContext<C = Record<string, unknown>> extends PluginTimers {
  readonly name: string;
  readonly version: string;
  /** The plugin's config slice (`plugins.<name>.config`), parsed by its `configSchema`. */
  readonly config: C;
  /** A `{ plugin: <name> }` child logger. */
  readonly log: Logger;
  /** zod, so an external plugin needs no import of its own. */
  readonly z: typeof z;
  readonly errors: PluginErrors;
  /**
   * A folder of the plugin's own under the runtime's data directory (`<dataDir>/plugin-data/<name>`),
   * created on first use, for files a library insists on (a Zigbee stack's database). Data that
   * must survive a restore belongs in `ctx.storage`, which `hearth backup` copies.
   */
  readonly dataDir: string;
  /**
   * Aborted when this load of the plugin ends (stop, unload, failure): pass it to fetch, sockets,
   * loops. Its reason is a PLUGIN_STATE_CONFLICT error.
   */
  readonly signal: AbortSignal;
  /**
   * Runs a long-lived loop (a reconnect loop, a serial reader) beside the plugin, so `onStart` can
   * return at once. `fn` gets the plugin's signal and should end soon after it is aborted: on stop,
   * the signal is aborted and running tasks are awaited (up to the hook timeout) before `onStop`
   * runs. A task that fails is logged and counted as the plugin's error; ending because the signal
   * was aborted is not a failure.
   *
   * @example
   * ctx.task("reader", async (signal) => {
   *   while (!signal.aborted) await readOnce(signal);
   * });
   */
  task(name: string, fn: (signal: AbortSignal) => unknown): void;
  readonly integration: PluginIntegration;
  readonly services: PluginServices;
  readonly events: PluginEvents;
  readonly state: PluginState;
  /** Storage limited to the namespace `<plugin>` and namespaces starting with `<plugin>.`. */
  readonly storage: StorageOps;
  readonly http: {
    register(endpoint: Omit<EndpointDefinition, "service" | "base"> & { service: string }): void;
  };
  /**
   * The hardware ports (`serial`, `gpio`): what the plugin opens is its own, closed when it stops,
   * fails or unloads, and refused to other plugins meanwhile.
   */
  readonly hardware: PluginHardware;
}

export type PluginHook<C> = (ctx: PluginContext<C>) => void | Promise<void>;

/**
 * A plugin's code. Each hook runs at most once per load, under a timeout. A hook's counterpart runs only
 * when the hook itself succeeded: `onUnload` after a successful `onLoad` (also when `onStart` then
 * fails), `onStop` after a successful `onStart`. A hook that throws or times out fails the plugin, and
 * everything it registered through the context is removed.
 */
export interface PluginDefinition<C = Record<string, unknown>> {
  /**
   * Validates `plugins.<name>.config`; its output is `ctx.config`. An external plugin, which cannot
   * import zod, passes a function that receives zod: `configSchema: (z) => z.object({ … })`.
   */
  configSchema?: z.ZodType<C> | ((zod: typeof z) => z.ZodType<C>);
  onLoad?: PluginHook<C>;
  onStart?: PluginHook<C>;
  onStop?: PluginHook<C>;
  onUnload?: PluginHook<C>;
}
