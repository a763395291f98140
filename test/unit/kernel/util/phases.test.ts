import { describe, expect, it } from "bun:test";
import { StartupPhases } from "../../../../src/kernel/util/index.ts";

describe("StartupPhases", () => {
  it("records each mark as a phase, in order", () => {
    const p = new StartupPhases(performance.now());
    p.mark("config");
    p.mark("storage");
    expect(Object.keys(p.times().phases)).toEqual(["config", "storage"]);
  });

  it("adds up a phase marked twice", () => {
    const p = new StartupPhases(performance.now());
    p.mark("a");
    p.mark("b");
    p.mark("a");
    expect(Object.keys(p.times().phases)).toEqual(["a", "b"]);
  });

  it("counts the total from where it began, never negative", () => {
    const p = new StartupPhases();
    p.mark("loaded");
    const { phases, totalMs } = p.times();
    expect(totalMs).toBeGreaterThanOrEqual(phases.loaded as number);
    expect(phases.loaded).toBeGreaterThanOrEqual(0);
  });
});
