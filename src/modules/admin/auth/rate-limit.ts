/**
 * Failed-authentication counting per client address, in fixed windows.
 *
 * A fixed window needs one small record per address (a sliding log would keep up to `maxFailures`
 * timestamps each). An address's record is (re)inserted when its window opens, so the Map's order is
 * window-start order: expired records sit at the front and pruning stops at the first live one.
 */
export interface FailureLimiterOptions {
  maxFailures: number;
  windowMs: number;
  /** Most addresses tracked at once; beyond it the oldest window is forgotten. */
  maxClients: number;
  now?: () => number;
}

interface Window {
  start: number;
  failures: number;
}

export interface FailureLimiter {
  /** Milliseconds until `address` may try again; 0 when it is not blocked. */
  retryAfterMs(address: string): number;
  /** Counts a failure; returns true when this one reached the limit. */
  fail(address: string): boolean;
  /** Addresses currently tracked. */
  size(): number;
}

export function createFailureLimiter(options: FailureLimiterOptions): FailureLimiter {
  const { maxFailures, windowMs, maxClients } = options;
  const now = options.now ?? Date.now;
  const windows = new Map<string, Window>();

  function prune(t: number): void {
    for (const [address, w] of windows) {
      if (t - w.start < windowMs) break;
      windows.delete(address);
    }
  }

  return {
    retryAfterMs(address) {
      const w = windows.get(address);
      if (w === undefined) return 0;
      const t = now();
      const left = w.start + windowMs - t;
      if (left <= 0) {
        windows.delete(address);
        return 0;
      }
      return w.failures >= maxFailures ? left : 0;
    },

    fail(address) {
      const t = now();
      prune(t);
      let w = windows.get(address);
      if (w === undefined || t - w.start >= windowMs) {
        windows.delete(address);
        while (windows.size >= maxClients) {
          const oldest = windows.keys().next().value as string;
          windows.delete(oldest);
        }
        w = { start: t, failures: 0 };
        windows.set(address, w);
      }
      w.failures++;
      return w.failures === maxFailures;
    },

    size: () => windows.size,
  };
}
