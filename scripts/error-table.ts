#!/usr/bin/env bun
// Prints the README's error table from the catalogue in src/errors.ts (paste it under "Error codes").
import { ERROR_CODES } from "../src/errors.ts";

console.log("| code | HTTP | retryable | meaning |");
console.log("|---|---|---|---|");
for (const [code, spec] of Object.entries(ERROR_CODES)) {
  console.log(
    `| \`${code}\` | ${spec.httpStatus} | ${spec.retryable ? "yes" : "no"} | ${spec.description} |`,
  );
}
