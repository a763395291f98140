import { defineModule, type ModuleDefinition } from "../../../../src/kernel/modules/index.ts";

type Hook = "register" | "start" | "stop";

export interface ModuleBehaviour {
  required?: boolean;
  /** Hooks that throw. */
  fail?: Hook[];
  /** Hooks that never settle. */
  hang?: Hook[];
}

/** Builds modules whose hooks append `"<name>.<hook>"` to one shared call log. */
export function recorder() {
  const calls: string[] = [];
  function module(name: string, behaviour: ModuleBehaviour = {}): ModuleDefinition {
    const hook = (h: Hook) => async () => {
      calls.push(`${name}.${h}`);
      await Promise.resolve();
      if (behaviour.fail?.includes(h)) throw new Error(`${name} ${h} broke`);
      if (behaviour.hang?.includes(h)) await new Promise<never>(() => {});
    };
    return defineModule({
      name,
      required: behaviour.required ?? true,
      register: hook("register"),
      start: hook("start"),
      stop: hook("stop"),
    });
  }
  return { calls, module };
}
