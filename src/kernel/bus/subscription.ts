import { HearthError } from "../../errors.ts";
import type { Matcher } from "./pattern.ts";
import type { BusEvent, EventHandler, SubscribeOptions } from "./types.ts";

/** One subscribe() call, with its options validated and flattened for the delivery loop. */
export class Subscription {
  readonly id: number;
  readonly pattern: string;
  readonly matcher: Matcher;
  readonly handler: EventHandler;
  readonly filter: ((event: BusEvent) => boolean) | undefined;
  readonly owner: string | undefined;
  /** Total attempts, 1 without retry. */
  readonly attempts: number;
  readonly backoffMs: number;
  active = true;

  constructor(
    id: number,
    pattern: string,
    matcher: Matcher,
    handler: EventHandler,
    options?: SubscribeOptions<never>,
  ) {
    if (typeof handler !== "function") {
      throw new HearthError("INVALID_ARGUMENT", `The handler for "${pattern}" is not a function`, {
        data: { pattern },
      });
    }
    const filter = options?.filter;
    if (filter !== undefined && typeof filter !== "function") {
      throw new HearthError("INVALID_ARGUMENT", `The filter for "${pattern}" is not a function`, {
        data: { pattern },
      });
    }
    const retry = options?.retry;
    if (
      retry !== undefined &&
      !(
        Number.isInteger(retry.attempts) &&
        retry.attempts >= 1 &&
        Number.isFinite(retry.backoffMs) &&
        retry.backoffMs >= 0
      )
    ) {
      throw new HearthError(
        "INVALID_ARGUMENT",
        `Invalid retry options for "${pattern}": attempts must be an integer >= 1 and backoffMs a number >= 0`,
        { data: { pattern, retry } },
      );
    }
    this.id = id;
    this.pattern = pattern;
    this.matcher = matcher;
    this.handler = handler;
    this.filter = filter as ((event: BusEvent) => boolean) | undefined;
    this.owner = options?.owner;
    this.attempts = retry?.attempts ?? 1;
    this.backoffMs = retry?.backoffMs ?? 0;
  }
}
