import type { VersionInfo } from "../../../../version.ts";
import { MonotonicCounter } from "../exposition.ts";
import type { Families } from "./types.ts";

/** Build, phase, uptime, start-up time and errors that escaped every handler. */
export function runtimeFamilies(version: VersionInfo): Families {
  const build = {
    version: version.version,
    commit: version.commit,
    bun: version.bun,
    target: version.target,
  };
  const uncaught = new MonotonicCounter();
  return (out, m) => {
    out.gauge("hearth_build_info", "Build of this Hearth process; always 1.", [[build, 1]]);
    if (m === undefined) return;
    out.gauge("hearth_uptime_seconds", "Seconds since the runtime finished starting (0 before).", [
      [{}, m.uptimeMs / 1000],
    ]);
    out.gauge("hearth_runtime_phase", "Lifecycle phase of the runtime; 1 for the current one.", [
      [{ phase: m.phase }, 1],
    ]);
    if (m.startMs !== undefined) {
      out.gauge("hearth_startup_duration_seconds", "Wall time of init() plus start(), in seconds.", [
        [{}, m.startMs / 1000],
      ]);
    }
    uncaught.feed("unhandled_rejection", { kind: "unhandled_rejection" }, m.errors.unhandledRejections);
    uncaught.feed("uncaught_exception", { kind: "uncaught_exception" }, m.errors.uncaughtExceptions);
    out.counter(
      "hearth_uncaught_errors_total",
      "Errors that escaped every handler, by kind.",
      uncaught.samples(),
    );
  };
}
