/**
 * MQTT for tests: an in-process `aedes` broker on 127.0.0.1 (a free port, kept across a restart) and
 * a watching client that records every message it sees.
 */
import { createServer, type Server, type Socket } from "node:net";
import { createServer as createTlsServer } from "node:tls";
import { Aedes } from "aedes";
import { connectAsync, type MqttClient } from "mqtt";

export interface TestBroker {
  url: string;
  port: number;
  /** Stops the broker and drops every client (retained messages are lost, as with no persistence). */
  stop(): Promise<void>;
  /** Starts a fresh broker on the same port. */
  start(): Promise<void>;
}

export interface BrokerOptions {
  port?: number;
  /** Decides each CONNECT; refused clients get "not authorized". */
  authenticate?: (username: string | undefined, password: string | undefined) => boolean;
  /** PEM key and certificate: the broker speaks MQTT over TLS (`mqtts://`). */
  tls?: { key: string; cert: string };
}

export async function startBroker(options: BrokerOptions = {}): Promise<TestBroker> {
  const port = options.port ?? 0;
  let broker: Aedes | undefined;
  let server: Server | undefined;
  const sockets = new Set<Socket>();
  let bound = port;
  const start = async () => {
    const auth = options.authenticate;
    const b = await Aedes.createBroker(
      auth === undefined
        ? {}
        : {
            authenticate: (_client, username, password, done) => {
              if (auth(username, password?.toString())) done(null, true);
              else done(Object.assign(new Error("not authorized"), { returnCode: 5 as const }), false);
            },
          },
    );
    broker = b;
    const onSocket = (socket: Socket) => {
      sockets.add(socket);
      socket.on("close", () => sockets.delete(socket));
      b.handle(socket);
    };
    const s = options.tls === undefined ? createServer(onSocket) : createTlsServer(options.tls, onSocket);
    server = s;
    await new Promise<void>((resolve, reject) => {
      s.once("error", reject);
      s.listen(bound, "127.0.0.1", () => resolve());
    });
    bound = (s.address() as { port: number }).port;
  };
  const stop = async () => {
    for (const socket of sockets) socket.destroy();
    sockets.clear();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    await new Promise<void>((resolve) => (broker ? broker.close(() => resolve()) : resolve()));
    server = undefined;
    broker = undefined;
  };
  await start();
  return {
    get url() {
      return `${options.tls === undefined ? "mqtt" : "mqtts"}://127.0.0.1:${bound}`;
    },
    get port() {
      return bound;
    },
    stop,
    start,
  };
}

export interface Watcher {
  client: MqttClient;
  /** Every message, in order. */
  messages: { topic: string; payload: string; retain: boolean }[];
  /** The last payload per topic. */
  last: Map<string, string>;
  /** Resolves with the first message (already seen or future) matching, or rejects after `timeoutMs`. */
  waitFor(
    topic: string,
    match?: (payload: string) => boolean,
    timeoutMs?: number,
    from?: number,
  ): Promise<string>;
  publish(topic: string, payload: string | Uint8Array): Promise<void>;
  close(): Promise<void>;
}

export async function watch(url: string, filters: string[] = ["#"]): Promise<Watcher> {
  const client = await connectAsync(url, {
    reconnectPeriod: 200,
    clientId: `watcher-${crypto.randomUUID()}`,
  });
  const messages: Watcher["messages"] = [];
  const last = new Map<string, string>();
  const waiters = new Set<() => void>();
  client.on("message", (topic, payload, packet) => {
    const text = payload.toString();
    messages.push({ topic, payload: text, retain: packet.retain });
    last.set(topic, text);
    for (const w of waiters) w();
  });
  await client.subscribeAsync(filters, { qos: 1 });
  return {
    client,
    messages,
    last,
    waitFor(topic, match = () => true, timeoutMs = 5000, from = 0) {
      return new Promise((resolve, reject) => {
        const check = () => {
          for (let i = from; i < messages.length; i++) {
            const m = messages[i];
            if (m !== undefined && m.topic === topic && match(m.payload)) {
              cleanup();
              resolve(m.payload);
              return true;
            }
          }
          return false;
        };
        const timer = setTimeout(() => {
          cleanup();
          const seen = messages.filter((m) => m.topic === topic).map((m) => m.payload);
          reject(
            new Error(
              `no matching message on ${topic} within ${timeoutMs} ms; seen: ${JSON.stringify(seen)}`,
            ),
          );
        }, timeoutMs);
        const waiter = () => void check();
        const cleanup = () => {
          clearTimeout(timer);
          waiters.delete(waiter);
        };
        if (!check()) waiters.add(waiter);
      });
    },
    async publish(topic, payload) {
      await client.publishAsync(topic, typeof payload === "string" ? payload : Buffer.from(payload), {
        qos: 1,
      });
    },
    async close() {
      await client.endAsync(true);
    },
  };
}
