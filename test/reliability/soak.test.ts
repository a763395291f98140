/**
 * Soak (issue 6): the compiled binary under a steady mix for a bounded time: inside, the probe plugin
 * publishes events, calls services, sets state with TTLs (a new key every tick) and writes storage
 * (plain, deferred, batched, deleted) every 10 ms and the demo sensor reports every 100 ms; outside,
 * HTTP workers read state and storage, call services, store and delete items, open and drop SSE
 * streams, churn tokens and send bad tokens. RSS, open fds, bus subscriptions and state keys are
 * sampled; after a warm-up, growth past the stated bounds fails the run. Short: 60 s in every
 * `bun test` (issue 6 asks for 2 minutes in CI; 60 s is this suite's CI budget). Long: 30 minutes
 * under `bun run test:soak`.
 */
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { scale } from "./config.ts";
import { fdCount, metric, rssKiB, series } from "./http/check.ts";
import { type Instance, startInstance } from "./http/instance.ts";
import { randomToken } from "./http/timing.ts";

const DURATION_MS = scale(60_000, 30 * 60_000);
const WARMUP_MS = scale(10_000, 2 * 60_000);
const SAMPLE_EVERY_MS = scale(5_000, 30_000);
const HTTP_WORKERS = 4;
/** Each worker's pause between requests: a steady load, not a flood. */
const PAUSE_MS = 5;
/** Bounds on growth after the warm-up. */
const RSS_GROWTH_MIB = 64;
const FD_GROWTH = 20;
/** Keys alive at once: the load keeps ~500 (TTL'd), and makes 100 new ones a second. */
const MAX_STATE_KEYS = 3000;

interface Sample {
  t: number;
  rssMiB: number;
  fds: number;
  subs: number;
  stateKeys: number;
  watchers: number;
  http: number;
  ticks: number;
}

let soak: Instance;
let stopped = false;
/** Responses by `<step> <status>`, over the whole load. */
const counts = new Map<string, number>();
const log = (...args: unknown[]) => console.log("[soak]", ...args);

beforeAll(async () => {
  soak = await startInstance(
    {
      http: { authMaxFailures: 10_000, authWindowMs: 1000 },
      storage: { flushIntervalMs: 500 },
      plugins: { demo: { config: { intervalMs: 100 } }, probe: { config: { loadEveryMs: 10, keys: 200 } } },
    },
    { lean: true },
  );
}, 120_000);

afterAll(async () => {
  if (stopped || soak === undefined) return;
  const crash = soak.crash();
  if (crash !== undefined) log(`the instance died: ${crash}`);
  await soak.stop();
});

/** One HTTP step of the mix: the request and the statuses it may get. */
type Step = [name: string, run: (i: number) => Promise<Response>, ok: number[]];

