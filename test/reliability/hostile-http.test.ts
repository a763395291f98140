/**
 * Hostile HTTP input (issue 6) against the compiled binary over loopback: a corpus generated from the
 * served /openapi.json plus seeded fuzz, raw-socket abuse, slow clients, and the auth guarantees
 * (no route without a valid token, unguessable tokens, revocation at once, rate limiting). Asserts
 * outcomes only; the token timing figures are printed for RELIABILITY.md, never asserted.
 */
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { openStorage } from "../../src/kernel/storage/index.ts";
import { createTokenStore } from "../../src/modules/admin/auth/index.ts";
import { runHearth, tempDir } from "../e2e/harness.ts";
import { scale } from "./config.ts";
import {
  byStatus,
  errorShapeProblems,
  fdCount,
  metric,
  type Outcome,
  pool,
  rssKiB,
  send,
  series,
} from "./http/check.ts";
import {
  buildCorpus,
  fuzzCases,
  type HostileCase,
  type OpenApiDoc,
  type Operation,
  operations,
} from "./http/corpus.ts";
import { type Instance, startInstance } from "./http/instance.ts";
import { rawRequest } from "./http/raw.ts";
import { RAW_CASES } from "./http/raw-cases.ts";
import { interleaved, nearMiss, randomToken } from "./http/timing.ts";

const PASSES = scale(3, 60);
const FUZZ = scale(1500, 20_000);
const GUESSES = scale(2000, 50_000);
const REVOCATIONS = scale(10, 200);
const TIMING_SAMPLES = scale(1000, 20_000);
const SEED = Number(process.env.HEARTH_FUZZ_SEED ?? 6);
const CONCURRENCY = 8;
const MAX_BODY = 1024 * 1024;
/** Bounds over the repeated passes, after a first warm-up pass. */
const RSS_GROWTH_MIB = 64;
const FD_GROWTH = 20;
const SERIES_GROWTH = 20;

// HEAD on the SSE route leaks a bus subscription per request (a known bug, see the `failing` test
// below); left out of the corpus so the leak checks here measure everything else.
const exclude = (method: string, template: string) =>
  method === "HEAD" && template === "/api/v1/events/stream";

let main: Instance;
let ops: Operation[];
let readToken: string;
let controlToken: string;
/** A client that sent headers and half a body, then went quiet; started first, checked last. */
let stalledBody: ReturnType<typeof rawRequest>;

/** The error text of a request whose client went away mid-body (see the known bug below). */

const log = (...args: unknown[]) => console.log("[hostile-http]", ...args);
const base = () => main.url("");
const secured = () => ops.filter((op) => op.scope !== "public");
const corpus = (headers: Record<string, string>) =>
  buildCorpus(ops, { headers, maxBodyBytes: MAX_BODY, exclude });

/** Problems of one outcome: no answer, a 5xx, or a 4xx without the documented shape. */
function problemsOf(o: Outcome): string[] {
  const where = `${o.c.method} ${o.c.target.slice(0, 90)} [${o.c.label.slice(0, 50)}]`;
  if (o.error !== undefined) return [`${where}: no response (${o.error})`];
  if (o.status >= 500) return [`${where}: ${o.status} ${o.text.slice(0, 160)}`];
  if (o.status >= 400 && o.c.method !== "HEAD") {
    return errorShapeProblems(o.status, o.headers, o.text).map((p) => `${where}: ${p}`);
  }
  return [];
}

async function runCases(cases: HostileCase[]): Promise<Outcome[]> {
  return pool(cases, CONCURRENCY, (c) => send(base(), c));
}

async function subscriptions(): Promise<number> {
  const res = await fetch(main.url("/metrics"), { headers: main.auth() });
  return metric(await res.text(), "hearth_bus_subscriptions");
}

