/**
 * A small writer for the Prometheus text exposition format (version 0.0.4): HELP and TYPE lines,
 * escaped label values, histograms with cumulative `le` buckets. Families are rendered at scrape
 * time from counts the kernel and the runtime already keep, so nothing is counted twice.
 */

export type Labels = Readonly<Record<string, string>>;

/** The content type Prometheus expects for this format. */
export const CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

export type Sample = readonly [Labels, number];

export interface HistogramSeries {
  labels: Labels;
  /** Upper bounds, in the family's unit, ascending (no +Inf: it is added). */
  bounds: readonly number[];
  /** Per-bucket counts (not cumulative): `counts[i]` for `bounds[i]`, the last one above every bound. */
  counts: readonly number[];
  sum: number;
}

function escapeLabel(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

function escapeHelp(text: string): string {
  return text.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
}

function formatValue(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Number.POSITIVE_INFINITY) return "+Inf";
  if (v === Number.NEGATIVE_INFINITY) return "-Inf";
  return String(v);
}

function formatLabels(labels: Labels, extra?: string): string {
  const parts: string[] = [];
  for (const key in labels) parts.push(`${key}="${escapeLabel(labels[key] as string)}"`);
  if (extra !== undefined) parts.push(extra);
  return parts.length === 0 ? "" : `{${parts.join(",")}}`;
}

/** Collects families for one scrape; `text()` is the body to serve. */
export class Exposition {
  readonly #lines: string[] = [];

  counter(name: string, help: string, samples: Iterable<Sample>): void {
    this.#family(name, "counter", help, samples);
  }

  gauge(name: string, help: string, samples: Iterable<Sample>): void {
    this.#family(name, "gauge", help, samples);
  }

  histogram(name: string, help: string, series: Iterable<HistogramSeries>): void {
    const lines = this.#lines;
    lines.push(`# HELP ${name} ${escapeHelp(help)}`, `# TYPE ${name} histogram`);
    for (const s of series) {
      let cumulative = 0;
      s.bounds.forEach((bound, i) => {
        cumulative += s.counts[i] ?? 0;
        lines.push(`${name}_bucket${formatLabels(s.labels, `le="${formatValue(bound)}"`)} ${cumulative}`);
      });
      cumulative += s.counts[s.bounds.length] ?? 0;
      lines.push(`${name}_bucket${formatLabels(s.labels, 'le="+Inf"')} ${cumulative}`);
      lines.push(`${name}_sum${formatLabels(s.labels)} ${formatValue(s.sum)}`);
      lines.push(`${name}_count${formatLabels(s.labels)} ${cumulative}`);
    }
  }

  text(): string {
    return this.#lines.length === 0 ? "" : `${this.#lines.join("\n")}\n`;
  }

  #family(name: string, type: "counter" | "gauge", help: string, samples: Iterable<Sample>): void {
    this.#lines.push(`# HELP ${name} ${escapeHelp(help)}`, `# TYPE ${name} ${type}`);
    for (const [labels, value] of samples)
      this.#lines.push(`${name}${formatLabels(labels)} ${formatValue(value)}`);
  }
}

function seriesKey(labels: Labels): string {
  return JSON.stringify(labels);
}

/**
 * A counter fed from cumulative counts kept elsewhere (the runtime's stats), read at scrape time.
 * The exported series only ever goes up: it grows by each source's growth since the last scrape,
 * and a source that went down (a plugin reloaded, its counts restarted) counts as restarted from 0.
 */
export class MonotonicCounter {
  readonly #last = new Map<string, number>();
  readonly #totals = new Map<string, { labels: Labels; value: number }>();

  /**
   * `source` identifies the cumulative count (several sources may feed one series, e.g. the event
   * types folded into `other`); `labels` is the series it is added to.
   */
  feed(source: string, labels: Labels, value: number): void {
    if (!Number.isFinite(value) || value < 0) return;
    const last = this.#last.get(source) ?? 0;
    const delta = value >= last ? value - last : value;
    this.#last.set(source, value);
    const key = seriesKey(labels);
    const total = this.#totals.get(key);
    // A series fed once shows up even at 0 (a type seen once has 0 failures, not none).
    if (total === undefined) this.#totals.set(key, { labels, value: delta });
    else total.value += delta;
  }

  samples(): Sample[] {
    return [...this.#totals.values()].map((t) => [t.labels, t.value] as const);
  }
}

/** A histogram fed from cumulative per-bucket counts, kept monotonic the same way. */
export class MonotonicHistogram {
  readonly #bounds: readonly number[];
  readonly #last = new Map<string, { counts: readonly number[]; sum: number }>();
  readonly #totals = new Map<string, { labels: Labels; counts: number[]; sum: number }>();

  constructor(bounds: readonly number[]) {
    this.#bounds = bounds;
  }

  feed(source: string, labels: Labels, counts: readonly number[], sum: number): void {
    const last = this.#last.get(source);
    const restarted = last !== undefined && counts.some((c, i) => c < (last.counts[i] ?? 0));
    const base = last === undefined || restarted ? undefined : last;
    this.#last.set(source, { counts: [...counts], sum });
    const key = seriesKey(labels);
    let total = this.#totals.get(key);
    if (total === undefined) {
      total = { labels, counts: new Array(this.#bounds.length + 1).fill(0), sum: 0 };
      this.#totals.set(key, total);
    }
    for (let i = 0; i < total.counts.length; i++) {
      (total.counts[i] as number) += (counts[i] ?? 0) - (base?.counts[i] ?? 0);
    }
    total.sum += sum - (base?.sum ?? 0);
  }

  series(): HistogramSeries[] {
    return [...this.#totals.values()].map((t) => ({
      labels: t.labels,
      bounds: this.#bounds,
      counts: t.counts,
      sum: t.sum,
    }));
  }
}
