export { createStateEngine } from "./state-engine.ts";
export type {
  StateChange,
  StateChangeReason,
  StateEngine,
  StateEngineOptions,
  StateSetOptions,
  StateStats,
  StateTimerHandle,
  StateTimers,
  StateWatcher,
  Unwatch,
} from "./types.ts";
