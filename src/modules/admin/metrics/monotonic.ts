import type { Counter, LabelValues } from "prom-client";

/**
 * Feeds a Counter from cumulative counts kept elsewhere (the runtime's stats), read at scrape time.
 * The exported series only ever goes up: the counter is increased by the growth since the last
 * scrape, and a source that went down (a component restarted its count) counts as restarted from 0.
 */
export class MonotonicFeed<L extends string> {
  readonly #counter: Counter<L>;
  readonly #last = new Map<string, number>();

  constructor(counter: Counter<L>) {
    this.#counter = counter;
  }

  /**
   * `source` identifies the cumulative count (several sources may feed one series, e.g. the types
   * folded into `other`); `labels` is the series it is added to.
   */
  feed(source: string, labels: LabelValues<L>, value: number): void {
    if (!Number.isFinite(value) || value < 0) return;
    const last = this.#last.get(source) ?? 0;
    const delta = value >= last ? value - last : value;
    this.#last.set(source, value);
    // inc by 0 still creates the series, so a type seen once shows up with 0 failures, not absent.
    this.#counter.inc(labels, delta);
  }
}
