import { HearthError } from "../../../../src/errors.ts";

/** The value a promise rejects with; fails the test if it resolves instead. */
export async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    const value = await promise;
    throw new Error(`expected a rejection, got ${JSON.stringify(value)}`);
  } catch (err) {
    return err;
  }
}

/** The HearthError a promise rejects with; fails the test on any other outcome. */
export async function hearthRejection(promise: Promise<unknown>): Promise<HearthError> {
  const err = await rejection(promise);
  if (!(err instanceof HearthError)) throw new Error(`expected a HearthError, got ${String(err)}`);
  return err;
}

/** The HearthError a function throws synchronously. */
export function thrown(fn: () => unknown): HearthError {
  try {
    fn();
  } catch (err) {
    if (err instanceof HearthError) return err;
    throw new Error(`expected a HearthError, got ${String(err)}`);
  }
  throw new Error("expected a throw");
}

/** A domain error of the kind a plugin's handler throws. */
export class DeviceOfflineError extends Error {
  constructor(readonly device: string) {
    super(`${device} is offline`);
    this.name = "DeviceOfflineError";
  }
}
