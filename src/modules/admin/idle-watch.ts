/**
 * Logs, as one JSON line, a request whose connection Bun closed after the idle timeout (a client that
 * stalled mid-body, or a handler that sent nothing for that long). An earlier abort is a client that
 * went away, which the error handler records (debug, status 499); a completed request never aborts.
 *
 * Only requests still unanswered after `armAfterMs` are watched: listening on `req.signal` makes Bun
 * create an AbortSignal for the request, which cost ~1 µs on every request (8% of a state read's
 * throughput) when done for all of them. One unref'd timer, running only while answers are pending,
 * arms the few slow ones; a timeout is many seconds, so arming a second late loses nothing.
 */
import type { Logger } from "../../kernel/log/index.ts";

interface Pending {
  req: Request;
  t0: number;
}

export interface IdleWatch {
  /** Watches `req` until `answer` settles; returns `answer`. */
  watch(req: Request, answer: Promise<Response>): Promise<Response>;
  /** Requests waiting for their answer, not armed yet (tests). */
  readonly pending: number;
}

export function createIdleWatch(options: {
  log: Logger;
  idleTimeoutSeconds: number;
  armAfterMs?: number;
}): IdleWatch {
  const { log, idleTimeoutSeconds } = options;
  const armAfterMs = options.armAfterMs ?? 1000;
  // Left as soon as answered: nothing keeps an answered request (under load, thousands a second).
  const pending = new Set<Pending>();
  let timer: ReturnType<typeof setInterval> | undefined;

  const arm = (p: Pending) => {
    p.req.signal.addEventListener(
      "abort",
      () => {
        const waitedMs = Math.round(performance.now() - p.t0);
        if (waitedMs < idleTimeoutSeconds * 1000) return;
        // Never the path or query: keys and ids stay out of the log, as in the access log.
        log.warn(
          { method: p.req.method, idleTimeoutSeconds, waitedMs },
          "request timed out: connection idle, closed",
        );
      },
      { once: true },
    );
  };

  const sweep = () => {
    const now = performance.now();
    for (const p of pending) {
      if (now - p.t0 < armAfterMs) continue;
      pending.delete(p);
      arm(p);
    }
    if (pending.size === 0 && timer !== undefined) {
      clearInterval(timer);
      timer = undefined;
    }
  };

  return {
    watch(req, answer) {
      const p: Pending = { req, t0: performance.now() };
      pending.add(p);
      if (timer === undefined) {
        timer = setInterval(sweep, armAfterMs);
        timer.unref?.();
      }
      const settle = () => {
        pending.delete(p);
      };
      answer.then(settle, settle);
      return answer;
    },
    get pending() {
      return pending.size;
    },
  };
}

/** A `Bun.serve` fetch handler that watches each unanswered request with `idle`. */
export function watchedFetch<S>(
  fetch: (req: Request, server: S) => Response | Promise<Response>,
  idle: IdleWatch,
): (req: Request, server: S) => Response | Promise<Response> {
  return (req, server) => {
    const answer = fetch(req, server);
    return answer instanceof Promise ? idle.watch(req, answer) : answer;
  };
}