function steps(): Step[] {
  const get = (path: string, headers = soak.auth()) => fetch(soak.url(path), { headers });
  const post = (path: string, body: unknown, method = "POST") =>
    fetch(soak.url(path), {
      method,
      headers: { ...soak.auth(), "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
  return [
    ["health", () => fetch(soak.url("/health")), [200]],
    ["state keys", () => get("/api/v1/state?pattern=probe/load/*"), [200]],
    ["state value", () => get("/api/v1/state/devices/demo-light"), [200]],
    ["service call", () => post("/api/v1/services/demo.ping/call", {}), [200]],
    ["device command", (i) => post("/api/v1/devices/demo-light/command", { on_off: i % 2 === 0 }), [200]],
    [
      "put item",
      (i) => post(`/api/v1/probe/items/h${i % 100}?ttlMs=50`, { n: i % 1000, label: "soak" }),
      [200],
    ],
    ["get item", (i) => get(`/api/v1/probe/items/h${(i + 50) % 100}`), [200, 404]],
    [
      "delete item",
      (i) =>
        fetch(soak.url(`/api/v1/probe/items/h${(i + 25) % 100}`), { method: "DELETE", headers: soak.auth() }),
      [200],
    ],
    ["storage", () => get("/api/v1/storage/probe?prefix=load:&limit=20"), [200]],
    ["metrics", () => get("/metrics"), [200]],
    ["bad token", () => get("/api/v1/runtime", soak.auth(randomToken())), [401]],
    ["unknown route", () => get("/api/v1/nowhere"), [404]],
    ["invalid body", () => post("/api/v1/probe/items/bad", { n: "not a number" }), [422]],
    ["sse", () => sse(), [200]],
    ["token churn", () => tokenChurn(), [204]],
  ];
}

/** Opens an event stream, waits for its first bytes, and drops it. */
async function sse(): Promise<Response> {
  const res = await fetch(soak.url("/api/v1/events/stream?pattern=probe.*"), { headers: soak.auth() });
  const reader = res.body?.getReader();
  await reader?.read();
  await reader?.cancel();
  return new Response(null, { status: res.status });
}

/** Creates a token, uses it, revokes it; answers with the revoke's status if the use was right. */
async function tokenChurn(): Promise<Response> {
  const { token, id } = await soak.createToken("soak", ["read"]);
  const used = await fetch(soak.url("/api/v1/modules"), { headers: soak.auth(token) });
  await used.text();
  const revoked = await fetch(soak.url(`/api/v1/tokens/${id}`), { method: "DELETE", headers: soak.auth() });
  const after = await fetch(soak.url("/api/v1/modules"), { headers: soak.auth(token) });
  await after.text();
  const ok = used.status === 200 && after.status === 401;
  return new Response(null, { status: ok ? revoked.status : 599 });
}

async function sample(start: number, http: number): Promise<Sample> {
  const text = await (await fetch(soak.url("/metrics"), { headers: soak.auth() })).text();
  const ticks = series(text, "hearth_bus_events_published_total").find((l) =>
    l.includes('type="probe.ticked"'),
  );
  return {
    t: Math.round((performance.now() - start) / 1000),
    rssMiB: Math.round((rssKiB(soak.pid) / 1024) * 10) / 10,
    fds: fdCount(soak.pid),
    subs: metric(text, "hearth_bus_subscriptions"),
    stateKeys: metric(text, "hearth_state_keys"),
    watchers: metric(text, "hearth_state_watchers"),
    http,
    ticks: Number(ticks?.split(" ")[1] ?? 0),
  };
}

describe("soak: the compiled binary under a steady mixed load", () => {
  it(
    `holds RSS within +${RSS_GROWTH_MIB} MiB and open fds within +${FD_GROWTH} after the warm-up, with no 5xx`,
    async () => {
      const mix = steps();
      const unexpected: string[] = [];
      let http = 0;
      let running = true;
      const start = performance.now();
      const worker = async (w: number) => {
        for (let i = w; running; i += HTTP_WORKERS) {
          const [name, run, ok] = mix[i % mix.length] as Step;
          let status: number | string;
          try {
            const res = await run(i);
            await res.arrayBuffer();
            status = res.status;
          } catch (err) {
            status = `no response (${(err as Error).message})`;
          }
          http++;
          counts.set(`${name} ${status}`, (counts.get(`${name} ${status}`) ?? 0) + 1);
          if (!ok.includes(status as number) && unexpected.length < 20) unexpected.push(`${name}: ${status}`);
          await Bun.sleep(PAUSE_MS);
        }
      };
      const samples: Sample[] = [await sample(start, 0)];
      const workers = Array.from({ length: HTTP_WORKERS }, (_, w) => worker(w));
      while (performance.now() - start < DURATION_MS && soak.crash() === undefined) {
        await Bun.sleep(Math.min(SAMPLE_EVERY_MS, DURATION_MS - (performance.now() - start)));
        samples.push(await sample(start, http));
        log(JSON.stringify(samples.at(-1)));
      }
      running = false;
      await Promise.all(workers);
      expect(soak.crash()).toBeUndefined();
      // Every SSE stream was dropped: the subscriptions go back to what the plugins hold.
      let subs = (await sample(start, http)).subs;
      for (let i = 0; i < 20 && subs !== samples[0]?.subs; i++) {
        await Bun.sleep(100);
        subs = (await sample(start, http)).subs;
      }

      const warm = samples.find((s) => s.t * 1000 >= WARMUP_MS) ?? samples[0];
      const after = samples.filter((s) => s.t >= (warm?.t ?? 0));
      const last = after.at(-1);
      if (warm === undefined || last === undefined) throw new Error("no samples");
      const peakRss = Math.max(...after.map((s) => s.rssMiB));
      const peakFds = Math.max(...after.map((s) => s.fds));
      const peakKeys = Math.max(...samples.map((s) => s.stateKeys));
      log(`requests by step and status: ${JSON.stringify(Object.fromEntries([...counts].sort()))}`);
      log(
        `after warm-up (t=${warm.t}s): RSS ${warm.rssMiB} → ${last.rssMiB} MiB (peak ${peakRss}, bound +${RSS_GROWTH_MIB}), ` +
          `fds ${warm.fds} → ${last.fds} (peak ${peakFds}, bound +${FD_GROWTH}), subscriptions ${warm.subs} → ${last.subs}, ` +
          `state keys peak ${peakKeys}, ${last.http} HTTP requests, ${last.ticks} plugin ticks`,
      );
      expect(unexpected).toEqual([]);
      expect(subs).toBe(samples[0]?.subs ?? -1);
      expect(peakRss - warm.rssMiB).toBeLessThan(RSS_GROWTH_MIB);
      expect(peakFds - warm.fds).toBeLessThanOrEqual(FD_GROWTH);
      expect(peakKeys).toBeLessThan(MAX_STATE_KEYS);
      // The load really ran (loose floors: this is about work done, not speed).
      expect(last.http).toBeGreaterThan(1000);
      expect(last.ticks).toBeGreaterThan(500);
    },
    DURATION_MS + 120_000,
  );

  it("leaves no failed handler, no uncaught error, no 5xx in the log and both plugins started", async () => {
    const text = await (await fetch(soak.url("/metrics"), { headers: soak.auth() })).text();
    const plugins = (await (await fetch(soak.url("/api/v1/plugins"), { headers: soak.auth() })).json()) as {
      plugins: { name: string; state: string; errorCount: number }[];
    };
    // probe.get answering NOT_FOUND for an item the HTTP mix deleted is the caller's failure (a 404),
    // not the plugin's error: nothing at all is expected in the error counts.
    expect(counts.get("get item 404") ?? 0).toBeGreaterThan(0);
    expect(plugins.plugins.map((p) => `${p.name} ${p.state} ${p.errorCount}`).sort()).toEqual([
      "demo started 0",
      "gpio started 0",
      "mqtt started 0",
      "probe started 0",
      "zigbee disabled 0",
    ]);
    expect(series(text, "hearth_bus_events_failed_total").filter((l) => !l.endsWith(" 0"))).toEqual([]);
    expect(series(text, "hearth_uncaught_errors_total").filter((l) => !l.endsWith(" 0"))).toEqual([]);
    expect(soak.h.logs.filter((l) => l.msg === "request failed")).toEqual([]);
  });

  it("stops cleanly (exit 0) right after the load", async () => {
    stopped = true;
    expect(await soak.stop()).toBe(0);
  }, 30_000);
});
