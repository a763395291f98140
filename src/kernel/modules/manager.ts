import { errorMessage, HearthError } from "../../errors.ts";
import { type Logger, silentLogger } from "../log/index.ts";
import { checkTimeout } from "../util/index.ts";
import { checkModule } from "./define.ts";
import { ModuleEntry } from "./entry.ts";
import { modulesHealth } from "./health.ts";
import { runHook } from "./hooks.ts";
import type {
  AddModuleOptions,
  ModuleContext,
  ModuleDefinition,
  ModuleInfo,
  ModuleManager,
  ModuleManagerOptions,
  ModulesHealth,
} from "./types.ts";

const DEFAULT_HOOK_TIMEOUT_MS = 10_000;

function noop(): void {}

/**
 * Creates the module manager. The runtime builds the ModuleContext and passes it to each phase;
 * every module's hooks get it with a `{ module: <name> }` child logger.
 *
 * @example
 * const modules = createModuleManager({ logger });
 * modules.add(createLoggerModule());
 * await modules.registerAll(ctx);
 * await modules.startAll(ctx);
 * // …
 * await modules.stopAll(ctx);
 */
export function createModuleManager(options: ModuleManagerOptions = {}): ModuleManager {
  const timeout = checkTimeout(options.hookTimeoutMs ?? DEFAULT_HOOK_TIMEOUT_MS, "hookTimeoutMs");
  return new Manager((options.logger ?? silentLogger()).child({ component: "modules" }), timeout);
}

class Manager implements ModuleManager {
  readonly #log: Logger;
  readonly #timeoutMs: number;
  /** In add order. */
  readonly #entries: ModuleEntry[] = [];
  readonly #byName = new Map<string, ModuleEntry>();
  /** In the order their register hook succeeded: stop walks it backwards. */
  readonly #registered: ModuleEntry[] = [];
  #ctx: ModuleContext | undefined;
  #registerCalled = false;
  #startCalled = false;
  #stopping: Promise<void> | undefined;

  constructor(log: Logger, timeoutMs: number) {
    this.#log = log;
    this.#timeoutMs = timeoutMs;
  }

  add(module: ModuleDefinition, options: AddModuleOptions = {}): void {
    this.#add(module, options);
  }

  async registerDynamic(module: ModuleDefinition, options: AddModuleOptions = {}): Promise<void> {
    this.#refuseWhenStopping("register a module");
    const entry = this.#add(module, options);
    if (this.#registerCalled) await this.#register(entry);
    if (this.#startCalled) await this.#start(entry);
  }

  async registerAll(ctx: ModuleContext): Promise<void> {
    this.#refuseWhenStopping("register modules");
    this.#ctx = ctx;
    this.#registerCalled = true;
    // Indexed loop: modules added while registering are picked up in turn.
    for (let i = 0; i < this.#entries.length; i++) {
      this.#refuseWhenStopping("register modules");
      await this.#register(this.#entries[i] as ModuleEntry);
    }
  }

  async startAll(ctx: ModuleContext): Promise<void> {
    this.#refuseWhenStopping("start modules");
    this.#ctx = ctx;
    this.#registerCalled = true;
    this.#startCalled = true;
    for (let i = 0; i < this.#entries.length; i++) {
      this.#refuseWhenStopping("start modules");
      const entry = this.#entries[i] as ModuleEntry;
      await this.#register(entry);
      await this.#start(entry);
    }
  }

  stopAll(ctx?: ModuleContext): Promise<void> {
    if (this.#stopping === undefined) this.#stopping = this.#stopAll(ctx ?? this.#ctx);
    return this.#stopping;
  }

  list(): ModuleInfo[] {
    return this.#entries.map((e) => e.info());
  }

  get(name: string): ModuleInfo | undefined {
    return this.#byName.get(name)?.info();
  }

  health(): ModulesHealth {
    return modulesHealth(this.#entries);
  }

  #add(module: ModuleDefinition, options: AddModuleOptions): ModuleEntry {
    checkModule(module);
    const existing = this.#byName.get(module.name);
    if (existing !== undefined) {
      if (existing.def === module) return existing;
      throw new HearthError(
        "MODULE_ALREADY_REGISTERED",
        `Another module is already registered under the name "${module.name}"`,
        { data: { module: module.name } },
      );
    }
    const required = options.required ?? module.required ?? true;
    const entry = new ModuleEntry(module, required);
    this.#entries.push(entry);
    this.#byName.set(entry.name, entry);
    return entry;
  }

  #register(entry: ModuleEntry): Promise<void> {
    return this.#exclusive(entry, async () => {
      if (entry.state !== "added") return;
      if (!(await this.#run(entry, "register"))) return;
      entry.state = "registered";
      this.#registered.push(entry);
    });
  }

  #start(entry: ModuleEntry): Promise<void> {
    return this.#exclusive(entry, async () => {
      if (entry.state !== "registered") return;
      if (await this.#run(entry, "start")) entry.state = "started";
    });
  }

