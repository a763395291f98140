/**
 * The GPIO port. Importing it loads no FFI: the gpiochip driver (and bun:ffi with it) is loaded only
 * when `createGpio` picks it.
 */
export { type CreateGpioOptions, createGpio } from "./create-gpio.ts";
export { headerPinToLine, lineToHeaderPin, RPI_HEADER } from "./header.ts";
export { RPI_HEADER_CHIP_LABELS } from "./line-base.ts";
export {
  createSimGpio,
  type SimChipOptions,
  type SimGpio,
  type SimGpioOptions,
  type SimLevelChange,
} from "./sim-gpio.ts";
export { createSysfsGpio, type SysfsGpioOptions } from "./sysfs-gpio.ts";
export type {
  Gpio,
  GpioBias,
  GpioChipInfo,
  GpioCommonOptions,
  GpioDirection,
  GpioDriverName,
  GpioEdge,
  GpioEdgeEvent,
  GpioLine,
  GpioLineInfo,
  GpioLineRef,
  GpioOpenOptions,
  GpioSelection,
  GpioTimerHandle,
  GpioTimers,
  GpioValue,
} from "./types.ts";
