import { HearthError } from "../../errors.ts";
import { assertName } from "../names/index.ts";
import type { DefinedModule, ModuleDefinition } from "./types.ts";

const HOOKS = ["register", "start", "stop", "health"] as const;

/**
 * Declares a built-in module. Returns the definition with `required` defaulting to true.
 *
 * @example
 * export const clock = defineModule({
 *   name: "clock",
 *   register(ctx) { ctx.services.register("clock.now", () => Date.now(), { owner: "clock" }); },
 * });
 */
export function defineModule(def: ModuleDefinition): DefinedModule {
  return { ...def, required: def.required ?? true };
}

/** Throws INVALID_ARGUMENT unless `module` looks like a module definition. */
export function checkModule(module: unknown): asserts module is ModuleDefinition {
  if (module === null || typeof module !== "object") {
    throw new HearthError("INVALID_ARGUMENT", "A module must be an object made by defineModule()");
  }
  const def = module as Record<string, unknown>;
  // Modules register services and endpoints under their own name, so it must be a valid owner name.
  assertName(def.name, "module name");
  for (const hook of HOOKS) {
    if (def[hook] !== undefined && typeof def[hook] !== "function") {
      throw new HearthError("INVALID_ARGUMENT", `Module "${def.name}": ${hook} must be a function`, {
        data: { module: def.name, hook },
      });
    }
  }
  if (def.required !== undefined && typeof def.required !== "boolean") {
    throw new HearthError("INVALID_ARGUMENT", `Module "${def.name}": required must be a boolean`, {
      data: { module: def.name },
    });
  }
}
