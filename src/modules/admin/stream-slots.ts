/**
 * Bounds on open event streams (SSE): each holds a socket, a bus subscription and a queue, so one
 * token must not be able to open thousands. A stream takes a slot before it subscribes and gives it
 * back exactly once when it ends (client gone, overflow, server stop).
 */
import { HearthError } from "../../errors.ts";

export interface StreamSlotsOptions {
  /** Open streams in all. */
  max: number;
  /** Open streams per token. */
  maxPerToken: number;
  /** Seconds a refused client is told to wait (`Retry-After`); default 10. */
  retryAfterSeconds?: number;
}

/** Which bound refused a stream. */
export type StreamLimit = "total" | "token";

export interface StreamFigures {
  open: number;
  refused: Record<StreamLimit, number>;
}

export interface StreamSlots {
  /**
   * Takes a slot for `tokenId`; returns its release function (idempotent). Throws 429
   * `HTTP_TOO_MANY_STREAMS` (`data.retryAfterSeconds`, `data.limit`) past a bound.
   */
  acquire(tokenId: string): () => void;
  figures(): StreamFigures;
}

const DEFAULT_RETRY_AFTER_SECONDS = 10;

export function createStreamSlots(options: StreamSlotsOptions): StreamSlots {
  const { max, maxPerToken } = options;
  const retryAfterSeconds = options.retryAfterSeconds ?? DEFAULT_RETRY_AFTER_SECONDS;
  const perToken = new Map<string, number>();
  const refused: Record<StreamLimit, number> = { total: 0, token: 0 };
  let open = 0;

  function refuse(limit: StreamLimit, bound: number): never {
    refused[limit]++;
    const which =
      limit === "total" ? "in all (http.maxEventStreams)" : "for this token (http.maxEventStreamsPerToken)";
    throw new HearthError("HTTP_TOO_MANY_STREAMS", `Too many open event streams ${which}: ${bound}`, {
      data: { limit, max: bound, retryAfterSeconds },
    });
  }

  return {
    acquire(tokenId) {
      const mine = perToken.get(tokenId) ?? 0;
      if (mine >= maxPerToken) refuse("token", maxPerToken);
      if (open >= max) refuse("total", max);
      perToken.set(tokenId, mine + 1);
      open++;
      let released = false;
      return () => {
        if (released) return;
        released = true;
        open--;
        const left = (perToken.get(tokenId) ?? 1) - 1;
        if (left <= 0) perToken.delete(tokenId);
        else perToken.set(tokenId, left);
      };
    },
    figures: () => ({ open, refused: { ...refused } }),
  };
}
