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
