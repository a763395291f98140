import { errorMessage } from "../../errors.ts";
import type { ModuleEntry } from "./entry.ts";
import type { ComponentHealth, ComponentStatus, ModulesHealth } from "./types.ts";

const RANK: Record<ComponentStatus, number> = { healthy: 0, degraded: 1, unhealthy: 2 };
const STATUSES = new Set<unknown>(Object.keys(RANK));

/**
 * Each module's health, and the worst of them as the overall status. An optional module can make
 * the whole at most degraded: the runtime works without it.
 */
export function modulesHealth(entries: Iterable<ModuleEntry>): ModulesHealth {
  let overall: ComponentStatus = "healthy";
  const modules: Record<string, ComponentHealth> = {};
  for (const entry of entries) {
    const health = moduleHealth(entry);
    modules[entry.name] = health;
    const counted: ComponentStatus =
      !entry.required && health.status === "unhealthy" ? "degraded" : health.status;
    if (RANK[counted] > RANK[overall]) overall = counted;
  }
  return { status: overall, modules };
}

function moduleHealth(entry: ModuleEntry): ComponentHealth {
  if (entry.state === "failed") {
    const e = entry.error;
    return { status: "unhealthy", detail: e === undefined ? "failed" : `${e.hook} failed: ${e.message}` };
  }
  // The module's own view is asked only while it runs: before start or after stop it has nothing to say.
  if (entry.state !== "started" || entry.def.health === undefined) {
    return { status: "healthy", detail: entry.state };
  }
  try {
    const result: unknown = entry.def.health.call(entry.def);
    const status = (result as ComponentHealth | null)?.status;
    if (!STATUSES.has(status)) {
      return { status: "unhealthy", detail: "health() returned no valid status" };
    }
    const detail = (result as ComponentHealth).detail;
    return typeof detail === "string"
      ? { status: status as ComponentStatus, detail }
      : { status: status as ComponentStatus };
  } catch (err) {
    return { status: "unhealthy", detail: `health() threw: ${errorMessage(err)}` };
  }
}
