import { describe, expect, test } from "bun:test";
import { z } from "zod";
import { TIER_UP, tieredSafeParse } from "../../../../src/kernel/util/tiered-parse.ts";

const schema = z.strictObject({
  name: z.string().min(1),
  level: z.number().int().default(3),
  nested: z.object({ on: z.boolean() }).optional(),
});

describe("tieredSafeParse", () => {
  test("gives zod's answer, defaults and issues included, on both sides of the tier-up", () => {
    const good = { name: "lamp", nested: { on: true } };
    const bad = { name: "", level: 1.5, extra: 1 };
    const expectedGood = schema.safeParse(good);
    const expectedBad = schema.safeParse(bad);
    for (let i = 0; i < TIER_UP + 10; i++) {
      const ok = tieredSafeParse(schema, good);
      expect(ok).toEqual(expectedGood);
      const notOk = tieredSafeParse(schema, bad);
      expect(notOk.success).toBe(false);
      expect(notOk.error?.issues).toEqual(expectedBad.error?.issues ?? []);
    }
  });
});
