/**
 * Settles with `work` or rejects with `onTimeout()` once `timeoutMs` have passed. Work still running at
 * the deadline is abandoned: its late outcome is ignored (a late rejection is handled, never unhandled).
 */
export function withTimeout<T>(
  work: () => T | Promise<T>,
  timeoutMs: number,
  onTimeout: () => Error,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(onTimeout()), timeoutMs);
    let out: T | Promise<T>;
    try {
      out = work();
    } catch (err) {
      clearTimeout(timer);
      reject(err);
      return;
    }
    Promise.resolve(out).then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err);
      },
    );
  });
}