beforeAll(async () => {
  // metricsCacheMs 0: the bounds below poll /metrics for fresh counts (bus subscriptions, series).
  main = await startInstance({ http: { authMaxFailures: 10_000, authWindowMs: 1000, metricsCacheMs: 0 } });
  stalledBody = rawRequest(
    main.h.port,
    `POST /api/v1/probe/items/stalled HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${main.token}\r\n` +
      'Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{"n":1,',
    { timeoutMs: 30_000 },
  );
  const doc = (await (await fetch(main.url("/openapi.json"))).json()) as OpenApiDoc;
  ops = operations(doc);
  readToken = (await main.createToken("hostile-read", ["read"])).token;
  controlToken = (await main.createToken("hostile-control", ["control"])).token;
}, 120_000);

afterAll(async () => {
  const crash = main?.crash();
  if (crash !== undefined) log(`the instance died: ${crash}`);
  await main?.stop();
});

describe("hostile HTTP input against the compiled binary", () => {
  it("generates its corpus from every operation of the served OpenAPI document", () => {
    const templates = new Set(ops.map((o) => `${o.method} ${o.template}`));
    expect(templates.has("POST /api/v1/tokens")).toBe(true);
    expect(templates.has("POST /api/v1/probe/items/{id}")).toBe(true);
    expect(ops.length).toBeGreaterThanOrEqual(25);
    expect(corpus(main.auth()).length).toBeGreaterThan(1000);
  });

  it("answers the corpus and seeded fuzz with an admin token: no 5xx, every 4xx in the documented shape", async () => {
    const cases = [
      ...corpus(main.auth()),
      ...fuzzCases(ops, FUZZ, SEED, { headers: main.auth(), maxBodyBytes: MAX_BODY, exclude }),
    ];
    const outcomes = await runCases(cases);
    log(`admin corpus + fuzz (seed ${SEED}): ${outcomes.length} requests`, byStatus(outcomes));
    expect(outcomes.flatMap(problemsOf)).toEqual([]);
  }, 60_000);

  it("answers the corpus with a read token and with none the same way, and never with a 2xx on a secured route without one", async () => {
    const withRead = await runCases(corpus(main.auth(readToken)));
    const without = await runCases(corpus({}));
    log(`read-token corpus: ${withRead.length} requests`, byStatus(withRead));
    log(`no-token corpus: ${without.length} requests`, byStatus(without));
    expect([...withRead, ...without].flatMap(problemsOf)).toEqual([]);
    const reached = without
      .filter((o) => o.c.op.scope !== "public" && o.status >= 200 && o.status < 400)
      .map((o) => `${o.c.method} ${o.c.target} → ${o.status}`);
    expect(reached).toEqual([]);
  }, 60_000);

  it("answers raw-socket abuse (header abuse, NUL and non-UTF-8 bytes, odd methods, bad framing) without a 5xx from the app", async () => {
    const problems: string[] = [];
    for (const c of RAW_CASES) {
      const r = await rawRequest(main.h.port, c.request(main.token), { timeoutMs: 5000 });
      const status = r.response?.status ?? (r.closedByServer ? "closed" : "no answer");
      if (!c.expect.includes(status as number | "closed")) problems.push(`${c.label}: ${status}`);
      if (c.app && r.response !== undefined && r.response.status >= 400 && r.response.body !== "") {
        const headers = new Headers(r.response.headers);
        for (const p of errorShapeProblems(r.response.status, headers, r.response.body)) {
          problems.push(`${c.label}: ${p}`);
        }
      }
      const extra = c.check?.(r.raw);
      if (extra !== undefined) problems.push(`${c.label}: ${extra}`);
    }
    log(`raw-socket cases: ${RAW_CASES.length}`);
    expect(problems).toEqual([]);
  }, 60_000);

  it("serves clients that send their request one byte at a time", async () => {
    const body = JSON.stringify({ n: 7, label: "slow" });
    const post =
      `POST /api/v1/probe/items/slow HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${main.token}\r\n` +
      `Content-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`;
    const get = "GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    const results = await Promise.all([
      rawRequest(main.h.port, post, { bytePauseMs: 2, timeoutMs: 10_000 }),
      ...Array.from({ length: 3 }, () => rawRequest(main.h.port, get, { bytePauseMs: 5, timeoutMs: 10_000 })),
    ]);
    expect(results.map((r) => r.response?.status)).toEqual([200, 200, 200, 200]);
    expect(JSON.parse(results[0]?.response?.body ?? "null")).toEqual({ id: "slow", stored: true });
  }, 20_000);

  it("keeps serving while 50 clients hold connections with unfinished headers or bodies, and frees them when they go", async () => {
    const before = fdCount(main.pid);
    const partial = (i: number) =>
      i % 2 === 0
        ? `GET /api/v1/runtime HTTP/1.1\r\nHost: x\r\nX-Slow: ${i}\r\n`
        : `POST /api/v1/probe/echo HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${main.token}\r\n` +
          'Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"a":';
    const held = Array.from({ length: 50 }, (_, i) =>
      rawRequest(main.h.port, partial(i), { timeoutMs: 1500 }),
    );
    await Bun.sleep(200);
    const health = await fetch(main.url("/health"));
    const runtime = await fetch(main.url("/api/v1/runtime"), { headers: main.auth() });
    expect([health.status, runtime.status]).toEqual([200, 200]);
    await runtime.text();
    const results = await Promise.all(held);
    // Nobody answered a request that never finished: the held connections ended by our timeout.
    expect(results.filter((r) => r.response !== undefined)).toEqual([]);
    let after = fdCount(main.pid);
    for (let i = 0; i < 50 && after > before + 5; i++) {
      await Bun.sleep(100);
      after = fdCount(main.pid);
    }
    log(`held connections: fds ${before} before, ${after} after they closed`);
    expect(after).toBeLessThanOrEqual(before + 5);
  }, 20_000);

  it("keeps RSS, open fds and bus subscriptions bounded over repeated corpus passes", async () => {
    const samples: { pass: number; rssMiB: number; fds: number; subs: number; series: number }[] = [];
    const sample = async (pass: number) => {
      // Rules the corpus created (valid bodies get 201) subscribe to what they trigger on, as they
      // should: delete them, which must take their subscriptions with them.
      const rules = (await (
        await fetch(main.url("/api/v1/automations"), { headers: main.auth() })
      ).json()) as {
        automations?: { id: string }[];
      };
      for (const r of rules.automations ?? []) {
        const del = await fetch(main.url(`/api/v1/automations/${encodeURIComponent(r.id)}`), {
          method: "DELETE",
          headers: main.auth(),
        });
        expect(del.status).toBe(204);
      }
      // SSE streams the corpus cancelled are unsubscribed as their close arrives: let that happen.
      let subs = await subscriptions();
      for (let i = 0; i < 20 && subs > (samples[0]?.subs ?? subs); i++) {
        await Bun.sleep(50);
        subs = await subscriptions();
      }
      const text = await (await fetch(main.url("/metrics"), { headers: main.auth() })).text();
      samples.push({
        pass,
        rssMiB: Math.round((rssKiB(main.pid) / 1024) * 10) / 10,
        fds: fdCount(main.pid),
        subs,
        series: series(text, "hearth_http_requests_total").length,
      });
    };
    // Pass 0 warms up: keep-alive connections, JIT, allocator arenas, the cached OpenAPI text.
    for (let pass = 0; pass <= PASSES; pass++) {
      const fuzz = fuzzCases(ops, FUZZ, SEED + pass, {
        headers: main.auth(),
        maxBodyBytes: MAX_BODY,
        exclude,
      });
      const outcomes = await runCases([...corpus(main.auth()), ...fuzz]);
      expect(outcomes.flatMap(problemsOf)).toEqual([]);
      await sample(pass);
    }
    log("RSS / fds / bus subscriptions per pass:", samples.map((s) => JSON.stringify(s)).join(" "));
    const first = samples[0];
    const last = samples.at(-1);
    if (first === undefined || last === undefined) throw new Error("no samples");
    const peak = Math.max(...samples.map((s) => s.rssMiB));
    log(`RSS ${first.rssMiB} → ${last.rssMiB} MiB (peak ${peak}), bound +${RSS_GROWTH_MIB} MiB`);
    expect(peak - first.rssMiB).toBeLessThan(RSS_GROWTH_MIB);
    expect(last.fds - first.fds).toBeLessThanOrEqual(FD_GROWTH);
    expect(last.subs).toBe(first.subs);
    // Metric labels come from route patterns and a closed set of methods, never from raw input.
    expect(last.series - first.series).toBeLessThanOrEqual(SERIES_GROWTH);
  }, 600_000);

  it("cuts off, on its own, a client that never finishes its body", async () => {
    const r = await stalledBody;
    expect(r.closedByServer).toBe(true);
    expect(r.response).toBeUndefined();
  }, 35_000);

  it("still answers /health after everything, with the same process", async () => {
    const res = await fetch(main.url("/health"));
    expect(res.status).toBe(200);
    expect(main.h.proc.exitCode).toBeNull();
    // A 5xx is logged as "request failed": none may have happened (clients that went away mid-body,
    // like the stalled and held ones above, are recorded as 499, not as failures).
    const failed = main.h.logs.filter((l) => l.msg === "request failed");
    expect(failed).toEqual([]);
    const text = await (await fetch(main.url("/metrics"), { headers: main.auth() })).text();
    expect(series(text, "hearth_uncaught_errors_total").map((l) => l.split(" ")[1])).toEqual(["0", "0"]);
  });

  it("does not log or count a client that goes away mid-body as a 5xx (499 instead)", async () => {
    const mark = main.h.logs.length;
    await rawRequest(
      main.h.port,
      `POST /api/v1/probe/echo HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${main.token}\r\n` +
        'Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"a":',
      { timeoutMs: 300 },
    );
    await Bun.sleep(300);
    const after = main.h.logs.slice(mark);
    expect(after.filter((l) => l.msg === "request failed")).toEqual([]);
    expect(after.filter((l) => l.msg === "http request" && l.status === 500)).toEqual([]);
    expect(after.some((l) => l.msg === "http request" && l.status === 499)).toBe(true);
  });

  // Hono answers HEAD by running the GET handler and dropping its body, so a stream made for it
  // would never be read or cancelled (src/modules/admin/sse.ts answers HEAD with headers only).
  it("HEAD on the event stream leaves no bus subscription behind", async () => {
    const before = await subscriptions();
    for (let i = 0; i < 20; i++) {
      const res = await fetch(main.url("/api/v1/events/stream?pattern=demo.*"), {
        method: "HEAD",
        headers: main.auth(),
      });
      expect(res.status).toBe(200);
    }
    await Bun.sleep(200);
    expect(await subscriptions()).toBe(before);
  });
});

