import { describe, expect, it } from "bun:test";
import { formatPath, locate } from "../../../../src/web/client/json-path.ts";

const RULE = JSON.stringify(
  {
    name: "Porch",
    triggers: [{ type: "event", event: "house.dusk" }],
    actions: [
      { type: "delay", ms: 10 },
      { type: "publish", event: "device.x", payload: { 'a"b': [1, { c: null }] } },
    ],
  },
  null,
  2,
);

describe("locate", () => {
  it("finds a nested value of an array member, with its line", () => {
    const at = locate(RULE, ["actions", 1, "event"]);
    expect(at && RULE.slice(at.start, at.end)).toBe('"device.x"');
    expect(at?.line).toBe(RULE.split("\n").findIndex((l) => l.includes('"device.x"')) + 1);
    expect(at?.depth).toBe(3);
  });

  it("skips strings with escapes and nested containers on the way", () => {
    const at = locate(RULE, ["actions", 1, "payload", 'a"b', 1, "c"]);
    expect(at && RULE.slice(at.start, at.end)).toBe("null");
  });

  it("falls back to the nearest enclosing value when a key is missing", () => {
    const at = locate(RULE, ["triggers", 0, "capability"]);
    expect(at?.depth).toBe(2);
    expect(at && JSON.parse(RULE.slice(at.start, at.end))).toEqual({ type: "event", event: "house.dusk" });
  });

  it("gives up on text that is not JSON", () => {
    expect(locate("{ nope", ["a"])).toBeUndefined();
  });
});

it("formats paths as traces name steps", () => {
  expect(formatPath(["actions", 2, "then", 0])).toBe("actions[2].then[0]");
  expect(formatPath([])).toBe("(the rule)");
});
