#!/usr/bin/env bun
// The `hearth` executable. The only file in src/ allowed to write to the console directly.
import { runCli } from "./cli/commands.ts";
import { STARTUP } from "./cli/startup.ts";
import { installSerialportShim } from "./hal/serial/bindings-cpp-plugin.ts";

// Everything before this line: Bun itself, loading the bundle, evaluating main's static imports.
STARTUP.mark("bundle loaded");

// Libraries that import `@serialport/bindings-cpp` (zigbee-herdsman) get Hearth's Bun binding.
installSerialportShim();

const io = {
  out: (text: string) => process.stdout.write(text),
  err: (text: string) => process.stderr.write(text),
};

const argv = process.argv.slice(2);
try {
  process.exitCode = await runCli(argv, io);
} catch (err) {
  console.error("hearth: unexpected error:", err);
  process.exitCode = 1;
}
// A stopped runtime may still hold handles a plugin opened on its own (a socket, a child): the
// service ends explicitly once it has stopped and flushed.
if (argv[0] === "run") process.exit(process.exitCode);
