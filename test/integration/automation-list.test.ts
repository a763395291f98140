/**
 * The rule list carries each rule's last run (`lastRun`), so a client shows outcomes without fetching
 * every rule's traces; a dry run is not a run and leaves it unchanged.
 */
import { afterAll, expect, it } from "bun:test";
import { removeDataDirs } from "../helpers/runtime.ts";
import { bootHouse, type House, type Json, until } from "./automation-harness.ts";

let h: House | undefined;
afterAll(async () => {
  await h?.stop();
  removeDataDirs();
});

it("lists each rule's last run with its status and start, and a dry run does not change it", async () => {
  h = await bootHouse();
  const house = h;
  await house.create({
    id: "ping",
    name: "Ping",
    triggers: [{ type: "event", event: "house.ping" }],
    actions: [{ type: "publish", event: "house.pong" }],
  });
  const list = async () => ((await house.json<Json>("/api/v1/automations")).automations as Json[])[0];
  expect((await list()).lastRun).toBeNull();

  const started = await house.json<Json>("/api/v1/automations/ping/run", { method: "POST", body: "{}" });
  await until(() => house.events.some((e) => e.type === "automation.finished"), "the run to finish");
  const after = await list();
  expect(after.lastRun).toEqual({
    runId: started.runId,
    status: "finished",
    startedAt: expect.any(String),
    durationMs: expect.any(Number),
  });

  await house.json("/api/v1/automations/ping/test", { method: "POST", body: "{}" });
  expect((await list()).lastRun).toEqual(after.lastRun);
  expect((await house.json<Json>("/api/v1/automations/ping")).lastRun.runId).toBe(started.runId);
});
