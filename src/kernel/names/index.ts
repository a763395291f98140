/**
 * One source for the names owners go by. A plugin's or module's name is also its service owner
 * (`<name>.<action>`), its event domain (`<name>.<verb>`), its state prefix (`<name>/…`), its storage
 * namespace (`<name>`, `<name>.<sub>`) and its HTTP route segment (`/api/v1/<name>/…`), so all of
 * them accept exactly the same names, checked here.
 */
import { type ErrorCode, HearthError } from "../../errors.ts";

/** The body of NAME, for composing bigger patterns (service names, event types). */
export const NAME_SOURCE = "[a-z][a-z0-9-]{0,63}";

/** 1–64 lowercase letters, digits or `-`, starting with a letter. */
export const NAME = new RegExp(`^${NAME_SOURCE}$`);

/** The rule in words, for error messages and schemas. */
export const NAME_RULE = "1-64 lowercase letters, digits or '-', starting with a letter";

/**
 * The other names the kernel enforces, each as the one source the kernel compiles and the admin API
 * documents as a JSON Schema `pattern` (ECMAScript syntax, anchored), so the two cannot drift.
 */

/** A service action: the part after `<owner>.`. */
const ACTION_SOURCE = "[a-z][a-z0-9_]*";

/** `<owner>.<action>` or `v<N>.<owner>.<action>` (N without a leading zero); groups: N, owner, action. */
export const SERVICE_NAME_SOURCE = `^(?:v([1-9][0-9]*)\\.)?(${NAME_SOURCE})\\.(${ACTION_SOURCE})$`;

/** An event type's first segment: an owner name, `$`-prefixed for kernel events. */
export const EVENT_DOMAIN_SOURCE = `\\$?${NAME_SOURCE}`;
/** An event type's further segments, snake_case. */
export const EVENT_SEGMENT_SOURCE = ACTION_SOURCE;
/** `<domain>.<verb>[.<more>]`. */
export const EVENT_TYPE_SOURCE = `^${EVENT_DOMAIN_SOURCE}(?:\\.${EVENT_SEGMENT_SOURCE})+$`;
/** A subscription pattern: `*`, or an event type in which any segment may be `*`. */
export const EVENT_PATTERN_SOURCE = `^(?:\\*|(?:${EVENT_DOMAIN_SOURCE}|\\*)(?:\\.(?:${EVENT_SEGMENT_SOURCE}|\\*))+)$`;

/** The characters of state keys and storage keys. */
const KEY_CHARS = "A-Za-z0-9_.:@/-";
export const STATE_KEY_MAX = 512;
/** A state key: 1–512 characters of `[A-Za-z0-9_.:@/-]`. */
export const STATE_KEY_SOURCE = `^[${KEY_CHARS}]{1,${STATE_KEY_MAX}}$`;
/** A state key pattern may be a full-length key plus wildcards. */
export const STATE_PATTERN_MAX = 1024;
/** A state key pattern: 1–1024 characters of the key set and `*`, never three `*` in a row. */
export const STATE_PATTERN_SOURCE = `^(?!.*\\*\\*\\*)[*${KEY_CHARS}]{1,${STATE_PATTERN_MAX}}$`;

export const NAMESPACE_MAX = 64;
/** A storage namespace: 1–64 characters of `[A-Za-z0-9_.-]`. */
export const NAMESPACE_SOURCE = `^[A-Za-z0-9_.-]{1,${NAMESPACE_MAX}}$`;
export const STORAGE_KEY_MAX = 256;
/** A storage key: 1–256 characters of `[A-Za-z0-9_.:@/-]`. */
export const STORAGE_KEY_SOURCE = `^[${KEY_CHARS}]{1,${STORAGE_KEY_MAX}}$`;
/** A storage key prefix: a storage key, or empty for every key. */
export const STORAGE_PREFIX_SOURCE = `^[${KEY_CHARS}]{0,${STORAGE_KEY_MAX}}$`;

export const TOKEN_NAME_MAX = 64;
/** An API token's name: no control characters, not blank; 1–64 characters once trimmed. */
export const TOKEN_NAME_SOURCE = "^(?=[\\s\\S]*\\S)[^\\u0000-\\u001f\\u007f]*$";

/** Whether `value` is a valid owner name. */
export function isName(value: unknown): value is string {
  return typeof value === "string" && NAME.test(value);
}

/**
 * Throws `code` (INVALID_ARGUMENT by default) unless `value` is a valid name; `what` says which
 * kind of name it was meant to be ("plugin name", "endpoint owner").
 */
export function assertName(
  value: unknown,
  what: string,
  code: ErrorCode = "INVALID_ARGUMENT",
): asserts value is string {
  if (isName(value)) return;
  const shown = typeof value === "string" ? value.slice(0, 100) : typeof value;
  throw new HearthError(code, `Invalid ${what} ${JSON.stringify(shown)}: use ${NAME_RULE}`, {
    data: { name: shown },
  });
}

/**
 * Names held by the kernel and the built-in modules, with their holder. No plugin may take one: it
 * would own those services, events, state keys, storage namespace and API routes. Only the holder
 * may serve HTTP routes under such a segment (`/api/v1/tokens/…` is the admin module's).
 */
export const RESERVED_NAMES: Readonly<Record<string, string>> = Object.freeze({
  // The kernel's components, their state prefixes and storage namespaces.
  kernel: "kernel",
  hearth: "kernel",
  runtime: "admin",
  bus: "kernel",
  events: "admin",
  services: "admin",
  state: "admin",
  storage: "admin",
  modules: "admin",
  plugins: "admin",
  integrations: "admin",
  http: "kernel",
  secrets: "kernel",
  system: "kernel",
  // The admin module's own routes and stores.
  admin: "admin",
  auth: "admin",
  tokens: "admin",
  session: "admin",
  // The domain modules and the route segments they serve.
  logger: "logger",
  devices: "devices",
  device: "devices",
  areas: "devices",
  area: "devices",
  automation: "automation",
  automations: "automation",
  presence: "presence",
  people: "presence",
});

/** Who holds `name`, or undefined when it is free for a plugin. */
export function reservedBy(name: string): string | undefined {
  return Object.hasOwn(RESERVED_NAMES, name) ? RESERVED_NAMES[name] : undefined;
}
