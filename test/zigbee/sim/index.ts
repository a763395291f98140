/** The Z-Stack stick simulator: a ZNP peer for zigbee-herdsman, with simulated devices. */
export type { SimDevice, SimDeviceKind } from "./devices.ts";
export { Cluster, SIM_DEVICE_KINDS } from "./devices.ts";
export { encodeFrame, FrameParser, type ZnpFrame } from "./frame.ts";
export { type DeliveredZcl, ZnpStick, type ZnpStickOptions } from "./stick.ts";
export { attachPty, attachTcp, type SimTransport } from "./transport.ts";
