import { describe, expect, it } from "bun:test";
import { DeadlineSweeper, Pending } from "../../../../../src/kernel/services/middleware/deadlines.ts";

describe("deadline sweeper (the timeout step's shared timer)", () => {
  it("expires attempts in deadline order, whatever order they were added in", async () => {
    const sweeper = new DeadlineSweeper();
    const expired: number[] = [];
    const now = performance.now();
    for (const ms of [40, 10, 30, 20, 5]) sweeper.add(new Pending(now + ms, () => expired.push(ms)));
    await Bun.sleep(80);
    expect(expired).toEqual([5, 10, 20, 30, 40]);
    expect(sweeper.size).toBe(0);
  });

  it("never expires an attempt removed before its deadline, and keeps the others", async () => {
    const sweeper = new DeadlineSweeper();
    const expired: string[] = [];
    const now = performance.now();
    const attempts = ["a", "b", "c", "d", "e", "f"].map(
      (name, i) => [name, new Pending(now + 10 + i * 3, () => expired.push(name))] as const,
    );
    for (const [, p] of attempts) sweeper.add(p);
    for (const [name, p] of attempts) if (name === "a" || name === "d" || name === "f") sweeper.remove(p);
    sweeper.remove((attempts[0] as (typeof attempts)[number])[1]); // twice is a no-op
    expect(sweeper.size).toBe(3);
    await Bun.sleep(60);
    expect(expired).toEqual(["b", "c", "e"]);
  });

  it("re-arms for an earlier deadline added after a later one", async () => {
    const sweeper = new DeadlineSweeper();
    let at = 0;
    const start = performance.now();
    sweeper.add(new Pending(start + 5_000, () => {}));
    const early = new Pending(start + 10, () => {
      at = performance.now() - start;
    });
    sweeper.add(early);
    await Bun.sleep(50);
    expect(at).toBeGreaterThanOrEqual(9);
    expect(at).toBeLessThan(45);
    expect(sweeper.size).toBe(1);
  });

  it("leaves no timer once it has fired with nothing in flight", async () => {
    const sweeper = new DeadlineSweeper();
    const p = new Pending(performance.now() + 10, () => {
      throw new Error("must not expire");
    });
    sweeper.add(p);
    sweeper.remove(p);
    expect(sweeper.size).toBe(0);
    await Bun.sleep(30);
    expect(sweeper.armed).toBe(false);
  });

  it("does not keep the process alive while an attempt is pending", async () => {
    const script = `
      import { deadlines, Pending } from ${JSON.stringify(`${import.meta.dir}/../../../../../src/kernel/services/middleware/deadlines.ts`)};
      deadlines.add(new Pending(performance.now() + 60_000, () => {}));
    `;
    const t0 = performance.now();
    const proc = Bun.spawn([process.execPath, "-e", script], { stdout: "ignore", stderr: "inherit" });
    expect(await proc.exited).toBe(0);
    expect(performance.now() - t0).toBeLessThan(10_000);
  });
});
