/**
 * A client that stalls mid-body is cut off by the idle timeout, and the binary's output stays JSON
 * lines only: Bun's own plain-text `warn: Bun.serve() timed out a request…` never reaches journald;
 * the admin module logs the event itself.
 */
import { afterAll, expect, it } from "bun:test";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { IDLE_TIMEOUT_SECONDS } from "../../src/modules/admin/index.ts";
import { rawRequest } from "../reliability/http/raw.ts";
import { hearthBinary, type Running, startHearth, tempDir } from "./harness.ts";

let h: Running | undefined;
const data = tempDir("e2e-idle");
afterAll(async () => {
  h?.proc.kill("SIGTERM");
  await h?.exited;
  rmSync(data, { recursive: true, force: true });
});

it(
  "logs a stalled request as JSON and writes nothing that is not JSON",
  async () => {
    const bin = await hearthBinary();
    h = await startHearth(bin, { args: ["--data-dir", data], timeoutMs: 30_000 });
    const token = readFileSync(join(data, "admin.token"), "utf8").trim();
    // Authenticated, so the route waits for the body (an anonymous request is refused at once).
    const stalled = await rawRequest(
      h.port,
      `POST /api/v1/tokens HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\n` +
        "Content-Type: application/json\r\n" +
        'Content-Length: 100\r\n\r\n{"name":',
      { timeoutMs: (IDLE_TIMEOUT_SECONDS + 10) * 1000 },
    );
    expect(stalled.closedByServer).toBe(true);
    expect(stalled.response).toBeUndefined();
    // The log line may follow the close by a moment.
    for (let i = 0; i < 50 && !h.logs.some((l) => l.msg?.toString().startsWith("request timed out")); i++) {
      await Bun.sleep(20);
    }
    const line = h.logs.find((l) => String(l.msg).startsWith("request timed out"));
    expect(line).toMatchObject({
      level: expect.anything(),
      method: "POST",
      idleTimeoutSeconds: IDLE_TIMEOUT_SECONDS,
    });
    const notJson = h
      .text()
      .split("\n")
      .filter((l) => l.trim() !== "")
      .filter((l) => {
        try {
          JSON.parse(l);
          return false;
        } catch {
          return true;
        }
      });
    expect(notJson).toEqual([]);
  },
  (IDLE_TIMEOUT_SECONDS + 25) * 1000,
);
