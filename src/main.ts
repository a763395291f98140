#!/usr/bin/env bun
// The `hearth` executable. The only file in src/ allowed to write to the console directly.
import { runCli } from "./cli/commands.ts";

const io = {
  out: (text: string) => process.stdout.write(text),
  err: (text: string) => process.stderr.write(text),
};

try {
  process.exitCode = await runCli(process.argv.slice(2), io);
} catch (err) {
  console.error("hearth: unexpected error:", err);
  process.exitCode = 1;
}
