/**
 * Runs one crash writer (writer.ts in a child Bun) and stops it with a signal at a chosen moment,
 * collecting every acknowledgement it managed to print.
 */
import { join } from "node:path";
import { type Ack, parseAck, type WriterConfig } from "./model.ts";

const WRITER = join(import.meta.dir, "writer.ts");

export interface WriterRun {
  acks: Ack[];
  /** When the signal was sent (ms since epoch). */
  killedAt: number;
  /** Whether the writer had opened the storage and started writing before the signal. */
  wasReady: boolean;
  /** Whether it printed "closed" (its SIGTERM handler closed the storage). */
  closed: boolean;
  exitCode: number | null;
  signalCode: string | null;
  stderr: string;
}

export interface StopPlan {
  signal: "SIGKILL" | "SIGTERM";
  /** Delay before the signal, ms. */
  afterMs: number;
  /** Count the delay from the writer's "ready" line instead of from the spawn. */
  fromReady?: boolean;
}

/** Uniform random integer in [min, max]. */
export function between(min: number, max: number): number {
  return min + Math.floor(Math.random() * (max - min + 1));
}

export async function runWriter(config: WriterConfig, plan: StopPlan): Promise<WriterRun> {
  const proc = Bun.spawn([process.execPath, WRITER, JSON.stringify(config)], {
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  let out = "";
  let markReady: () => void = () => {};
  const ready = new Promise<void>((r) => {
    markReady = r;
  });
  // Read as it comes, so a full pipe never slows the writer down.
  const reading = (async () => {
    const decoder = new TextDecoder();
    for await (const chunk of proc.stdout) {
      out += decoder.decode(chunk, { stream: true });
      if (out.includes("ready ")) markReady();
    }
  })();
  const stderr = new Response(proc.stderr).text();
  const died = proc.exited.then(async (code) => {
    throw new Error(`writer exited (${code}) before it was stopped:\n${await stderr}`);
  });
  if (plan.fromReady) await Promise.race([ready, died]);
  await Promise.race([Bun.sleep(plan.afterMs), died]);
  const wasReady = out.includes("ready ");
  const killedAt = Date.now();
  proc.kill(plan.signal);
  died.catch(() => {});
  await proc.exited;
  await reading;
  const acks: Ack[] = [];
  for (const line of out.split("\n")) {
    const ack = parseAck(line);
    if (ack) acks.push(ack);
  }
  return {
    acks,
    killedAt,
    wasReady,
    closed: out.includes("\nclosed\n"),
    exitCode: proc.exitCode,
    signalCode: proc.signalCode === null ? null : String(proc.signalCode),
    stderr: await stderr,
  };
}
