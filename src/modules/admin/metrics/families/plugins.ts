import { MonotonicCounter } from "../exposition.ts";
import type { Families } from "./types.ts";

/** The state and own errors of each plugin and module. */
export function pluginFamilies(): Families {
  const pluginErrors = new MonotonicCounter();
  const moduleErrors = new MonotonicCounter();
  return (out, m) => {
    if (m === undefined) return;
    out.gauge(
      "hearth_plugin_state",
      "Current lifecycle state of each plugin; always 1.",
      m.plugins.map((p) => [{ plugin: p.name, state: p.state }, 1] as const),
    );
    out.gauge(
      "hearth_plugin_health",
      "What each running plugin says of its health (ok, degraded, error); always 1.",
      m.plugins
        .filter((p) => p.state === "started")
        .map((p) => [{ plugin: p.name, status: p.health?.status ?? "ok" }, 1] as const),
    );
    for (const p of m.plugins) pluginErrors.feed(p.name, { plugin: p.name }, p.errorCount);
    out.counter(
      "hearth_plugin_errors_total",
      "The plugin's own failures: hooks, bus handlers, timers, watchers and service faults (not callers' 4xx mistakes).",
      pluginErrors.samples(),
    );
    out.gauge(
      "hearth_module_state",
      "Current lifecycle state of each module; always 1.",
      m.modules.map((mod) => [{ module: mod.name, state: mod.state }, 1] as const),
    );
    for (const mod of m.modules) moduleErrors.feed(mod.name, { module: mod.name }, mod.errorCount);
    out.counter("hearth_module_errors_total", "Hook failures of each module.", moduleErrors.samples());
  };
}
