import type { StreamFigures } from "../../stream-slots.ts";
import type { Families } from "./types.ts";

/** Open event streams (SSE) and the ones refused past `http.maxEventStreams[PerToken]`. */
export function streamFamilies(figures: () => StreamFigures): Families {
  return (out) => {
    const f = figures();
    out.gauge("hearth_http_event_streams", "Event streams (SSE) open now.", [[{}, f.open]]);
    out.counter(
      "hearth_http_event_streams_refused_total",
      "Event streams refused with 429, by the bound that refused them (token or total).",
      [
        [{ limit: "token" }, f.refused.token],
        [{ limit: "total" }, f.refused.total],
      ],
    );
  };
}
