import { describe, expect, it } from "bun:test";
import { createMetrics } from "../../../../../src/modules/admin/metrics/index.ts";
import { fakeMetrics, parseExposition, plugin, VERSION } from "./exposition.ts";
import { SECRETS, scenario } from "./scenario.ts";

// Anything shaped like a bearer token, or a long run of the alphabets secrets are encoded in.
const TOKEN_LIKE = [/hth_[A-Za-z0-9_-]{8,}/, /[A-Za-z0-9_-]{32,}/, /[A-Za-z0-9+/=]{32,}/];

/** The labels allowed per metric name: each comes from code (names, patterns, codes), never input. */
function labelValues(body: string): { name: string; label: string; value: string }[] {
  return parseExposition(body).flatMap((s) =>
    Object.entries(s.labels)
      // The build's commit is a fixed (possibly 40-hex) value of the binary, not input.
      .filter(([label]) => !(s.name === "hearth_build_info" && label === "commit"))
      .map(([label, value]) => ({ name: s.name, label, value })),
  );
}

describe("label hygiene", () => {
  it("never puts a token-like string in a label value", async () => {
    const { body } = await scenario();
    const offending = labelValues(body).filter(({ value }) => TOKEN_LIKE.some((re) => re.test(value)));
    expect(offending).toEqual([]);
  });

  it("never echoes secrets sent in paths, queries, headers, params, payloads or errors", async () => {
    const { body } = await scenario();
    for (const secret of SECRETS) expect(body).not.toContain(secret);
  });

  it("only uses route patterns or unmatched as the route label", async () => {
    const { body } = await scenario();
    const routes = new Set(
      labelValues(body)
        .filter((l) => l.label === "route")
        .map((l) => l.value),
    );
    expect([...routes].sort()).toEqual(["/api/v1/state/*", "/api/v1/tokens/:id", "unmatched"]);
  });

  it("uses only error codes as the code label", async () => {
    const { body } = await scenario();
    const codes = labelValues(body).filter((l) => l.label === "code");
    expect(codes.length).toBeGreaterThan(0);
    for (const { value } of codes) expect(value).toMatch(/^[A-Z][A-Z0-9_]*$/);
  });

  it("the detector flags a token that did slip into a label", async () => {
    // Guards the test above against a detector that never matches.
    const leaked = fakeMetrics({ plugins: [plugin(SECRETS[1] as string, "started")] });
    const metrics = createMetrics({
      getMetrics: () => leaked,
      version: VERSION,
    });
    const { body } = await metrics.render();
    expect(labelValues(body).some(({ value }) => TOKEN_LIKE.some((re) => re.test(value)))).toBe(true);
  });
});
