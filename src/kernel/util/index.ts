export { checkTimeout, MAX_TIMER_MS } from "./check-timeout.ts";
export { withTimeout } from "./with-timeout.ts";