describe("authentication under attack", () => {
  const baseline = (op: Operation) =>
    buildCorpus([op], { headers: {}, maxBodyBytes: MAX_BODY }).find(
      (c) => c.label === "baseline",
    ) as HostileCase;

  it("documents every /api/v1 operation as secured, with a bearer security requirement", () => {
    const open = ops.filter((o) => o.template.startsWith("/api/v1") && o.scope === "public");
    expect(open.map((o) => `${o.method} ${o.template}`)).toEqual([]);
  });

  it("refuses every secured operation without a valid token: none, unknown, malformed, in the query or a cookie", async () => {
    const attempts: [string, Record<string, string>, string, string][] = [
      ["none", {}, "", "AUTH_REQUIRED"],
      ["unknown", { Authorization: `Bearer ${randomToken()}` }, "", "AUTH_INVALID_TOKEN"],
      ["near miss", { Authorization: `Bearer ${nearMiss(main.token)}` }, "", "AUTH_INVALID_TOKEN"],
      ["basic", { Authorization: `Basic ${btoa(`admin:${main.token}`)}` }, "", "AUTH_INVALID_TOKEN"],
      ["empty bearer", { Authorization: "Bearer " }, "", "AUTH_INVALID_TOKEN"],
      ["query", {}, `access_token=${main.token}&token=${main.token}`, "AUTH_REQUIRED"],
      ["cookie", { Cookie: `token=${main.token}` }, "", "AUTH_REQUIRED"],
    ];
    const wrong: string[] = [];
    for (const op of secured()) {
      const c = baseline(op);
      for (const [label, headers, query, code] of attempts) {
        const t = query === "" ? c.target : `${c.target}${c.target.includes("?") ? "&" : "?"}${query}`;
        const o = await send(base(), { ...c, target: t, headers: { ...c.headers, ...headers } });
        const got =
          o.status === 401 ? (JSON.parse(o.text) as { error: { code: string } }).error.code : o.status;
        if (got !== code) wrong.push(`${op.method} ${op.template} (${label}): ${got}`);
      }
    }
    log(`${secured().length} secured operations × ${attempts.length} ways without a valid token`);
    expect(wrong).toEqual([]);
  }, 30_000);

  it("refuses read and control tokens on admin operations, and read tokens on control ones (403)", async () => {
    const wrong: string[] = [];
    for (const op of secured()) {
      const lower =
        op.scope === "admin" ? [readToken, controlToken] : op.scope === "control" ? [readToken] : [];
      for (const token of lower) {
        const c = baseline(op);
        const o = await send(base(), { ...c, headers: { ...c.headers, ...main.auth(token) } });
        if (o.status !== 403 || !o.text.includes("AUTH_FORBIDDEN")) {
          wrong.push(`${op.method} ${op.template}: ${o.status}`);
        }
      }
    }
    expect(wrong).toEqual([]);
  }, 30_000);

  it("refuses thousands of random token guesses and every near miss of the real token", async () => {
    const t = main.token;
    const near = [
      ...Array.from(
        { length: t.length },
        (_, i) => `${t.slice(0, i)}${t[i] === "x" ? "y" : "x"}${t.slice(i + 1)}`,
      ),
      t.slice(0, -1),
      `${t}A`,
      t.toUpperCase(),
      t.toLowerCase(),
      t.slice(4),
      `hth_${t.slice(4).split("").reverse().join("")}`,
    ].filter((g) => g !== t);
    const guesses = [...near, ...Array.from({ length: GUESSES }, randomToken)];
    const outcomes = await pool(guesses, CONCURRENCY, async (g) => {
      const res = await fetch(main.url("/api/v1/runtime"), { headers: main.auth(g) });
      return { status: res.status, text: await res.text() };
    });
    const accepted = outcomes.filter((o) => o.status !== 401 || !o.text.includes("AUTH_INVALID_TOKEN"));
    log(
      `${guesses.length} token guesses (${near.length} near misses), all refused: ${accepted.length === 0}`,
    );
    expect(accepted).toEqual([]);
  }, 60_000);

  it("refuses a revoked token on its very next request, revoked through the API or the CLI", async () => {
    const use = async (token: string) =>
      (await fetch(main.url("/api/v1/runtime"), { headers: main.auth(token) })).status;
    const statuses: string[] = [];
    for (let i = 0; i < REVOCATIONS; i++) {
      const { token, id } = await main.createToken(`revoke-${i}`, ["read"]);
      const live = await use(token);
      const del = await fetch(main.url(`/api/v1/tokens/${id}`), { method: "DELETE", headers: main.auth() });
      statuses.push(`${live} ${del.status} ${await use(token)}`);
    }
    const { token, id } = await main.createToken("revoke-cli", ["admin"]);
    const live = await use(token);
    const cli = await runHearth(main.bin, ["token", "revoke", id, "--data-dir", main.data]);
    expect(cli.code).toBe(0);
    statuses.push(`${live} cli ${await use(token)}`);
    expect(statuses).toEqual([...Array.from({ length: REVOCATIONS }, () => "200 204 401"), "200 cli 401"]);
  }, 60_000);

  it("throttles an address's bad tokens after authMaxFailures (429 with Retry-After, whatever X-Forwarded-For says) while valid tokens from it keep passing", async () => {
    const limited = await startInstance(
      { http: { authMaxFailures: 10, authWindowMs: 60_000 } },
      { probe: false },
    );
    try {
      const get = (headers: Record<string, string>, path = "/api/v1/runtime") =>
        fetch(limited.url(path), { headers });
      const scraper = (await limited.createToken("prometheus", ["read"])).token;
      const statuses: number[] = [];
      // A missing header is not a guess: it must not count towards the limit.
      for (let i = 0; i < 15; i++) statuses.push((await get({})).status);
      for (let i = 0; i < 10; i++) statuses.push((await get(limited.auth(randomToken()))).status);
      expect(statuses).toEqual([...Array(15).fill(401), ...Array(10).fill(401)]);
      const blocked = await get(limited.auth(randomToken()));
      const body = await blocked.text();
      expect(blocked.status).toBe(429);
      expect(errorShapeProblems(429, blocked.headers, body)).toEqual([]);
      expect(JSON.parse(body).error.code).toBe("AUTH_RATE_LIMITED");
      const retryAfter = Number(blocked.headers.get("retry-after"));
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(60);
      expect((await get({ ...limited.auth(randomToken()), "X-Forwarded-For": "203.0.113.9" })).status).toBe(
        429,
      );
      // The owner and the Prometheus scraper share the attacker's address (no trustProxy): never refused.
      const during: number[] = [];
      for (let i = 0; i < 5; i++) {
        during.push((await get(limited.auth(randomToken()))).status);
        during.push((await get(limited.auth())).status);
        during.push((await get(limited.auth(scraper), "/metrics")).status);
        during.push((await get({ ...limited.auth(), "X-Forwarded-For": "203.0.113.9" })).status);
      }
      expect(during).toEqual(Array(5).fill([429, 200, 200, 200]).flat());
      expect((await fetch(limited.url("/health"))).status).toBe(200);
    } finally {
      await limited.stop();
    }
  }, 30_000);

  it("verifies a near-miss token and a random one alike (figures printed, not asserted)", async () => {
    const near = nearMiss(main.token);
    const status = async (token: string) => {
      const res = await fetch(main.url("/api/v1/runtime"), { headers: main.auth(token) });
      await res.text();
      if (res.status !== 401) throw new Error(`a wrong token got ${res.status}`);
    };
    const http = await interleaved(
      TIMING_SAMPLES,
      () => status(near),
      () => status(randomToken()),
    );
    log("HTTP round trip, near miss:", JSON.stringify(http.a));
    log("HTTP round trip, random:   ", JSON.stringify(http.b));

    // In-process, without the network: the token store's verify() over a real SQLite file.
    const dir = tempDir("timing");
    const storage = await openStorage({ path: join(dir, "hearth.db") });
    try {
      const store = createTokenStore({ storage });
      const { token } = await store.create({ name: "real", scopes: ["admin"] });
      const nearInProcess = nearMiss(token);
      let refused = 0;
      const verify = async (t: string) => {
        if ((await store.verify(t)) === undefined) refused++;
      };
      const direct = await interleaved(
        TIMING_SAMPLES * 5,
        () => verify(nearInProcess),
        () => verify(randomToken()),
      );
      log("verify() in process, near miss:", JSON.stringify(direct.a));
      log("verify() in process, random:   ", JSON.stringify(direct.b));
      expect(refused).toBe(TIMING_SAMPLES * 10);
    } finally {
      await storage.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
