/**
 * External tools some tests need (systemd-analyze, promtool, qemu). On a developer machine without
 * them those tests are skipped with a visible reason; under CI (CI=true, where .ci/run installs them)
 * a missing tool fails the test instead, so nothing is silently not tested there.
 */
export function toolAvailable(tool: string): boolean {
  const found = Bun.which(tool) !== null;
  if (!found && process.env.CI === "true") {
    throw new Error(`${tool} is required under CI (.ci/run installs it) but is not on PATH`);
  }
  if (!found) console.warn(`skipping tests that need ${tool}: not installed`);
  return found;
}
