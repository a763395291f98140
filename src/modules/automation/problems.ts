/**
 * What is wrong with a rule's references: devices, areas and services that do not exist (now), a
 * sun trigger or condition with no location configured. Such rules are accepted (the device may be
 * announced later) but shown with `problems`, and make the module's health degraded.
 */
import type { Kernel } from "../../kernel/types.ts";
import type { Location } from "./schedule.ts";
import type { Action, Condition, Rule, Trigger } from "./schema.ts";
import { isTemplate } from "./template.ts";

export interface References {
  device(id: string): boolean;
  area(name: string): boolean;
  service(name: string): boolean;
  location: Location | undefined;
}

/** The references as they are now; areas are collected once per call. */
export function referencesOf(
  kernel: Pick<Kernel, "state" | "services">,
  location: Location | undefined,
): References {
  let areas: Set<unknown> | undefined;
  return {
    device: (id) => kernel.state.has(`devices/${id}`),
    area: (name) => {
      areas ??= new Set(
        kernel.state.keys("devices/*").map((k) => (kernel.state.get(k) as { area?: unknown })?.area),
      );
      return areas.has(name);
    },
    service: (name) => kernel.services.has(name),
    location,
  };
}

function each<T>(list: readonly T[] | undefined, f: (x: T, i: number) => void): void {
  if (list !== undefined) for (let i = 0; i < list.length; i++) f(list[i] as T, i);
}

export function problemsOf(
  rule: Rule,
  kernel: Pick<Kernel, "state" | "services">,
  location: Location | undefined,
  refs: References = referencesOf(kernel, location),
): string[] {
  const out = new Set<string>();
  const device = (id: string | undefined, where: string) => {
    if (id !== undefined && !isTemplate(id) && !refs.device(id)) out.add(`${where}: no device "${id}"`);
  };
  const area = (name: string | undefined, where: string) => {
    if (name !== undefined && !isTemplate(name) && !refs.area(name))
      out.add(`${where}: no device in area "${name}"`);
  };
  const sun = (where: string) => {
    if (refs.location === undefined) out.add(`${where}: location.latitude/longitude are not configured`);
  };
  const trigger = (t: Trigger, where: string) => {
    if (t.type === "device") {
      device(t.device, where);
      area(t.area, where);
    } else if (t.type === "sun") sun(where);
  };
  const condition = (c: Condition, where: string): void => {
    if (c.type === "device") device(c.device, where);
    else if (c.type === "sun") sun(where);
    else if (c.type === "and" || c.type === "or" || c.type === "not") {
      each(c.conditions, (x, i) => condition(x, `${where}.conditions[${i}]`));
    }
  };
  const action = (a: Action, where: string): void => {
    switch (a.type) {
      case "device_command":
        device(a.device, where);
        area(a.area, where);
        break;
      case "service_call":
        if (!refs.service(a.service)) out.add(`${where}: no service "${a.service}"`);
        break;
      case "wait_for_trigger":
        each(a.triggers, (t, i) => trigger(t, `${where}.triggers[${i}]`));
        break;
      case "choose":
        each(a.choose, (o, i) => {
          each(o.conditions, (c, j) => condition(c, `${where}.choose[${i}].conditions[${j}]`));
          each(o.actions, (x, j) => action(x, `${where}.choose[${i}].actions[${j}]`));
        });
        each(a.default, (x, j) => action(x, `${where}.default[${j}]`));
        break;
      case "if":
        each(a.if, (c, j) => condition(c, `${where}.if[${j}]`));
        each(a.then, (x, j) => action(x, `${where}.then[${j}]`));
        each(a.else, (x, j) => action(x, `${where}.else[${j}]`));
        break;
      case "repeat":
        for (const key of ["while", "until"] as const)
          each(a[key], (c, j) => condition(c, `${where}.${key}[${j}]`));
        each(a.actions, (x, j) => action(x, `${where}.actions[${j}]`));
        break;
      default:
        break;
    }
  };
  each(rule.triggers, (t, i) => trigger(t, `triggers[${i}]`));
  each(rule.conditions, (c, i) => condition(c, `conditions[${i}]`));
  each(rule.actions, (a, i) => action(a, `actions[${i}]`));
  return [...out];
}
