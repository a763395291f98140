/**
 * Serial echo over a socat pty pair: Hearth's driver (`openSerialPort`, and `SerialPortStream` over
 * `BunSerialBinding`, the path zigbee-herdsman takes) against the same echo done with Node's `fs`
 * in the same run.
 *
 * Each case has its own pty pair, and on the far end of each pair the same echo peer: `cat` reading
 * and writing the other pty (a C loop, so the peer costs every case the same). Cases are measured
 * in interleaved blocks, so a burst of load from the other processes on this machine lands on all
 * of them alike.
 *
 * - latency: one write of N bytes, then wait until N bytes came back; p50/p99 over all samples;
 * - throughput: 1 MiB written in 4 KiB writes with at most 16 KiB not yet echoed, while the echo is
 *   read back; MiB/s of the round trip (1 MiB out and 1 MiB in), median of the runs.
 *
 * The Node baseline is what Node's own fs offers for a tty: the device opened blocking
 * (`O_RDWR|O_NOCTTY`; a non-blocking descriptor makes `fs.createReadStream` fail with EAGAIN),
 * `fs.createReadStream` on the descriptor for reads (reads on the thread pool) and `fs.writeSync`.
 * No termios: Node's fs cannot set any. The window in the transfer is for this baseline: a blocking
 * write bigger than the buffers on the way deadlocks against its own echo, and
 * `fs.createWriteStream` on the blocking tty stalled here with a 1 MiB write in flight (Bun 1.4.5,
 * bytesWritten 0) while the read stream starved; Hearth's driver needs no window (its writes retry
 * EAGAIN without blocking) but gets the same one, so the cases move the same bytes the same way.
 */
import { closeSync, constants, createReadStream, openSync, writeSync } from "node:fs";
import { SerialPortStream } from "@serialport/stream";
import { BunSerialBinding, openSerialPort } from "../src/hal/serial/index.ts";
import { type PtyPair, startPtyPair } from "../test/helpers/socat.ts";
import { figure, percentile, save } from "./lib.ts";

const BAUD = 460_800;
const MIB = 1024 * 1024;
const BLOCKS = 10;
const SAMPLES_PER_BLOCK = 200;
const THROUGHPUT_RUNS = 5;
const CHUNK = 4096;
const WINDOW = 16 * 1024;

/** One end of an echo: a way to write, and the count of bytes that came back. */
interface Echo {
  name: string;
  baseline?: boolean;
  arrivals: Arrivals;
  /** Writes `data` the transport's usual way; resolves once it is handed to the kernel (or queued). */
  send(data: Uint8Array): Promise<void> | void;
  close(): Promise<void>;
}

/** Counts bytes coming back and resolves waiters once the count reaches their target. */
class Arrivals {
  #got = 0;
  #waiters: { target: number; resolve: () => void }[] = [];
  add(n: number): void {
    this.#got += n;
    while (this.#waiters.length > 0 && (this.#waiters[0]?.target ?? 0) <= this.#got) {
      this.#waiters.shift()?.resolve();
    }
  }
  /** Resolves once `n` more bytes than now have arrived. */
  next(n: number): Promise<void> {
    return this.#wait(this.#got + n);
  }
  /** Resolves once this many bytes arrived since the start of the current transfer (see `mark`). */
  reach(sinceMark: number): Promise<void> {
    return this.#wait(this.#mark + sinceMark);
  }
  mark(): void {
    this.#mark = this.#got;
  }
  #mark = 0;
  #wait(target: number): Promise<void> {
    if (this.#got >= target) return Promise.resolve();
    return new Promise((resolve) => {
      // Waiters are kept in target order (one transfer's window waits and its final wait interleave).
      const at = this.#waiters.findIndex((w) => w.target > target);
      this.#waiters.splice(at < 0 ? this.#waiters.length : at, 0, { target, resolve });
    });
  }
}

interface Peer {
  pair: PtyPair;
  echo: Bun.Subprocess;
  dispose(): Promise<void>;
}

async function peer(): Promise<Peer> {
  const pair = await startPtyPair();
  const echo = Bun.spawn(["sh", "-c", 'exec cat <"$0" >"$0"', pair.b], {
    stdin: "ignore",
    stdout: "ignore",
    stderr: "inherit",
  });
  return {
    pair,
    echo,
    async dispose() {
      echo.kill();
      await echo.exited;
      await pair.dispose();
    },
  };
}

async function hearthDriver(path: string): Promise<Echo> {
  const port = await openSerialPort({ path, baudRate: BAUD });
  const arrivals = new Arrivals();
  let closing = false;
  const reader = (async () => {
    try {
      for await (const chunk of port) arrivals.add(chunk.length);
    } catch (e) {
      if (!closing) throw e;
    }
  })();
  return {
    name: "Hearth driver: openSerialPort, write() + async iteration",
    arrivals,
    send: (data) => port.write(data),
    async close() {
      closing = true;
      await port.close();
      await reader;
    },
  };
}

