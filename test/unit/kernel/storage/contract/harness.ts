import { afterEach, beforeEach, expect } from "bun:test";
import type { ErrorCode } from "../../../../../src/errors.ts";
import { HearthError } from "../../../../../src/errors.ts";
import type { Storage } from "../../../../../src/kernel/storage/index.ts";

export interface FactoryOptions {
  maxValueBytes?: number;
  flushIntervalMs?: number;
}

/** Makes a fresh, empty storage of the implementation under test. */
export type StorageFactory = (options?: FactoryOptions) => Promise<Storage>;

/** A fresh storage per test (closed afterwards), plus `make()` for tests that need their own options. */
export function useStorage(factory: StorageFactory): { s: () => Storage; make: StorageFactory } {
  let current: Storage | undefined;
  const extra: Storage[] = [];
  beforeEach(async () => {
    current = await factory();
  });
  afterEach(async () => {
    for (const st of [current, ...extra.splice(0)]) await st?.close().catch(() => undefined);
    current = undefined;
  });
  return {
    s: () => current as Storage,
    make: async (options) => {
      const st = await factory(options);
      extra.push(st);
      return st;
    },
  };
}

// These helpers await inside try/catch on purpose: Bun 1.4's `expect(p).rejects` spins on a promise
// that never settles, so a deadlock would hang the run instead of failing one test on its timeout.

/** Asserts that the promise rejects with a HearthError of that code and returns it. */
export async function rejectsWith(promise: Promise<unknown>, code: ErrorCode): Promise<HearthError> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(HearthError);
    expect((err as HearthError).code).toBe(code);
    return err as HearthError;
  }
  throw new Error(`expected a rejection with ${code}`);
}

/** Asserts that the promise rejects with an error whose message contains `text`, and returns it. */
export async function failsWith(promise: Promise<unknown>, text: string): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    expect(String((err as Error)?.message)).toContain(text);
    return err;
  }
  throw new Error(`expected a rejection with "${text}"`);
}

/** A promise plus its resolver, to hold a transaction open until the test lets it go. */
export function gate(): { promise: Promise<void>; open: () => void } {
  let open = () => {};
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

export const tick = (ms = 5) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls until `check` holds (tens of ms apart, bounded), for timer-driven behaviour. */
export async function eventually(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (check()) return;
    await tick(10);
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Tracks whether a promise has settled, without awaiting it. */
export function track<T>(promise: Promise<T>): { settled: () => boolean; promise: Promise<T> } {
  let done = false;
  const p = promise.finally(() => {
    done = true;
  });
  return { settled: () => done, promise: p };
}
