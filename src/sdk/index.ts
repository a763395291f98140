/**
 * The Hearth plugin SDK: the only import a plugin may use.
 *
 * External plugins (a folder in `pluginsDir`) run inside the compiled binary and cannot import
 * Hearth's code by path, so everything they need arrives through the context argument of their
 * hooks, and `definePlugin` is an identity function whose value is its types. An external plugin
 * uses `import type` from here, or nothing at all.
 */
import type { PluginDefinition } from "./types.ts";

export type {
  GpioBias,
  GpioChipInfo,
  GpioDirection,
  GpioEdge,
  GpioEdgeEvent,
  GpioLine,
  GpioLineInfo,
  GpioLineRef,
  GpioOpenOptions,
  GpioSelection,
  GpioValue,
  PluginGpio,
  PluginHardware,
  SimChipOptions,
  SimGpio,
  SimLevelChange,
} from "./hardware.ts";

export type {
  BusEvent,
  EndpointDefinition,
  EventHandler,
  Logger,
  PluginContext,
  PluginDefinition,
  PluginErrors,
  PluginEvents,
  PluginHook,
  PluginIntegration,
  PluginSerial,
  PluginServices,
  PluginState,
  PluginStatus,
  PluginTimers,
  SerialOpenOptions,
  SerialPort,
  SerialPortInfo,
  StorageOps,
} from "./types.ts";

/**
 * Declares a plugin. Returns its argument unchanged; exists for the types.
 *
 * @example
 * export default definePlugin({
 *   async onStart(ctx) {
 *     ctx.services.register("ping", () => ({ pong: true }));
 *     ctx.setInterval(() => ctx.events.publish("demo.ticked", {}), 1000);
 *   },
 * });
 */
export function definePlugin<C = Record<string, unknown>>(
  definition: PluginDefinition<C>,
): PluginDefinition<C> {
  return definition;
}