async function hearthStream(path: string): Promise<Echo> {
  const port = new SerialPortStream({ binding: BunSerialBinding, path, baudRate: BAUD, autoOpen: false });
  await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
  const arrivals = new Arrivals();
  port.on("data", (chunk: Buffer) => arrivals.add(chunk.length));
  return {
    name: "Hearth binding: SerialPortStream over BunSerialBinding",
    arrivals,
    send: (data) => {
      port.write(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
    },
    close: () => new Promise<void>((resolve) => port.close(() => resolve())),
  };
}

async function nodeFs(path: string): Promise<Echo> {
  const fd = openSync(path, constants.O_RDWR | constants.O_NOCTTY);
  const arrivals = new Arrivals();
  const rs = createReadStream("", { fd, autoClose: false, highWaterMark: 64 * 1024 });
  rs.on("data", (chunk) => arrivals.add(chunk.length));
  return {
    name: "Node fs: openSync + createReadStream + writeSync",
    baseline: true,
    arrivals,
    send: (data) => {
      writeSync(fd, data);
    },
    async close() {
      // A read is pending on the thread pool (blocking fd): one byte through the echo completes it.
      // Bun's stream closes the descriptor itself on destroy despite autoClose: false.
      const done = new Promise<void>((resolve) => rs.once("close", () => resolve()));
      writeSync(fd, new Uint8Array([0]));
      rs.destroy();
      await Promise.race([done, Bun.sleep(1000)]);
      try {
        closeSync(fd);
      } catch {
        // already closed by the stream
      }
    },
  };
}

/** Writes `data` and resolves once as many bytes came back. */
async function roundTrip(e: Echo, data: Uint8Array): Promise<void> {
  const back = e.arrivals.next(data.length);
  await e.send(data);
  await back;
}

/**
 * Sends `data` in CHUNK-byte writes with at most WINDOW bytes not yet echoed, and resolves once all
 * of it came back. The window keeps every buffer on the way (the two ptys, socat, cat) from filling,
 * so a blocking `writeSync` never waits on an echo its own thread has to read.
 */
async function transfer(e: Echo, data: Uint8Array): Promise<void> {
  e.arrivals.mark();
  const all = e.arrivals.next(data.length);
  for (let off = 0; off < data.length; off += CHUNK) {
    if (off >= WINDOW) await e.arrivals.reach(off - WINDOW + CHUNK);
    await e.send(data.subarray(off, Math.min(off + CHUNK, data.length)));
  }
  await all;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

const openers = [nodeFs, hearthDriver, hearthStream];
const peers = await Promise.all(openers.map(() => peer()));
const echoes: Echo[] = [];
try {
  for (const [i, open] of openers.entries()) echoes.push(await open((peers[i] as Peer).pair.a));

  // Warm-up, and a check that each echo carries a frame and a whole transfer (the contract suite
  // checks the bytes themselves).
  for (const e of echoes) {
    await roundTrip(e, new Uint8Array(64));
    await transfer(e, new Uint8Array(MIB));
  }

  console.log(`\nserial echo round trip over a socat pty, ${BLOCKS}×${SAMPLES_PER_BLOCK} samples per case`);
  for (const size of [1, 64]) {
    const frame = new Uint8Array(size).fill(0x55);
    const samples = echoes.map(() => [] as number[]);
    for (let block = 0; block < BLOCKS; block++) {
      for (const [i, e] of echoes.entries()) {
        for (let s = 0; s < SAMPLES_PER_BLOCK; s++) {
          const t0 = performance.now();
          await roundTrip(e, frame);
          samples[i]?.push((performance.now() - t0) * 1000);
        }
      }
    }
    const sorted = samples.map((s) => s.sort((a, b) => a - b));
    const base = sorted[0] as number[];
    for (const p of [50, 99]) {
      for (const [i, e] of echoes.entries()) {
        const v = percentile(sorted[i] as number[], p);
        figure({
          name: `${size} B echo p${p} — ${e.name}`,
          value: v,
          unit: "µs",
          ratio: e.baseline ? undefined : v / percentile(base, p),
          note: e.baseline ? "baseline" : `Node fs p${p} ${percentile(base, p).toFixed(1)} µs`,
        });
      }
    }
  }

  console.log(
    `\nserial echo throughput: 1 MiB out and back (${CHUNK} B writes, ${WINDOW / 1024} KiB window), median of ${THROUGHPUT_RUNS}`,
  );
  const payload = new Uint8Array(MIB);
  for (let i = 0; i < MIB; i++) payload[i] = (i * 31) & 0xff;
  const rates = echoes.map(() => [] as number[]);
  for (let run = 0; run < THROUGHPUT_RUNS; run++) {
    for (const [i, e] of echoes.entries()) {
      const t0 = performance.now();
      await transfer(e, payload);
      rates[i]?.push((2 * MIB) / MIB / ((performance.now() - t0) / 1000));
    }
  }
  const baseRate = median(rates[0] as number[]);
  for (const [i, e] of echoes.entries()) {
    const v = median(rates[i] as number[]);
    figure({
      name: `1 MiB echo throughput — ${e.name}`,
      value: v,
      unit: "MiB/s",
      ratio: e.baseline ? undefined : v / baseRate,
      note: e.baseline
        ? "baseline; MiB/s counts both directions"
        : `ratio = MiB/s ÷ Node fs's (${baseRate.toFixed(1)} MiB/s); higher is faster`,
    });
  }
} finally {
  // Every pair is disposed even when a close fails, so no socat outlives the run.
  for (const e of echoes) await e.close().catch((err) => console.error(`closing ${e.name}:`, err));
  for (const p of peers) await p.dispose();
}

save("serial");
