/**
 * Failed-authentication counting per client address, in fixed windows.
 *
 * Only failures are counted and only failures are ever refused: the auth middleware verifies a token
 * before it asks the limiter anything, so a valid token passes whatever its address did. A fixed
 * window needs one small record per address (a sliding log would keep up to `maxFailures` timestamps
 * each), and a blocked address stays blocked until its window ends: failures while blocked neither
 * count nor extend it, so `Retry-After` is the truth.
 *
 * The table is bounded (`maxClients`) and kept in least-recently-failed order: every failure moves
 * its address to the back, so a full table forgets the address that has been quiet the longest, and
 * pruning stops at the first record whose last failure is still inside a window.
 */
export interface FailureLimiterOptions {
  maxFailures: number;
  windowMs: number;
  /** Most addresses tracked at once; beyond it the least recently failing one is forgotten. */
  maxClients: number;
  now?: () => number;
}

interface Window {
  start: number;
  failures: number;
  last: number;
}

export interface FailureLimiter {
  /** Milliseconds until a failing attempt from `address` is answered 401 again; 0 when not blocked. */
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

  // A record whose last failure is a window old has surely expired (its start is no later).
  function prune(t: number): void {
    for (const [address, w] of windows) {
      if (t - w.last < windowMs) break;
      windows.delete(address);
    }
  }

  return {
    retryAfterMs(address) {
      const w = windows.get(address);
      if (w === undefined) return 0;
      const left = w.start + windowMs - now();
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
      windows.delete(address);
      if (w === undefined || t - w.start >= windowMs) w = { start: t, failures: 0, last: t };
      while (windows.size >= maxClients) {
        const oldest = windows.keys().next().value as string;
        windows.delete(oldest);
      }
      w.failures++;
      w.last = t;
      windows.set(address, w);
      return w.failures === maxFailures;
    },

    size: () => windows.size,
  };
}
