/**
 * The broker connection as a plugin task: one `mqtt` client per attempt (its own reconnect is off), a
 * capped exponential backoff between attempts, and the reason of the last failure for the status.
 * The `mqtt` package is imported here, lazily, the first time a connection is made: a runtime where
 * the plugin is not configured never loads it.
 */
import type { IClientOptions, MqttClient } from "mqtt";
import { type MqttConfig, safeUrl, type Topics } from "./config.ts";

export interface ConnectionHooks {
  /** The client is connected (subscribe, publish the snapshot). Throwing ends this connection. */
  connected(client: MqttClient): Promise<void>;
  message(topic: string, payload: Buffer): void;
  /** The connection ended (or never came up); `retryMs` until the next attempt. */
  disconnected(reason: string, retryMs: number): void;
}

export interface ConnectionOptions {
  config: MqttConfig;
  topics: Topics;
  /** Reads a TLS file (a path from the config). */
  readFile?: (path: string) => Promise<string>;
}

/** The next delay: doubled, capped. */
export const nextDelay = (ms: number, config: MqttConfig) => Math.min(ms * 2, config.reconnect.maxMs);

/** Resolves after `ms`, or at once when `signal` is aborted. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}

export async function clientOptions(o: ConnectionOptions): Promise<IClientOptions> {
  const { config, topics } = o;
  const read = o.readFile ?? ((p: string) => Bun.file(p).text());
  const options: IClientOptions = {
    clientId: config.clientId ?? `hearth-${config.nodeId}`,
    keepalive: config.keepalive,
    connectTimeout: config.connectTimeoutMs,
    reconnectPeriod: 0,
    clean: true,
    will: { topic: topics.status, payload: Buffer.from("offline"), qos: 1, retain: true },
  };
  if (config.username !== undefined) options.username = config.username;
  if (config.password !== undefined) options.password = config.password;
  if (config.tls !== undefined) {
    options.rejectUnauthorized = config.tls.rejectUnauthorized;
    if (config.tls.ca !== undefined) options.ca = await read(config.tls.ca);
    if (config.tls.cert !== undefined) options.cert = await read(config.tls.cert);
    if (config.tls.key !== undefined) options.key = await read(config.tls.key);
  }
  return options;
}

/** Connects, and reconnects with a capped backoff, until `signal` is aborted. */
export async function runConnection(
  o: ConnectionOptions,
  hooks: ConnectionHooks,
  signal: AbortSignal,
): Promise<void> {
  const { connect } = await import("mqtt");
  const url = o.config.url as string;
  let delay = o.config.reconnect.minMs;
  while (!signal.aborted) {
    let options: Awaited<ReturnType<typeof clientOptions>>;
    try {
      options = await clientOptions(o);
    } catch (err) {
      // A TLS file that cannot be read (yet: a mount, a renewal) is retried like a refused broker.
      hooks.disconnected(`${safeUrl(url)}: ${err instanceof Error ? err.message : String(err)}`, delay);
      await sleep(delay, signal);
      delay = nextDelay(delay, o.config);
      continue;
    }
    const outcome = await new Promise<{ connected: boolean; reason: string }>((resolve) => {
      let connected = false;
      let reason = "connection closed";
      let client: ReturnType<typeof connect>;
      try {
        client = connect(url, options);
      } catch (err) {
        resolve({ connected: false, reason: err instanceof Error ? err.message : String(err) });
        return;
      }
      const stop = () => {
        // A clean goodbye sends no last will: say "offline" ourselves first.
        if (client.connected) {
          client.publish(o.topics.status, "offline", { qos: 1, retain: true }, () => {
            void client.endAsync();
          });
          setTimeout(() => void client.endAsync(true), 1000).unref?.();
        } else void client.endAsync(true);
      };
      signal.addEventListener("abort", stop, { once: true });
      client.on("connect", () => {
        connected = true;
        // Small messages both ways (a command, its PUBACK, the result): Nagle's algorithm against the
        // peer's delayed ACK would add ~40 ms to each round trip.
        (client.stream as { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true);
        hooks.connected(client).catch((err: unknown) => {
          reason = `set-up after connect failed: ${err instanceof Error ? err.message : String(err)}`;
          client.end(true);
        });
      });
      client.on("message", (topic, payload) => hooks.message(topic, payload));
      client.on("error", (err) => {
        reason = err.message;
      });
      client.on("close", () => {
        signal.removeEventListener("abort", stop);
        client.removeAllListeners("close");
        // Without reconnectPeriod the client is done: drop it.
        void client.endAsync(true).catch(() => {});
        resolve({ connected, reason });
      });
    });
    if (signal.aborted) return;
    if (outcome.connected) delay = o.config.reconnect.minMs;
    hooks.disconnected(`${safeUrl(url)}: ${outcome.reason}`, delay);
    await sleep(delay, signal);
    delay = nextDelay(delay, o.config);
  }
}
