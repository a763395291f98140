/**
 * The name grammars the admin API documents as `pattern`s are the ones the kernel enforces: for a
 * spread of values, the documented pattern and the kernel check agree.
 */
import { describe, expect, it } from "bun:test";
import { compilePattern as compileBusPattern } from "../../../../src/kernel/bus/pattern.ts";
import {
  EVENT_PATTERN_SOURCE,
  NAMESPACE_SOURCE,
  SERVICE_NAME_SOURCE,
  STATE_KEY_SOURCE,
  STATE_PATTERN_SOURCE,
  STORAGE_KEY_SOURCE,
  TOKEN_NAME_SOURCE,
} from "../../../../src/kernel/names/index.ts";
import { parseServiceName } from "../../../../src/kernel/services/names.ts";
import { assertKey, compilePattern as compileStatePattern } from "../../../../src/kernel/state/keys.ts";
import { checkKey, checkNamespace } from "../../../../src/kernel/storage/validate.ts";

const accepts = (check: (v: string) => unknown) => (v: string) => {
  try {
    check(v);
    return true;
  } catch {
    return false;
  }
};

const CASES: [string, string, (v: string) => boolean, string[]][] = [
  [
    "bus pattern",
    EVENT_PATTERN_SOURCE,
    accepts(compileBusPattern),
    [
      "*",
      "device.*",
      "*.changed",
      "$runtime.started",
      "a-b.c_d.*",
      "device",
      ".x",
      "a..b",
      "A.b",
      "a.B",
      "a.b.",
      "**",
      "a.*b",
      "$*.x",
      "",
    ],
  ],
  [
    "service name",
    SERVICE_NAME_SOURCE,
    (v) => parseServiceName(v) !== undefined,
    [
      "demo.ping",
      "v2.demo.ping",
      "v0.demo.ping",
      "v02.a.b",
      "a-b.c_d",
      "a.b-c",
      "demo",
      "a.b.c",
      ".a",
      "v2.demo",
      "",
    ],
  ],
  [
    "state key",
    STATE_KEY_SOURCE,
    accepts(assertKey),
    ["demo/lamp", "a:b@c.d-e_f", "x".repeat(512), "x".repeat(513), "", "a b", "a*b", "ä"],
  ],
  [
    "state key pattern",
    STATE_PATTERN_SOURCE,
    accepts(compileStatePattern),
    [
      "**",
      "demo/*",
      "a/**/b",
      "***",
      "a/***",
      "*".repeat(2),
      "x".repeat(1024),
      "x".repeat(1025),
      "a b",
      "a?",
    ],
  ],
  [
    "storage namespace",
    NAMESPACE_SOURCE,
    accepts(checkNamespace),
    ["demo", "A.b-c_d", "x".repeat(64), "x".repeat(65), "", "a/b", "a:b"],
  ],
  [
    "storage key",
    STORAGE_KEY_SOURCE,
    accepts(checkKey),
    ["a/b:c@d", "x".repeat(256), "x".repeat(257), "", "a b", "a*"],
  ],
];

describe("documented name patterns", () => {
  for (const [what, source, kernel, values] of CASES) {
    it(`agree with the kernel on ${what}s`, () => {
      const re = new RegExp(source);
      const disagreements = values.filter((v) => re.test(v) !== kernel(v));
      expect(disagreements).toEqual([]);
    });
  }

  it("refuse a blank token name or one with control characters, and accept the rest", () => {
    const re = new RegExp(TOKEN_NAME_SOURCE);
    expect(["grafana", " spaced out ", "ünïcode", "a\u2028b"].every((v) => re.test(v))).toBe(true);
    expect(["", "   ", "a\nb", "tab\there", "del\u007f"].some((v) => re.test(v))).toBe(false);
  });
});
