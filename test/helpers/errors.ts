import { expect } from "bun:test";
import { type ErrorCode, HearthError } from "../../src/errors.ts";

/**
 * Awaits `promise`, asserts it rejects with a HearthError (of `code`, when given) and returns it.
 * Uses try/catch rather than `expect(p).rejects`, which in Bun 1.4 spins on a promise that never
 * settles instead of failing on the test's timeout.
 */
export async function hearthRejection(promise: Promise<unknown>, code?: ErrorCode): Promise<HearthError> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(HearthError);
    if (code !== undefined) expect((err as HearthError).code).toBe(code);
    return err as HearthError;
  }
  throw new Error(`expected a rejection${code ? ` with ${code}` : ""}`);
}
