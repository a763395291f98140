import { describe, expect, it } from "bun:test";
import { createIdleWatch } from "../../../../src/modules/admin/idle-watch.ts";
import { captureLog } from "../../../helpers/log.ts";

const timedOut = (lines: Record<string, unknown>[]) =>
  lines.filter((l) => String(l.msg).startsWith("request timed out"));

function request(method = "POST"): { req: Request; abort: () => void } {
  const controller = new AbortController();
  return {
    req: new Request("http://x/api/v1/tokens", { method, signal: controller.signal }),
    abort: () => controller.abort(),
  };
}

describe("idle watch", () => {
  it("logs a request still unanswered when its connection is closed after the idle timeout", async () => {
    const { logger, lines } = captureLog();
    const idle = createIdleWatch({ log: logger, idleTimeoutSeconds: 0.1, armAfterMs: 20 });
    const { req, abort } = request();
    void idle.watch(req, new Promise<Response>(() => {}));
    await Bun.sleep(150);
    abort();
    expect(timedOut(lines)).toEqual([
      expect.objectContaining({ level: "warn", method: "POST", idleTimeoutSeconds: 0.1 }),
    ]);
    // Never the path: keys and ids stay out of the log.
    expect(JSON.stringify(lines)).not.toContain("/api/v1/tokens");
  });

  it("says nothing of a client that went away before the timeout", async () => {
    const { logger, lines } = captureLog();
    const idle = createIdleWatch({ log: logger, idleTimeoutSeconds: 5, armAfterMs: 20 });
    const { req, abort } = request();
    void idle.watch(req, new Promise<Response>(() => {}));
    await Bun.sleep(60);
    abort();
    expect(timedOut(lines)).toEqual([]);
  });

  it("never arms, nor keeps, a request answered in time", async () => {
    const { logger, lines } = captureLog();
    const idle = createIdleWatch({ log: logger, idleTimeoutSeconds: 0.05, armAfterMs: 20 });
    const { req, abort } = request("GET");
    const answer = Promise.resolve(new Response("ok"));
    expect(await idle.watch(req, answer)).toBeInstanceOf(Response);
    expect(idle.pending).toBe(0);
    await Bun.sleep(80);
    abort();
    expect(timedOut(lines)).toEqual([]);
  });
});
