export { checkTimeout, MAX_TIMER_MS } from "./check-timeout.ts";
export { type Clock, systemClock } from "./clock.ts";
export { type PhaseTimes, StartupPhases } from "./phases.ts";
export { TIER_UP, tieredSafeParse } from "./tiered-parse.ts";
export { withTimeout } from "./with-timeout.ts";
