/**
 * Where start-up time goes, phase by phase: `mark(name)` closes the phase that ran since the previous
 * mark (the first one since the process began: loading and evaluating the bundle). Costs one
 * `performance.now()` and an array push per mark; `hearth run` logs the result at debug level.
 */
export interface PhaseTimes {
  /** Milliseconds per phase, in the order they ran (rounded to 0.1 ms). */
  phases: Record<string, number>;
  /** Milliseconds from the process's start to the last mark. */
  totalMs: number;
}

export class StartupPhases {
  readonly #marks: [string, number][] = [];
  #last: number;

  /** `since` is where the first phase begins: 0 (the process's start) by default. */
  constructor(since = 0) {
    this.#last = since;
  }

  /** Ends the phase called `name` now. A name marked twice adds up. */
  mark(name: string): void {
    const now = performance.now();
    this.#marks.push([name, now - this.#last]);
    this.#last = now;
  }

  times(): PhaseTimes {
    const phases: Record<string, number> = {};
    for (const [name, ms] of this.#marks) {
      phases[name] = Math.round(((phases[name] ?? 0) + ms) * 10) / 10;
    }
    return { phases, totalMs: Math.round(this.#last * 10) / 10 };
  }
}
