/**
 * Bus events as Server-Sent Events: `event: <type>`, `id: <seq>`, `data: {type, seq, ts, payload}`,
 * a comment line every heartbeat, and the subscription removed as soon as the client goes away.
 */
import type { Context } from "hono";
import { streamSSE } from "hono/streaming";
import { assertPattern } from "../../kernel/bus/index.ts";
import type { BusEvent, EventBus } from "../../kernel/bus/types.ts";
import type { Logger } from "../../kernel/log/index.ts";

export interface EventStreamOptions {
  bus: EventBus;
  pattern: string;
  heartbeatMs: number;
  log: Logger;
  /** Events waiting for a slow client before it is cut off (default 1000). */
  maxQueue?: number;
  /** Called exactly once when the stream ends (or fails to start): gives back its stream slot. */
  release?: () => void;
  /**
   * Asked at every heartbeat: whether the credentials the stream was opened with still hold (the
   * token not revoked, the session not ended or expired). When not, the stream is closed.
   */
  stillAllowed?: () => Promise<boolean>;
}

/**
 * Subscribes first, so that an invalid pattern throws (400) before any byte is sent, then streams
 * until the client disconnects. Nothing thrown in here reaches hono's SSE error path, which would
 * write the raw message to the client.
 */
export function eventStream(c: Context, options: EventStreamOptions): Response {
  const { bus, pattern, heartbeatMs, log } = options;
  const maxQueue = options.maxQueue ?? 1000;
  const queue: BusEvent[] = [];
  let overflowed = false;
  let closed = false;
  let wake: (() => void) | undefined;
  const notify = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  if (c.req.method === "HEAD") {
    // Hono serves HEAD through this GET route and drops the body unread, so a stream made here would
    // never be cancelled and its subscription would stay for good: check the pattern, answer headers.
    assertPattern(pattern);
    return new Response(null, {
      headers: { "Content-Type": "text/event-stream", "Cache-Control": "no-cache" },
    });
  }
  const release = options.release ?? (() => {});
  let unsubscribe: () => void;
  try {
    unsubscribe = bus.subscribe(
      pattern,
      (event) => {
        if (closed) return;
        if (queue.length >= maxQueue) overflowed = true;
        else queue.push(event);
        notify();
      },
      { owner: "admin" },
    );
  } catch (err) {
    release();
    throw err;
  }
  const close = () => {
    if (closed) return;
    closed = true;
    unsubscribe();
    release();
    queue.length = 0;
    notify();
  };
  c.req.raw.signal.addEventListener("abort", close, { once: true });

  return streamSSE(c, async (stream) => {
    stream.onAbort(close);
    try {
      // Tells the client the subscription is live (events published from now on will arrive).
      await stream.write(`: subscribed to ${pattern}\n\n`);
      while (!closed && !stream.aborted) {
        const event = queue.shift();
        if (event !== undefined) {
          await stream.writeSSE({ event: event.type, id: String(event.seq), data: serialize(event) });
          continue;
        }
        if (overflowed) {
          log.warn({ pattern, maxQueue }, "SSE client too slow; closing its stream");
          await stream.writeSSE({ event: "overflow", data: JSON.stringify({ maxQueue }) });
          break;
        }
        const woken = await new Promise<boolean>((resolve) => {
          const timer = setTimeout(() => {
            wake = undefined;
            resolve(false);
          }, heartbeatMs);
          wake = () => {
            clearTimeout(timer);
            resolve(true);
          };
        });
        if (!woken && !closed) {
          if (options.stillAllowed !== undefined && !(await options.stillAllowed().catch(() => false))) {
            log.info({ pattern }, "SSE stream closed: its token or session no longer holds");
            break;
          }
          await stream.write(": heartbeat\n\n");
        }
      }
    } catch (err) {
      log.debug({ err: (err as Error).message, pattern }, "SSE stream ended with an error");
    } finally {
      close();
    }
  });
}

function serialize(event: BusEvent): string {
  try {
    return JSON.stringify({ type: event.type, seq: event.seq, ts: event.ts, payload: event.payload ?? null });
  } catch {
    // A payload that is not JSON (cycles, BigInt) still announces the event.
    return JSON.stringify({
      type: event.type,
      seq: event.seq,
      ts: event.ts,
      payload: null,
      unserializable: true,
    });
  }
}
