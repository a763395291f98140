/**
 * The hardware the kernel shares among plugins: one instance of each port per process, and which
 * plugin holds what. Plugins reach it only through `ctx.hardware` (kernel/plugins/scope-hardware.ts).
 */
import type { Logger } from "../log/types.ts";
import { createSharedGpio } from "./gpio.ts";
import type { GpioHardwareConfig, Hardware } from "./types.ts";

export { createSharedGpio, type SharedGpioOptions } from "./gpio.ts";
export type { GpioHardwareConfig, Hardware, SharedGpio } from "./types.ts";

export interface HardwareOptions {
  gpio: GpioHardwareConfig;
  logger: Logger;
}

/**
 * Builds the shared hardware; nothing is opened until a plugin asks.
 *
 * @example
 * const hardware = createHardware({ gpio: config.hardware.gpio, logger });
 */
export function createHardware(options: HardwareOptions): Hardware {
  const log = options.logger.child({ component: "hardware" });
  const gpio = createSharedGpio({ config: options.gpio, log });
  return Object.freeze({
    gpio,
    async close() {
      try {
        await gpio.close();
      } catch (err) {
        log.warn({ err: String(err) }, "closing GPIO failed");
      }
    },
  });
}
