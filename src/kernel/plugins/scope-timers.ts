import type { PluginTimers } from "../../sdk/types.ts";
import type { ScopeLife } from "./scope-life.ts";

type TimerHandle = ReturnType<typeof setTimeout>;

/** The plugin's timers: cleared on stop (before onStop runs) and on unload. */
export function scopedTimers(life: ScopeLife): { api: PluginTimers; clear(): void } {
  const timers = new Map<TimerHandle, "timeout" | "interval">();
  const api: PluginTimers = {
    setTimeout(fn, ms) {
      life.live();
      const run = life.guarded(fn, "timer");
      const handle = setTimeout(() => {
        timers.delete(handle);
        run();
      }, ms);
      timers.set(handle, "timeout");
      return handle;
    },
    setInterval(fn, ms) {
      life.live();
      const handle = setInterval(life.guarded(fn, "timer"), ms);
      timers.set(handle, "interval");
      return handle;
    },
    clearTimeout(handle) {
      // Only the plugin's own timers: a handle from elsewhere is none of its business.
      if (handle !== undefined && timers.delete(handle)) clearTimeout(handle);
    },
    clearInterval(handle) {
      if (handle !== undefined && timers.delete(handle)) clearInterval(handle);
    },
  };
  const clear = (): void => {
    for (const [handle, kind] of timers) {
      if (kind === "timeout") clearTimeout(handle);
      else clearInterval(handle);
    }
    timers.clear();
  };
  return { api, clear };
}
