/**
 * The process-wide GPIO: one driver instance per process (plugins never open their own), and the
 * record of which plugin holds which line.
 */

import { errorMessage } from "../../errors.ts";
import { createGpio, type Gpio, type SimGpio } from "../../hal/gpio/index.ts";
import type { Logger } from "../log/types.ts";
import type { GpioHardwareConfig, SharedGpio } from "./types.ts";

export interface SharedGpioOptions {
  config: GpioHardwareConfig;
  /** The `{ component: "hardware" }` logger. */
  log: Logger;
}

export function createSharedGpio(options: SharedGpioOptions): SharedGpio {
  const { config, log } = options;
  let instance: Promise<Gpio> | undefined;
  const holders = new Map<string, { chip: string; offset: number; plugin: string }>();
  const sims = new Map<string, Set<SimGpio>>();
  const key = (chip: string, offset: number) => `${chip}:${offset}`;

  return {
    config,
    get() {
      instance ??= createGpio({
        driver: config.driver,
        sysfsRoot: config.sysfsRoot,
        devDir: config.devDir,
        onError: (err) => log.warn({ err: errorMessage(err) }, "a GPIO edge callback failed"),
      }).then(
        (gpio) => {
          log.info({ ...gpio.selection }, `GPIO driver: ${gpio.selection.driver} (${gpio.selection.reason})`);
          return gpio;
        },
        (err: unknown) => {
          instance = undefined;
          throw err;
        },
      );
      return instance;
    },
    holder: (chip, offset) => holders.get(key(chip, offset))?.plugin,
    claim(chip, offset, plugin) {
      holders.set(key(chip, offset), { chip, offset, plugin });
    },
    release(chip, offset, plugin) {
      if (holders.get(key(chip, offset))?.plugin === plugin) holders.delete(key(chip, offset));
    },
    held: () => [...holders.values()].map((h) => ({ ...h })),
    sims: (plugin) => [...(sims.get(plugin) ?? [])],
    addSim(plugin, sim) {
      const set = sims.get(plugin) ?? new Set<SimGpio>();
      sims.set(plugin, set);
      set.add(sim);
    },
    removeSim(plugin, sim) {
      const set = sims.get(plugin);
      set?.delete(sim);
      if (set?.size === 0) sims.delete(plugin);
    },
    async close() {
      const pending = instance;
      instance = undefined;
      if (pending === undefined) return;
      const gpio = await pending.catch(() => undefined);
      await gpio?.close();
    },
  };
}
