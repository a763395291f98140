import type { ServiceStats } from "../services/types.ts";
import type { PluginHealth, PluginInfo, PluginProblem, PluginsHealth } from "./types.ts";

/** Sums the registry's counters of the services a plugin registered in its current load. */
export function sumStats(
  names: Iterable<string>,
  stats: Record<string, ServiceStats>,
): { calls: number; failures: number; faults: number } {
  let calls = 0;
  let failures = 0;
  let faults = 0;
  for (const name of names) {
    const s = stats[name];
    if (s === undefined) continue;
    calls += s.calls;
    failures += s.failures;
    faults += s.faults;
  }
  return { calls, failures, faults };
}

/** Degraded when an enabled plugin failed or was skipped, or a folder could not become a plugin. */
export function healthOf(infos: readonly PluginInfo[], problems: readonly PluginProblem[]): PluginsHealth {
  const plugins: Record<string, PluginHealth> = {};
  const down: string[] = [];
  for (const info of infos) {
    const bad = info.enabled && (info.state === "failed" || info.state === "skipped");
    const said = info.state === "started" ? info.health : undefined;
    if (said !== undefined && said.status !== "ok") {
      // The plugin runs but says it cannot do its job (stick unplugged, broker unreachable).
      const why = said.reason === undefined ? said.status : `${said.status}: ${said.reason}`;
      down.push(`${info.name} (${why})`);
      plugins[info.name] = { status: "degraded", state: info.state, detail: why };
    } else if (bad) {
      down.push(`${info.name} (${info.state})`);
      plugins[info.name] = {
        status: "degraded",
        state: info.state,
        detail: info.error?.message ?? info.state,
      };
    } else {
      plugins[info.name] = { status: "healthy", state: info.state };
    }
  }
  for (const p of problems) {
    down.push(`${p.name ?? p.source} (invalid)`);
    plugins[p.source] = { status: "degraded", state: "invalid", detail: p.error.message };
  }
  if (down.length === 0) return { status: "healthy", plugins };
  return { status: "degraded", detail: `not running or not well: ${down.join(", ")}`, plugins };
}
