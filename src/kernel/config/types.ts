import type { GpioHardwareConfig } from "../hardware/types.ts";
import type { LogLevel } from "../log/types.ts";

/** A plugin's entry under `plugins.<name>` in the config file. */
export interface PluginConfigEntry {
  enabled: boolean;
  config: Record<string, unknown>;
}

/** `changes`: mutating `/api/v1` requests (audit) and errors at info; `all`: every request; `off`: none. */
export type AccessLogMode = "all" | "changes" | "off";

/** The validated configuration every component reads. Paths are absolute. */
export interface HearthConfig {
  dataDir: string;
  pluginsDir: string;
  http: {
    host: string;
    port: number;
    trustProxy: boolean;
    maxBodyBytes: number;
    corsOrigins: string[];
    authMaxFailures: number;
    authWindowMs: number;
    /** Open event streams (SSE) in all before 429. */
    maxEventStreams: number;
    /** Open event streams per token before 429. */
    maxEventStreamsPerToken: number;
    /** API tokens that may exist at once. */
    maxTokens: number;
    /** How long a web-page session (cookie) lasts after sign-in. */
    sessionTtlMs: number;
    /** Which requests get an `info` access-log line (the rest are `debug`). */
    accessLog: AccessLogMode;
    /** How long one rendered `/metrics` text is served again (0: rendered on every scrape). */
    metricsCacheMs: number;
  };
  shutdownTimeoutMs: number;
  /** How long the bus waits for one event handler run before reporting it failed and moving on. */
  eventHandlerTimeoutMs: number;
  logLevel: LogLevel;
  storage: {
    /** SQLite `synchronous=FULL`: each commit survives power loss, at a write cost. */
    durable: boolean;
    flushIntervalMs: number;
    maxValueBytes: number;
    /** Never mirrored into state, never shown by the API. `auth` and `secrets` are always included. */
    secretNamespaces: string[];
  };
  devices: {
    /** How long a command waits for the device's report of the change. */
    commandTimeoutMs: number;
    /** Silence after which a device is unavailable: mains-powered, battery-powered. */
    availableTimeoutMs: { mains: number; battery: number };
  };
  presence: {
    /** How long all trackers must say away before a person who was home is away. */
    awayDelayMs: number;
    /** How long a source tracker's report counts unless the tracker sets its own ttlMs. */
    sourceTtlMs: number;
  };
  /** Hardware shared by plugins. */
  hardware: { gpio: GpioHardwareConfig };
  /** Where the home is: sun times and the time zone automations' clock times are read in. */
  location: {
    latitude?: number;
    longitude?: number;
    /** IANA time zone; defaults to the system's. */
    timeZone: string;
  };
  plugins: Record<string, PluginConfigEntry>;
}

/** Where one value came from, for error messages. */
export type ConfigSource = "default" | "command line" | `file ${string}` | `env ${string}`;

export interface ConfigIssue {
  /** Dot path (`http.port`), empty for the top level. */
  path: string;
  message: string;
  source: ConfigSource;
}

export interface LoadConfigOptions {
  /** Explicit config file (`--config`); must exist. Falls back to `HEARTH_CONFIG`, then discovery. */
  file?: string;
  /** Environment to read `HEARTH_*` from (default `process.env`). */
  env?: Record<string, string | undefined>;
  /** Base for relative paths and file discovery (default `process.cwd()`). */
  cwd?: string;
  /** Highest-priority overrides (CLI flags such as `--data-dir`), as dot paths. */
  overrides?: Record<string, unknown>;
}

export interface LoadedConfig {
  config: HearthConfig;
  /** The config file read, if any. */
  file: string | undefined;
}
