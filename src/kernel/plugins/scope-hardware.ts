/**
 * `ctx.hardware`: built from one part per port. Each part gives the plugin its API and closes what
 * the plugin opened when its load ends (after onStop/onUnload, so a plugin can still put outputs in
 * a safe state there). A new port adds one part here.
 */
import { errorMessage } from "../../errors.ts";
import type { PluginHardware } from "../../sdk/hardware.ts";
import type { Hardware } from "../hardware/types.ts";
import type { Logger } from "../log/types.ts";
import { scopedGpio } from "./scope-gpio.ts";
import { scopedSerial } from "./scope-hardware-serial.ts";
import type { ScopeLife } from "./scope-life.ts";

/** One port as a plugin sees it. */
export interface HardwarePart<A> {
  api: A;
  /** Closes everything the plugin opened through `api`; later calls are refused. */
  release(): Promise<void>;
}

export function scopedHardware(
  life: ScopeLife,
  hardware: Hardware | undefined,
  log: Logger,
): HardwarePart<PluginHardware> {
  const serial = scopedSerial(life);
  const parts = {
    serial: {
      api: serial.api,
      // Resolves once every port is closed and its device free for the next load or another plugin.
      release: () => serial.close(),
    },
    gpio: scopedGpio(life, hardware?.gpio),
  };
  return {
    api: Object.freeze({ serial: parts.serial.api, gpio: parts.gpio.api }),
    async release() {
      for (const [port, part] of Object.entries(parts)) {
        try {
          await part.release();
        } catch (err) {
          log.error({ err: errorMessage(err), port }, "closing the plugin's hardware failed");
        }
      }
    },
  };
}
