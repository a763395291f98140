/**
 * Figures of one fault-injection run for RELIABILITY.md: how many faults were injected and how much
 * traffic went through, and how many canary probes passed meanwhile (a probe that loses an event or a
 * reply fails its test). Shared by the suite's files; each prints the running total when it ends.
 */
export const tally = {
  /** Fault scenarios run (each one runtime with the canary and the culprit(s)). */
  scenarios: 0,
  /** Runtime start/stop cycles. */
  runtimes: 0,
  /** Canary probes (service call + plain, ordered, shared events + timer) that passed. */
  canaryProbes: 0,
  /** Events the canary received during probes. */
  canaryEvents: 0,
  /** Events published by the floods and storms. */
  floodEvents: 0,
  /** Handler failures observed (`$bus.handler_failed` and timer/hook errors counted by the runtime). */
  handlerFailures: 0,
  /** Service calls that failed or timed out on purpose. */
  serviceFailures: 0,
};

export function summary(): string {
  return `fault-injection tally (all fault files so far): ${JSON.stringify(tally)}`;
}
