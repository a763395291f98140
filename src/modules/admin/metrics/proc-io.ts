import { readFileSync } from "node:fs";

/** `write_bytes` from a `/proc/<pid>/io` file: bytes this process caused to reach the block layer. */
export function readWriteBytes(path: string): number | undefined {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
  const match = /^write_bytes:\s*(\d+)\s*$/m.exec(text);
  if (!match?.[1]) return undefined;
  const value = Number(match[1]);
  return Number.isSafeInteger(value) ? value : undefined;
}
