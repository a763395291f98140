/**
 * Checks a Home Assistant discovery config against the checked-in table of the keys Home Assistant
 * requires per component (plugins/mqtt/ha-required.json). Shared by the unit and integration tests.
 */
import type { DiscoveryEntry } from "../../../plugins/mqtt/discovery.ts";
import table from "../../../plugins/mqtt/ha-required.json" with { type: "json" };

/** Every problem with one config, measured against the table. */
export function problems(e: DiscoveryEntry): string[] {
  const out: string[] = [];
  const spec = (table.components as Record<string, { required: string[]; schema?: string }>)[e.component];
  if (spec === undefined) return [`${e.topic}: component ${e.component} is not in the table`];
  for (const key of [...table.common, ...spec.required]) {
    if (e.config[key] === undefined || e.config[key] === "") out.push(`${e.topic}: missing ${key}`);
  }
  if (spec.schema !== undefined && e.config.schema !== spec.schema)
    out.push(`${e.topic}: schema is not ${spec.schema}`);
  const dev = e.config.device as Record<string, unknown> | undefined;
  if (
    dev !== undefined &&
    !table.device.required_one_of.some((k) => Array.isArray(dev[k]) && (dev[k] as unknown[]).length > 0)
  ) {
    out.push(`${e.topic}: device has neither identifiers nor connections`);
  }
  for (const [path, allowed] of Object.entries(table.enums)) {
    const [component, key] = path.split(".") as [string, string];
    if (component !== e.component || e.config[key] === undefined) continue;
    const values = Array.isArray(e.config[key]) ? (e.config[key] as unknown[]) : [e.config[key]];
    for (const v of values)
      if (!allowed.includes(v as string))
        out.push(`${e.topic}: ${key} ${String(v)} is not one of ${allowed}`);
  }
  if (!/^homeassistant\/[a-z_]+\/house\/[a-zA-Z0-9_-]+\/config$/.test(e.topic))
    out.push(`${e.topic}: bad topic`);
  return out;
}
