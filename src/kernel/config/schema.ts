import { z } from "zod";
import { LOG_LEVELS } from "../log/index.ts";
import { NAME, NAME_RULE, NAMESPACE_SOURCE } from "../names/index.ts";
import { isTimeZone, processTimeZone } from "../util/time-zone.ts";

const NAMESPACE = new RegExp(NAMESPACE_SOURCE);

/** Always secret, whatever the config says. */
export const BUILTIN_SECRET_NAMESPACES = ["auth", "secrets"] as const;

// RFC 1123 host names: dot-separated labels of letters, digits and inner '-', 253 characters at most.
const HOSTNAME =
  /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/;

/**
 * An IPv4 or IPv6 address (node's rules). `node:net` is loaded only for a host the name rule refuses
 * (an IPv6 address): a static import of it cost ~1.7 ms of every start-up, before any code ran.
 */
function isIP(host: string): boolean {
  return process.getBuiltinModule("node:net").isIP(host) !== 0;
}

/**
 * The configuration's schema, built when a configuration is parsed and not kept: a process parses
 * its configuration once, and the built schema held ~0.6 MiB of heap (zod gives every schema node
 * its own methods) for the rest of its life.
 */
export function buildConfigSchema() {
  /** A folder path: any characters but NUL, which no file system path can hold. */
  const path = z
    .string()
    .min(1)
    .refine((p) => !p.includes("\0"), "a path must not contain a NUL byte");

  return z.strictObject({
    dataDir: path,
    pluginsDir: path.optional(),
    http: z.strictObject({
      host: z
        .string()
        .min(1)
        .refine((h) => HOSTNAME.test(h) || isIP(h), "a host name or an IPv4/IPv6 address (0.0.0.0 for all)"),
      port: z.int().min(0).max(65535),
      /** Believe X-Forwarded-For for the client address (only behind a reverse proxy you run). */
      trustProxy: z.boolean(),
      /** Largest request body accepted; larger gets 413. */
      maxBodyBytes: z
        .int()
        .min(1024)
        .max(64 * 1024 * 1024),
      /** Origins allowed by CORS; empty = CORS off. `"*"` allows any origin. */
      corsOrigins: z.array(z.string().min(1)),
      /** Failed authentications per client address within `authWindowMs` before 429. */
      authMaxFailures: z.int().min(1).max(10_000),
      authWindowMs: z.int().min(1000).max(86_400_000),
      /** Open event streams (SSE) in all; one more gets 429. Each holds a socket and a bus subscription. */
      maxEventStreams: z.int().min(1).max(10_000),
      /** Open event streams per token; one more gets 429. */
      maxEventStreamsPerToken: z.int().min(1).max(10_000),
      /** API tokens that may exist at once; creating one more is refused (409 AUTH_TOKEN_LIMIT). */
      maxTokens: z.int().min(1).max(1_000_000),
      /**
       * Which requests get an `info` access-log line: `changes` (mutating `/api/v1` requests, the audit
       * records, and every 4xx/5xx), `all`, or `off` (none; audit records too). Every other request is
       * logged at `debug`; a 5xx is always `warn` unless `off`.
       */
      accessLog: z.enum(["all", "changes", "off"]),
      /**
       * How long a rendered `/metrics` text is served again before it is rendered anew: scrapes
       * within the window get the same text (bounded memory under a scrape storm). 0 renders every time.
       */
      metricsCacheMs: z.int().min(0).max(60_000),
      /** How long a web-page session (cookie) lasts after sign-in. */
      sessionTtlMs: z
        .int()
        .min(60_000)
        .max(31 * 86_400_000),
    }),
    shutdownTimeoutMs: z.int().min(100).max(600_000),
    /** How long the bus waits for one event handler run before reporting it failed and moving on. */
    eventHandlerTimeoutMs: z.int().min(10).max(3_600_000),
    logLevel: z.enum(LOG_LEVELS as [string, ...string[]]),
    storage: z.strictObject({
      durable: z.boolean(),
      flushIntervalMs: z.int().min(50).max(3_600_000),
      maxValueBytes: z
        .int()
        .min(1024)
        .max(64 * 1024 * 1024),
      secretNamespaces: z.array(z.string().regex(NAMESPACE, "a namespace of [A-Za-z0-9_.-], 1-64 chars")),
    }),
    devices: z.strictObject({
      /** How long a command waits for the device to report the change before it is failed as a timeout. */
      commandTimeoutMs: z.int().min(100).max(600_000),
      /** A device that reports nothing for this long is unavailable (mains-powered / battery defaults). */
      availableTimeoutMs: z.strictObject({
        mains: z.int().min(1000).max(2_147_483_647),
        battery: z.int().min(1000).max(2_147_483_647),
      }),
    }),
    presence: z.strictObject({
      /** How long every tracker must say away before a person who was home is away (no flapping at the door). */
      awayDelayMs: z.int().min(0).max(86_400_000),
      /** How long a source tracker's report counts when the tracker sets no ttlMs. */
      sourceTtlMs: z.int().min(1000).max(2_147_483_647),
    }),
    hardware: z.strictObject({
      /** The GPIO driver every plugin shares: `auto` picks gpiochip, then sysfs. */
      gpio: z.strictObject({
        driver: z.enum(["auto", "gpiochip", "sysfs", "sim"]),
        sysfsRoot: path,
        devDir: path,
      }),
    }),
    /** Where the home is: sun times for automations, and the time zone of their clock times. */
    location: z.strictObject({
      latitude: z.number().min(-90).max(90).optional(),
      longitude: z.number().min(-180).max(180).optional(),
      timeZone: z.string().min(1).max(64).refine(isTimeZone, "an IANA time zone such as Europe/Berlin"),
    }),
    plugins: z.record(
      z.string().regex(NAME, `a plugin name: ${NAME_RULE}`),
      z.strictObject({
        enabled: z.boolean().default(true),
        config: z.record(z.string(), z.unknown()).default({}),
      }),
    ),
  });
}

