import { isHearthError } from "../../errors.ts";
import type { LifecycleHook } from "./hooks.ts";
import type { ModuleContext, ModuleDefinition, ModuleInfo, ModuleState } from "./types.ts";

/** The manager's record of one module. */
export class ModuleEntry {
  readonly def: ModuleDefinition;
  readonly name: string;
  readonly required: boolean;
  state: ModuleState = "added";
  /** Stop has been called (or skipped for good). */
  stopDone = false;
  error: ModuleInfo["error"];
  registerMs: number | undefined;
  startMs: number | undefined;
  errorCount = 0;
  /** The operation now running on this module (settles, never rejects). */
  busy: Promise<void> | undefined;
  #ctx: ModuleContext | undefined;
  #ctxBase: ModuleContext | undefined;

  constructor(def: ModuleDefinition, required: boolean) {
    this.def = def;
    this.name = def.name;
    this.required = required;
  }

  /** The context this module's hooks get: the runtime's, with a `{ module: <name> }` logger. */
  context(base: ModuleContext): ModuleContext {
    if (this.#ctxBase !== base || this.#ctx === undefined) {
      this.#ctxBase = base;
      this.#ctx = { ...base, log: base.log.child({ module: this.name }) };
    }
    return this.#ctx;
  }

  fail(hook: LifecycleHook, err: unknown): void {
    this.errorCount++;
    const message = err instanceof Error ? err.message : String(err);
    this.error = { hook, message, ...errorCodeOf(err) };
  }

  info(): ModuleInfo {
    const info: ModuleInfo = {
      name: this.name,
      required: this.required,
      state: this.state,
      errorCount: this.errorCount,
    };
    if (this.error !== undefined) info.error = { ...this.error };
    if (this.registerMs !== undefined) info.registerMs = this.registerMs;
    if (this.startMs !== undefined) info.startMs = this.startMs;
    return info;
  }
}

function errorCodeOf(err: unknown): { code?: string } {
  if (isHearthError(err)) return { code: err.code };
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === "string" ? { code } : {};
}
