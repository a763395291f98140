/**
 * A crash-test writer: opens the real storage (`openStorage`) and writes in several concurrent lanes
 * until it is killed, printing an acknowledgement line only after each write's promise resolved.
 * Acks go out with a synchronous write to fd 1, so an ack the parent can read was really given.
 * On SIGTERM it closes the storage (flushing deferred writes) and exits 0.
 *
 * Usage: bun writer.ts '<WriterConfig JSON>'
 */
import { writeSync } from "node:fs";
import { openStorage, type Storage } from "../../../src/kernel/storage/index.ts";
import { ackLine, batchSize, COUNTERS, genNamespace, type Lane, value, type WriterConfig } from "./model.ts";

const config = JSON.parse(process.argv[2] ?? "") as WriterConfig;
const ns = genNamespace(config.gen);
let stopping = false;

function say(line: string): void {
  writeSync(1, line);
}

async function pace(): Promise<void> {
  if (config.paceMs > 0) await Bun.sleep(Math.random() * config.paceMs);
}

async function counterStart(storage: Storage, key: string): Promise<number> {
  const doc = await storage.get<{ n: number }>(COUNTERS, key);
  return doc?.n ?? 0;
}

/** One write of a lane; resolves once the storage call resolved. */
async function write(storage: Storage, lane: Lane, n: number): Promise<void> {
  const gen = config.gen;
  switch (lane) {
    case "set":
      return storage.set(ns, `s/${n}`, value(gen, lane, n));
    case "deferred":
      return storage.set(ns, `d/${n}`, value(gen, lane, n), { deferred: true });
    case "batch": {
      const entries = [];
      for (let i = 0; i < batchSize(n); i++)
        entries.push({ key: `c/${n}/${i}`, value: value(gen, lane, n, i) });
      return storage.batchSet(ns, entries);
    }
    case "tx":
      return storage.transaction(async (tx) => {
        const v = value(gen, lane, n);
        await tx.set(ns, `a/${n}`, v);
        // Give the kill a chance to land with the transaction open and half written.
        if (n % 3 === 0) await Bun.sleep(1);
        await tx.set(ns, `b/${n}`, v);
        await tx.set(COUNTERS, "tx", { gen, n });
      });
    case "counter":
      return storage.set(COUNTERS, "counter", { gen, n });
    case "dcounter":
      return storage.set(COUNTERS, "dcounter", { gen, n }, { deferred: true });
  }
}

async function runLane(storage: Storage, lane: Lane, first: number): Promise<void> {
  for (let n = first; !stopping; n++) {
    try {
      await write(storage, lane, n);
    } catch (err) {
      // Refused once SIGTERM closed the storage: that write was never acknowledged.
      if (stopping) return;
      throw err;
    }
    say(ackLine(lane, n, Date.now()));
    await pace();
  }
}

const storage = await openStorage({ path: config.path, flushIntervalMs: config.flushIntervalMs });
process.on("SIGTERM", () => {
  stopping = true;
  storage.close().then(
    () => {
      say("closed\n");
      process.exit(0);
    },
    (err: unknown) => {
      process.stderr.write(`close failed: ${String(err)}\n`);
      process.exit(1);
    },
  );
});
const starts = {
  counter: (await counterStart(storage, "counter")) + 1,
  dcounter: (await counterStart(storage, "dcounter")) + 1,
};
say(`ready ${Date.now()}\n`);
await Promise.all(
  config.lanes.map((lane) =>
    runLane(storage, lane, lane === "counter" || lane === "dcounter" ? starts[lane] : 1),
  ),
);