/** Embedded defaults; `dataDir` is filled in at load time (it depends on the environment). */
export const DEFAULTS = {
  http: {
    host: "0.0.0.0",
    port: 8420,
    trustProxy: false,
    maxBodyBytes: 1024 * 1024,
    corsOrigins: [],
    authMaxFailures: 10,
    authWindowMs: 60_000,
    maxEventStreams: 64,
    maxEventStreamsPerToken: 16,
    maxTokens: 1000,
    sessionTtlMs: 7 * 86_400_000,
    accessLog: "changes",
    metricsCacheMs: 1000,
  },
  shutdownTimeoutMs: 10_000,
  eventHandlerTimeoutMs: 30_000,
  logLevel: "info",
  // Deferred writes (reported state, presence reports, run traces, plugin bookkeeping) once a minute:
  // each flush is one WAL commit of every page it touched (~16 KiB for the demo house), so the idle
  // demo house with a scraper wrote 6.5 MiB/h at 5 s, 2.0 MiB/h at 30 s (bench/disk.bench.ts).
  storage: { durable: false, flushIntervalMs: 60_000, maxValueBytes: 1024 * 1024, secretNamespaces: [] },
  devices: { commandTimeoutMs: 10_000, availableTimeoutMs: { mains: 600_000, battery: 90_000_000 } },
  presence: { awayDelayMs: 180_000, sourceTtlMs: 86_400_000 },
  hardware: { gpio: { driver: "auto", sysfsRoot: "/sys/class/gpio", devDir: "/dev" } },
  location: { timeZone: processTimeZone() },
  plugins: {},
} as const;

type EnvKind = "string" | "int" | "bool";

/** Every environment variable Hearth reads, and the config path it sets. Environment beats the file. */
export const ENV_VARS: readonly { name: string; path: string; kind: EnvKind }[] = [
  { name: "HEARTH_DATA_DIR", path: "dataDir", kind: "string" },
  { name: "HEARTH_PLUGINS_DIR", path: "pluginsDir", kind: "string" },
  { name: "HEARTH_HTTP_HOST", path: "http.host", kind: "string" },
  { name: "HEARTH_HTTP_PORT", path: "http.port", kind: "int" },
  { name: "HEARTH_HTTP_TRUST_PROXY", path: "http.trustProxy", kind: "bool" },
  { name: "HEARTH_HTTP_ACCESS_LOG", path: "http.accessLog", kind: "string" },
  { name: "HEARTH_HTTP_METRICS_CACHE_MS", path: "http.metricsCacheMs", kind: "int" },
  { name: "HEARTH_SHUTDOWN_TIMEOUT_MS", path: "shutdownTimeoutMs", kind: "int" },
  { name: "HEARTH_EVENT_HANDLER_TIMEOUT_MS", path: "eventHandlerTimeoutMs", kind: "int" },
  { name: "HEARTH_LOG_LEVEL", path: "logLevel", kind: "string" },
  { name: "HEARTH_STORAGE_DURABLE", path: "storage.durable", kind: "bool" },
  { name: "HEARTH_STORAGE_FLUSH_INTERVAL_MS", path: "storage.flushIntervalMs", kind: "int" },
  { name: "HEARTH_GPIO_DRIVER", path: "hardware.gpio.driver", kind: "string" },
];

/**
 * Turns an environment string into the type its key needs. A string that does not convert is
 * returned as is, so validation reports it with the variable's name.
 */
export function convertEnv(raw: string, kind: EnvKind): unknown {
  const v = raw.trim();
  if (kind === "int") return /^-?\d+$/.test(v) ? Number(v) : raw;
  if (kind === "bool") {
    if (/^(1|true|yes|on)$/i.test(v)) return true;
    if (/^(0|false|no|off)$/i.test(v)) return false;
    return raw;
  }
  return raw;
}