  /**
   * One operation at a time per module: registerAll, startAll and registerDynamic may reach the same
   * module concurrently, and the loser must see the state the winner left, not run the hook again.
   */
  async #exclusive(entry: ModuleEntry, op: () => Promise<void>): Promise<void> {
    while (entry.busy !== undefined) await entry.busy;
    const running = op();
    const busy = running.then(noop, noop);
    entry.busy = busy;
    try {
      await running;
    } finally {
      if (entry.busy === busy) entry.busy = undefined;
    }
  }

  /**
   * Runs one register or start hook under the timeout. Returns whether it succeeded; an optional
   * module's failure is recorded and logged, a required one's is thrown as MODULE_REQUIRED_FAILED.
   */
  async #run(entry: ModuleEntry, hook: "register" | "start"): Promise<boolean> {
    // Checked again here: stopping may have begun while this module waited for an earlier hook.
    this.#refuseWhenStopping(`${hook} module "${entry.name}"`);
    const ctx = this.#ctx as ModuleContext;
    const fn = entry.def[hook];
    const began = performance.now();
    const attempt =
      fn === undefined
        ? Promise.resolve()
        : runHook(entry.name, hook, () => fn.call(entry.def, entry.context(ctx)), this.#timeoutMs);
    try {
      await attempt;
      return true;
    } catch (err) {
      entry.state = "failed";
      entry.fail(hook, err);
      if (entry.required) {
        this.#log.error({ module: entry.name, hook, err }, "required module failed");
        throw new HearthError(
          "MODULE_REQUIRED_FAILED",
          `Required module "${entry.name}" failed to ${hook}: ${errorMessage(err)}`,
          { data: { module: entry.name, hook }, cause: err },
        );
      }
      this.#log.warn({ module: entry.name, hook, err }, "optional module failed; going on without it");
      return false;
    } finally {
      const ms = performance.now() - began;
      if (hook === "register") entry.registerMs = ms;
      else entry.startMs = ms;
    }
  }

  async #stopAll(ctx: ModuleContext | undefined): Promise<void> {
    // Hooks still running (a start racing a shutdown) settle first, within their own timeout, so that
    // a module's stop never overlaps its start.
    await Promise.all(this.#entries.map((e) => e.busy));
    for (let i = this.#registered.length - 1; i >= 0; i--) {
      await this.#stop(this.#registered[i] as ModuleEntry, ctx);
    }
  }

  async #stop(entry: ModuleEntry, ctx: ModuleContext | undefined): Promise<void> {
    if (entry.stopDone) return;
    entry.stopDone = true;
    const fn = entry.def.stop;
    try {
      if (fn !== undefined && ctx !== undefined) {
        await runHook(entry.name, "stop", () => fn.call(entry.def, entry.context(ctx)), this.#timeoutMs);
      }
    } catch (err) {
      this.#log.error({ module: entry.name, hook: "stop", err }, "module failed to stop; stopping the rest");
      if (entry.state === "failed") entry.errorCount++;
      else entry.fail("stop", err);
    }
    if (entry.state !== "failed") entry.state = "stopped";
  }

  #refuseWhenStopping(what: string): void {
    if (this.#stopping !== undefined) {
      throw new HearthError("RUNTIME_NOT_READY", `Cannot ${what}: the modules are stopping or stopped`);
    }
  }
}
