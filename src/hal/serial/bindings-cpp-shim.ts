/**
 * Stands in for `@serialport/bindings-cpp` (a native addon that cannot run on Bun) for libraries
 * that call its `autoDetect()` at import, such as zigbee-herdsman. `bun run`, tests and the compiled
 * binary resolve the package name to this file (see `bindings-cpp-plugin.ts`), so the library's code
 * is unchanged.
 *
 * The binding returned delegates each call to the binding in `globalThis[HOST_BINDING]` at the time
 * of the call — a plugin puts its `ctx.hardware.serial.binding` there, so the ports the library
 * opens are the plugin's own (closed when it stops, refused to others) — or, when none is set, to
 * the plain Bun binding.
 */
import type { BindingInterface, OpenOptions, PortInfo } from "@serialport/bindings-interface";
import { BunSerialBinding } from "./binding.ts";

/** Where a plugin puts the binding that libraries resolving `@serialport/bindings-cpp` should use. */
export const HOST_BINDING: unique symbol = Symbol.for("hearth.serialport.binding") as never;

type AnyBinding = BindingInterface<never, OpenOptions, PortInfo>;

function current(): AnyBinding {
  const slot = (globalThis as Record<symbol, unknown>)[HOST_BINDING];
  return (slot ?? BunSerialBinding) as AnyBinding;
}

const DelegatingBinding = {
  list: () => current().list(),
  open: (options: OpenOptions) => current().open(options),
};

/** What bindings-cpp's `autoDetect()` returns: a serialport binding (here, Hearth's). */
export function autoDetect(): typeof DelegatingBinding {
  return DelegatingBinding;
}

export default { autoDetect };
