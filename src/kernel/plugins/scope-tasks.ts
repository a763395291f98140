import { HearthError, isHearthError } from "../../errors.ts";
import type { ScopeLife } from "./scope-life.ts";

const TASK_NAME = /^[a-z][a-z0-9_-]{0,63}$/;

interface Running {
  name: string;
  done: Promise<void>;
}

/** The plugin's long-running tasks: started at once, aborted and awaited (bounded) on stop. */
export function scopedTasks(life: ScopeLife): {
  task(name: string, fn: (signal: AbortSignal) => unknown): void;
  /** Waits up to `timeoutMs` for the running tasks; returns the names of those still running. */
  settle(timeoutMs: number): Promise<string[]>;
  running(): string[];
} {
  const running = new Set<Running>();
  return {
    task(name, fn) {
      life.live();
      if (typeof name !== "string" || !TASK_NAME.test(name)) {
        throw new HearthError(
          "INVALID_ARGUMENT",
          `Task name ${JSON.stringify(String(name))} is not 1-64 of [a-z0-9_-]`,
          {
            data: { plugin: life.plugin },
          },
        );
      }
      if (typeof fn !== "function") {
        throw new HearthError("INVALID_ARGUMENT", `Task "${name}" needs a function`, {
          data: { plugin: life.plugin },
        });
      }
      const { signal } = life;
      if (signal.aborted) {
        throw new HearthError(
          "PLUGIN_STATE_CONFLICT",
          `Plugin "${life.plugin}" is stopping: task "${name}" was not started`,
          {
            data: { plugin: life.plugin, task: name },
          },
        );
      }
      const entry: Running = { name, done: Promise.resolve() };
      entry.done = (async () => {
        try {
          await fn(signal);
        } catch (err) {
          // Ending with the abort reason (or a PLUGIN_STATE_CONFLICT from a disposed context) after
          // the stop began is how a task is told to end, not a failure.
          if (
            signal.aborted &&
            (err === signal.reason || isHearthError(err, "PLUGIN_STATE_CONFLICT") || isAbort(err))
          ) {
            return;
          }
          life.report("task", err, { task: name });
        } finally {
          running.delete(entry);
        }
      })();
      running.add(entry);
    },
    async settle(timeoutMs) {
      if (running.size === 0) return [];
      let timer: ReturnType<typeof setTimeout> | undefined;
      const deadline = new Promise<"timeout">((resolve) => {
        timer = setTimeout(() => resolve("timeout"), timeoutMs);
      });
      await Promise.race([Promise.all([...running].map((r) => r.done)), deadline]);
      clearTimeout(timer);
      return [...running].map((r) => r.name);
    },
    running: () => [...running].map((r) => r.name),
  };
}

function isAbort(err: unknown): boolean {
  return (err as { name?: unknown } | null)?.name === "AbortError";
}
