/**
 * Latency figures for the token timing comparison. Reported, never asserted: a 2-core CI machine is
 * far noisier than the effect being looked for.
 */

export interface Summary {
  n: number;
  medianUs: number;
  meanUs: number;
  p10Us: number;
  p90Us: number;
}

export function summarize(samplesMs: number[]): Summary {
  const s = [...samplesMs].sort((a, b) => a - b);
  const at = (q: number) => (s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? Number.NaN) * 1000;
  // Mean of the middle 80%: a few scheduler stalls should not decide the figure.
  const mid = s.slice(Math.floor(s.length * 0.1), Math.ceil(s.length * 0.9));
  const mean = (mid.reduce((a, b) => a + b, 0) / Math.max(1, mid.length)) * 1000;
  const round = (x: number) => Math.round(x * 10) / 10;
  return {
    n: s.length,
    medianUs: round(at(0.5)),
    meanUs: round(mean),
    p10Us: round(at(0.1)),
    p90Us: round(at(0.9)),
  };
}

/** Times `a` and `b` alternately, `n` times each, so drift in the machine's load hits both alike. */
export async function interleaved(
  n: number,
  a: () => Promise<unknown>,
  b: () => Promise<unknown>,
): Promise<{ a: Summary; b: Summary }> {
  const ta: number[] = [];
  const tb: number[] = [];
  for (let i = 0; i < n; i++) {
    const first = i % 2 === 0;
    for (const [fn, into] of first
      ? ([
          [a, ta],
          [b, tb],
        ] as const)
      : ([
          [b, tb],
          [a, ta],
        ] as const)) {
      const t0 = performance.now();
      await fn();
      into.push(performance.now() - t0);
    }
  }
  return { a: summarize(ta), b: summarize(tb) };
}

/** A well-formed token (`hth_` + 43 base64url characters) that nobody issued. */
export function randomToken(): string {
  return `hth_${Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64url")}`;
}

/** `token` with its last character changed: it shares every other character with the real one. */
export function nearMiss(token: string): string {
  const last = token.at(-1);
  return `${token.slice(0, -1)}${last === "A" ? "B" : "A"}`;
}
