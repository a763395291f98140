import type { Families } from "./types.ts";

/** Size of the in-memory state. */
export function stateFamilies(): Families {
  return (out, m) => {
    if (m === undefined) return;
    out.gauge("hearth_state_keys", "Keys in the in-memory state.", [[{}, m.state.keys]]);
    out.gauge("hearth_state_bytes", "Approximate size of the in-memory state (JSON), in bytes.", [
      [{}, m.state.approxBytes],
    ]);
    out.gauge("hearth_state_watchers", "Active state watchers.", [[{}, m.state.watchers]]);
  };
}
