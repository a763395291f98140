#!/usr/bin/env bun
/**
 * Prints the README's error table from the catalogue in src/errors.ts; with --write, replaces the
 * table between the README's error-table markers. A test keeps README and catalogue in step.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ERROR_CODES } from "../src/errors.ts";

const START = "<!-- error-table:start -->";
const END = "<!-- error-table:end -->";

const rows = Object.entries(ERROR_CODES).map(
  ([code, spec]) =>
    `| \`${code}\` | ${spec.httpStatus} | ${spec.retryable ? "yes" : "no"} | ${spec.description} |`,
);
const table = ["| code | HTTP | retryable | meaning |", "|---|---|---|---|", ...rows].join("\n");

if (Bun.argv.includes("--write")) {
  const path = join(import.meta.dir, "..", "README.md");
  const readme = readFileSync(path, "utf8");
  const a = readme.indexOf(START);
  const b = readme.indexOf(END);
  if (a < 0 || b < a) throw new Error(`README.md has no ${START} … ${END} block`);
  writeFileSync(path, `${readme.slice(0, a + START.length)}\n${table}\n${readme.slice(b)}`);
  console.log(`README.md: error table rewritten (${rows.length} codes)`);
} else {
  console.log(table);
}
