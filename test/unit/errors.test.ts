import { describe, expect, it } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ERROR_CODES, errorMessage, HearthError, isHearthError } from "../../src/errors.ts";

const README = readFileSync(join(import.meta.dir, "../../README.md"), "utf8");
const CODES = Object.keys(ERROR_CODES);

/** Codes in the README's error table: rows that start with a backquoted UPPER_SNAKE name. */
function readmeCodes(): string[] {
  return [...README.matchAll(/^\| `([A-Z][A-Z0-9_]*)` \|/gm)].map((m) => m[1] as string);
}

describe("error catalogue", () => {
  it("uses stable UPPER_SNAKE codes", () => {
    for (const code of CODES) expect(code).toMatch(/^[A-Z][A-Z0-9]*(_[A-Z0-9]+)*$/);
  });

  it("lists every code exactly once in the README's error table", () => {
    const listed = readmeCodes();
    expect(new Set(listed).size).toBe(listed.length);
    expect([...listed].sort()).toEqual([...CODES].sort());
  });

  it("documents each code's HTTP status in the README as the catalogue has it", () => {
    for (const [code, spec] of Object.entries(ERROR_CODES)) {
      expect(README).toContain(`| \`${code}\` | ${spec.httpStatus} |`);
    }
  });

  it("gives every code a description and an HTTP status in the 4xx/5xx range", () => {
    for (const spec of Object.values(ERROR_CODES)) {
      expect(spec.description.length).toBeGreaterThan(10);
      expect(spec.httpStatus).toBeGreaterThanOrEqual(400);
      expect(spec.httpStatus).toBeLessThan(600);
    }
  });
});

describe("HearthError", () => {
  it("takes status and retryability from the catalogue", () => {
    const err = new HearthError("SERVICE_TIMEOUT", "too slow");
    expect(err.httpStatus).toBe(504);
    expect(err.retryable).toBe(true);
    expect(err).toBeInstanceOf(Error);
    expect(err.name).toBe("HearthError");
  });

  it("serialises to the wire shape without stack or cause", () => {
    const cause = new Error("secret internal detail");
    const err = new HearthError("SERVICE_NOT_FOUND", "no such service", { data: { name: "x.y" }, cause });
    expect(JSON.parse(JSON.stringify(err))).toEqual({
      code: "SERVICE_NOT_FOUND",
      message: "no such service",
      data: { name: "x.y" },
    });
    expect(err.cause).toBe(cause);
  });

  it("omits data from JSON when there is none", () => {
    expect(new HearthError("INTERNAL_ERROR", "boom").toJSON()).toEqual({
      code: "INTERNAL_ERROR",
      message: "boom",
    });
  });

  it("lets one error override the catalogue's status", () => {
    expect(new HearthError("INTERNAL_ERROR", "x", { httpStatus: 502, retryable: true })).toMatchObject({
      httpStatus: 502,
      retryable: true,
    });
  });

  it("is recognised by isHearthError, optionally by code", () => {
    const err = new HearthError("STATE_INVALID_KEY", "bad");
    expect(isHearthError(err)).toBe(true);
    expect(isHearthError(err, "STATE_INVALID_KEY")).toBe(true);
    expect(isHearthError(err, "STATE_INVALID_VALUE")).toBe(false);
    expect(isHearthError(new Error("plain"))).toBe(false);
  });

  it("errorMessage never throws, even for values that cannot be serialised", () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(errorMessage(new Error("m"))).toBe("m");
    expect(errorMessage("text")).toBe("text");
    expect(typeof errorMessage(cyclic)).toBe("string");
  });
});
