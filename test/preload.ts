import { installSerialportShim } from "../src/hal/serial/bindings-cpp-plugin.ts";

// Tests keep their output readable: the runtime's own logs are off unless a test asks for them.
process.env.HEARTH_LOG_LEVEL ??= "silent";

// Libraries that import `@serialport/bindings-cpp` (zigbee-herdsman) get Hearth's Bun binding, as in `hearth run`.
installSerialportShim();
