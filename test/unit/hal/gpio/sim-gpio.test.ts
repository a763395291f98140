import { createSimGpio } from "../../../../src/hal/gpio/index.ts";
import { gpioContract } from "./gpio.contract.ts";
import { createManualTimers } from "./manual-timers.ts";

gpioContract("sim", async () => {
  const timers = createManualTimers();
  const gpio = createSimGpio({ timers });
  return {
    gpio,
    input: 17,
    output: 27,
    invalid: 28,
    drive: async (level) => gpio.drive(17, level),
    observe: async () => gpio.level(27),
    advance: async (ms) => timers.advance(ms),
    pendingTimers: () => timers.pending(),
    cleanup: async () => {},
  };
});
