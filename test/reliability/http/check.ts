/**
 * What every hostile response is checked against (README "## HTTP" → Errors), how requests are sent,
 * and the process figures sampled from /proc.
 */
import { readdirSync, readFileSync } from "node:fs";
import { ERROR_CODES } from "../../../src/errors.ts";
import type { HostileCase } from "./corpus.ts";

export interface Outcome {
  c: HostileCase;
  status: number;
  headers: Headers;
  text: string;
  /** The client could not complete the exchange (connection reset, timeout). */
  error?: string;
}

/**
 * Problems with one error response: not JSON, not `{ error: { code, message, data? } }`, a code
 * outside ERROR_CODES, a status that disagrees with the code, missing challenge or Retry-After.
 */
export function errorShapeProblems(status: number, headers: Headers, text: string): string[] {
  const out: string[] = [];
  if (!(headers.get("content-type") ?? "").includes("application/json")) {
    out.push(`content-type ${headers.get("content-type")}`);
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return [...out, `body is not JSON: ${JSON.stringify(text.slice(0, 80))}`];
  }
  const top = body as Record<string, unknown>;
  if (typeof body !== "object" || body === null || Object.keys(top).join() !== "error") {
    return [...out, `body is not { error }: ${text.slice(0, 120)}`];
  }
  const error = top.error as Record<string, unknown>;
  const extra = Object.keys(error).filter((k) => k !== "code" && k !== "message" && k !== "data");
  if (extra.length > 0) out.push(`unexpected error fields ${extra.join(",")}`);
  const code = error.code;
  if (typeof code !== "string" || !(code in ERROR_CODES)) {
    out.push(`code ${JSON.stringify(code)} is not in ERROR_CODES`);
  } else {
    // Every code answers with its catalogued status: no code is reused for another status.
    const expected = ERROR_CODES[code as keyof typeof ERROR_CODES].httpStatus;
    if (status !== expected) out.push(`status ${status} for code ${code} (catalogue: ${expected})`);
  }
  if (typeof error.message !== "string" || error.message === "") out.push("message missing");
  if (status >= 500 && "data" in error) out.push("a 5xx carries data");
  if (status === 401 && !headers.get("www-authenticate")) out.push("401 without WWW-Authenticate");
  if (status === 429 && !/^\d+$/.test(headers.get("retry-after") ?? "")) out.push("429 without Retry-After");
  return out;
}

/** Sends one case with fetch; an SSE answer is cancelled as soon as its headers arrive. */
export async function send(base: string, c: HostileCase, timeoutMs = 15_000): Promise<Outcome> {
  const body = typeof c.body === "function" ? c.body() : c.body;
  try {
    const res = await fetch(`${base}${c.target}`, {
      method: c.method,
      headers: c.headers,
      body,
      redirect: "manual",
      signal: AbortSignal.timeout(timeoutMs),
    });
    let text = "";
    if ((res.headers.get("content-type") ?? "").includes("text/event-stream")) await res.body?.cancel();
    else text = await res.text();
    return { c, status: res.status, headers: res.headers, text };
  } catch (err) {
    return { c, status: 0, headers: new Headers(), text: "", error: (err as Error).message };
  }
}

/** Runs `fn` over `items` with at most `concurrency` in flight; results in input order. */
export async function pool<T, R>(items: T[], concurrency: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return out;
}

/** Resident set size of a process, in KiB (VmRSS of /proc/<pid>/status). */
export function rssKiB(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  if (!m) throw new Error(`no VmRSS for ${pid}`);
  return Number(m[1]);
}

/** Open file descriptors of a process. */
export function fdCount(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

/** One gauge or counter value from a Prometheus exposition (unlabelled series). */
export function metric(text: string, name: string): number {
  const m = new RegExp(`^${name} (\\S+)$`, "m").exec(text);
  if (!m) throw new Error(`no metric ${name}`);
  return Number(m[1]);
}

/** The sample lines of one metric family (any labels), e.g. `hearth_http_requests_total{…} 3`. */
export function series(text: string, name: string): string[] {
  return text.split("\n").filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `));
}

/** Counts by status (0 = the client saw no response), for the printed summary. */
export function byStatus(outcomes: Outcome[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const o of outcomes) out[o.status] = (out[o.status] ?? 0) + 1;
  return out;
}
