/**
 * USB ids of common Zigbee coordinator sticks. Kept small on purpose: an id found here is what
 * `hearth ports` shows next to a device, so a user can tell which path to put in the zigbee config.
 */
import type { KnownSerialAdapter } from "./types.ts";

export const KNOWN_SERIAL_ADAPTERS: readonly KnownSerialAdapter[] = Object.freeze([
  {
    vendorId: "0451",
    productId: "16a8",
    name: "Texas Instruments CC2531/CC2652 (Z-Stack)",
    protocol: "zigbee",
    stack: "zstack",
    generic: false,
  },
  {
    vendorId: "10c4",
    productId: "ea60",
    name: "Silicon Labs CP210x bridge (e.g. Sonoff ZBDongle-P, CC2652P)",
    protocol: "zigbee",
    stack: "zstack",
    generic: true,
  },
  {
    vendorId: "1a86",
    productId: "55d4",
    name: "WCH CH9102 bridge (e.g. Sonoff ZBDongle-E, EFR32MG21)",
    protocol: "zigbee",
    stack: "ember",
    generic: true,
  },
  {
    vendorId: "1cf1",
    productId: "0030",
    name: "dresden elektronik ConBee II",
    protocol: "zigbee",
    stack: "deconz",
    generic: false,
  },
]);

/** The known adapter with these ids (hex, any case), if any. */
export function findKnownAdapter(vendorId?: string, productId?: string): KnownSerialAdapter | undefined {
  if (!vendorId || !productId) return undefined;
  const v = vendorId.toLowerCase();
  const p = productId.toLowerCase();
  return KNOWN_SERIAL_ADAPTERS.find((a) => a.vendorId === v && a.productId === p);
}
