/**
 * HearthError and the one catalogue of stable error codes.
 *
 * Every error Hearth throws on purpose is a HearthError whose `code` is listed here. Codes are part of
 * the public contract (HTTP bodies, logs, plugin code): never rename one, only add. The README's
 * error table lists them all; a test keeps the two in step.
 */

interface ErrorSpec {
  /** HTTP status the admin API answers with. */
  readonly httpStatus: number;
  /** Whether trying the same thing again later may succeed. */
  readonly retryable: boolean;
  /** One line for the README's table. */
  readonly description: string;
}

export const ERROR_CODES = {
  INTERNAL_ERROR: {
    httpStatus: 500,
    retryable: false,
    description: "An unexpected failure; the detail is in the log, never in the response.",
  },
  INVALID_ARGUMENT: {
    httpStatus: 400,
    retryable: false,
    description: "A caller passed an argument of the wrong shape to a kernel API.",
  },
  CONFIG_NOT_FOUND: {
    httpStatus: 500,
    retryable: false,
    description: "The configuration file named on the command line or in HEARTH_CONFIG does not exist.",
  },
  CONFIG_PARSE_FAILED: {
    httpStatus: 500,
    retryable: false,
    description: "The configuration file is not valid JSON or TOML.",
  },
  CONFIG_INVALID: {
    httpStatus: 500,
    retryable: false,
    description:
      "A configuration value has the wrong type or range; `data.issues` names each path and source.",
  },
  BUS_HANDLER_TIMEOUT: {
    httpStatus: 500,
    retryable: false,
    description:
      "An event handler did not settle within eventHandlerTimeoutMs; the bus stopped waiting for it (it is reported as failed and named in health until it settles).",
  },
  BUS_INVALID_EVENT_TYPE: {
    httpStatus: 400,
    retryable: false,
    description: "An event type is not `<domain>.<verb>` in snake_case segments.",
  },
  BUS_INVALID_PATTERN: {
    httpStatus: 400,
    retryable: false,
    description: "A subscription pattern is not an event type, a `*` segment wildcard, or `*`.",
  },
  SERVICE_INVALID_NAME: {
    httpStatus: 400,
    retryable: false,
    description: "A service name is not `<owner>.<action>` or `v<N>.<owner>.<action>`.",
  },
  SERVICE_OWNER_MISMATCH: {
    httpStatus: 403,
    retryable: false,
    description: "A caller tried to register or remove a service under another owner's name.",
  },
  SERVICE_ALREADY_REGISTERED: {
    httpStatus: 409,
    retryable: false,
    description: "A service with that exact name and version is already registered.",
  },
  SERVICE_NOT_FOUND: {
    httpStatus: 404,
    retryable: false,
    description: "No service is registered under that name (or that version).",
  },
  SERVICE_INVALID_PARAMS: {
    httpStatus: 422,
    retryable: false,
    description: "Service parameters failed the service's schema; `data.issues` has the zod issues.",
  },
  SERVICE_INVALID_RESULT: {
    httpStatus: 500,
    retryable: false,
    description:
      "A service returned a result that fails its declared result schema (checked outside production).",
  },
  SERVICE_TIMEOUT: {
    httpStatus: 504,
    retryable: true,
    description: "A service call did not finish within its timeout.",
  },
  SERVICE_CIRCUIT_OPEN: {
    httpStatus: 503,
    retryable: true,
    description:
      "The service's circuit breaker is open after repeated failures; try again after the cool-down.",
  },
  STATE_INVALID_KEY: {
    httpStatus: 400,
    retryable: false,
    description: "A state key or pattern is empty, too long, or uses characters outside the allowed set.",
  },
  STATE_INVALID_VALUE: {
    httpStatus: 400,
    retryable: false,
    description: "A state value is not plain JSON data (functions, cycles, class instances are refused).",
  },
  STORAGE_INVALID_NAMESPACE: {
    httpStatus: 400,
    retryable: false,
    description: "A storage namespace is empty, too long, or uses characters outside `[A-Za-z0-9_.-]`.",
  },
  STORAGE_INVALID_KEY: {
    httpStatus: 400,
    retryable: false,
    description: "A storage key is empty, too long, or uses characters outside the allowed set.",
  },
  STORAGE_INVALID_VALUE: {
    httpStatus: 400,
    retryable: false,
    description: "A stored value must be a plain JSON object.",
  },
  STORAGE_VALUE_TOO_LARGE: {
    httpStatus: 413,
    retryable: false,
    description: "A stored value's JSON is larger than the configured limit (`storage.maxValueBytes`).",
  },
  STORAGE_OPEN_FAILED: {
    httpStatus: 500,
    retryable: false,
    description:
      "The database file could not be opened or created (permissions, missing folder, read-only disk).",
  },
  STORAGE_TX_ABORTED: {
    httpStatus: 503,
    retryable: true,
    description:
      "SQLite rolled the transaction back by itself after a disk-full or I/O error; nothing in it was written.",
  },
  STORAGE_CLOSED: {
    httpStatus: 503,
    retryable: false,
    description: "The storage was used after it was closed.",
  },
  STORAGE_CORRUPT: {
    httpStatus: 500,
    retryable: false,
    description: "The database file failed SQLite's integrity check; Hearth refuses to start on it.",
  },
  STORAGE_SCHEMA_TOO_NEW: {
    httpStatus: 500,
    retryable: false,
    description:
      "The database was written by a newer Hearth (its schema version is higher than this build knows).",
  },
  STORAGE_MIGRATION_FAILED: {
    httpStatus: 500,
    retryable: false,
    description: "A schema migration failed; it was rolled back and the database is unchanged.",
  },
  STORAGE_BACKUP_FAILED: {
    httpStatus: 500,
    retryable: false,
    description: "Writing a backup copy of the database failed.",
  },
  MODULE_ALREADY_REGISTERED: {
    httpStatus: 409,
    retryable: false,
    description: "Another module instance is already registered under that name.",
  },
  MODULE_REQUIRED_FAILED: {
    httpStatus: 500,
    retryable: false,
    description: "A required module failed to register or start; the runtime did not start. `data` names it.",
  },
  MODULE_HOOK_TIMEOUT: {
    httpStatus: 504,
    retryable: false,
    description: "A module's register, start or stop hook did not finish within its timeout.",
  },
  PLUGIN_MANIFEST_INVALID: {
    httpStatus: 422,
    retryable: false,
    description:
      "A plugin.json is missing, unreadable or fails the manifest schema; only that plugin is skipped.",
  },
  PLUGIN_NOT_FOUND: {
    httpStatus: 404,
    retryable: false,
    description: "No plugin with that name was discovered.",
  },
  PLUGIN_DUPLICATE: {
    httpStatus: 409,
    retryable: false,
    description: "Two plugins declare the same name; the later one is skipped.",
  },
  PLUGIN_DEPENDENCY_MISSING: {
    httpStatus: 424,
    retryable: false,
    description: "A plugin depends on a plugin that is absent, disabled or failed; it is skipped.",
  },
  PLUGIN_DEPENDENCY_CYCLE: {
    httpStatus: 424,
    retryable: false,
    description: "Plugins depend on each other in a cycle; every plugin in the cycle is skipped.",
  },
  PLUGIN_LOAD_FAILED: {
    httpStatus: 500,
    retryable: false,
    description: "A plugin's entry file could not be imported or does not export a definePlugin() default.",
  },
  PLUGIN_CONFIG_INVALID: {
    httpStatus: 422,
    retryable: false,
    description: "A plugin's config slice fails the plugin's configSchema; `data.issues` has the paths.",
  },
  PLUGIN_HOOK_FAILED: {
    httpStatus: 500,
    retryable: false,
    description:
      "A plugin's onLoad/onStart/onStop/onUnload hook threw; the plugin is failed, the rest go on.",
  },
  PLUGIN_HOOK_TIMEOUT: {
    httpStatus: 504,
    retryable: false,
    description: "A plugin's lifecycle hook did not finish within its timeout; `data` names plugin and hook.",
  },
  PLUGIN_FORBIDDEN: {
    httpStatus: 403,
    retryable: false,
    description:
      "A plugin tried to act outside its scope (another owner's services, state prefix or storage namespace).",
  },
  PLUGIN_STATE_CONFLICT: {
    httpStatus: 409,
    retryable: true,
    description:
      "The plugin is in a state that does not allow that operation now (e.g. reload while disabled).",
  },
  HTTP_ROUTE_CONFLICT: {
    httpStatus: 409,
    retryable: false,
    description:
      "An endpoint with the same method and path is already registered (by the owner named in `data`).",
  },
  DEVICE_UNAVAILABLE: {
    httpStatus: 409,
    retryable: true,
    description:
      "The device is unavailable (nothing heard within its timeout, or its plugin is not running): a command cannot reach it.",
  },
  DEVICE_FORBIDDEN: {
    httpStatus: 403,
    retryable: false,
    description: "A plugin tried to report for, or forget, a device another plugin owns.",
  },
  DEVICE_COMMAND_TIMEOUT: {
    httpStatus: 504,
    retryable: true,
    description:
      "The device did not report a commanded change within devices.commandTimeoutMs; published in `device.command_failed` after the command was accepted.",
  },
  PRESENCE_PERSON_EXISTS: {
    httpStatus: 409,
    retryable: false,
    description: "A person with that id exists already; pick another id or update that person.",
  },
  HTTP_TOO_MANY_STREAMS: {
    httpStatus: 429,
    retryable: true,
    description:
      "As many event streams are open as `http.maxEventStreams` (in all) or `http.maxEventStreamsPerToken` allow; close one or retry after Retry-After.",
  },
  RUNTIME_NOT_READY: {
    httpStatus: 503,
    retryable: true,
    description: "The runtime is not initialised or started yet, or is stopping.",
  },
  RUNTIME_SHUTDOWN_TIMEOUT: {
    httpStatus: 500,
    retryable: false,
    description:
      "Stopping took longer than shutdownTimeoutMs; the steps still running were abandoned (storage was still flushed).",
  },
  DATA_DIR_IN_USE: {
    httpStatus: 409,
    retryable: false,
    description:
      "Another running Hearth process owns this data folder (its pid is in hearth.pid); stop it first.",
  },
  AUTH_REQUIRED: {
    httpStatus: 401,
    retryable: false,
    description: "The request has no bearer token; every /api/v1 route needs one.",
  },
  AUTH_INVALID_TOKEN: {
    httpStatus: 401,
    retryable: false,
    description: "The bearer token is malformed, unknown or revoked.",
  },
  AUTH_FORBIDDEN: {
    httpStatus: 403,
    retryable: false,
    description: "The token is valid but its scopes do not cover this route (read < control < admin).",
  },
  AUTH_CSRF: {
    httpStatus: 403,
    retryable: false,
    description:
      "A request authenticated by the session cookie changes something without the X-Hearth-CSRF: 1 header, or from another origin.",
  },
  AUTH_RATE_LIMITED: {
    httpStatus: 429,
    retryable: true,
    description: "Too many failed authentications from this address; wait for Retry-After seconds.",
  },
  AUTH_TOKEN_LIMIT: {
    httpStatus: 409,
    retryable: false,
    description:
      "As many tokens exist as `http.maxTokens` allows; revoke unused ones (or raise the limit) first.",
  },
  AUTOMATION_ALREADY_EXISTS: {
    httpStatus: 409,
    retryable: false,
    description: "An automation rule with that id exists already (replace it with PUT instead).",
  },
  AUTOMATION_ACTION_FAILED: {
    httpStatus: 502,
    retryable: true,
    description:
      "An automation step failed at its target (every device of an area refused the command); in the run's trace.",
  },
  AUTOMATION_WAIT_TIMEOUT: {
    httpStatus: 504,
    retryable: false,
    description:
      'A `wait_for_trigger` step with `onTimeout: "fail"` saw no trigger in time; in the run\'s trace.',
  },
  AUTOMATION_LIMIT_EXCEEDED: {
    httpStatus: 422,
    retryable: false,
    description: "An automation run went past a bound (repetitions of a `repeat` step); in the run's trace.",
  },
  AUTOMATION_INVALID_VALUE: {
    httpStatus: 422,
    retryable: false,
    description:
      "A templated value of a step (a delay, a repeat count) did not render to a usable number; in the run's trace.",
  },
  AUTOMATION_STOPPED: {
    httpStatus: 500,
    retryable: false,
    description: "A `stop` step with `error: true` ended the run as failed; in the run's trace.",
  },
  AUTOMATION_ABORTED: {
    httpStatus: 409,
    retryable: false,
    description:
      "A run was aborted (restart mode, the rule replaced, disabled or deleted, shutdown); in the step's trace.",
  },
  TEMPLATE_INVALID: {
    httpStatus: 422,
    retryable: false,
    description:
      "A `{{ … }}` template does not parse (unknown function, bad token, unbalanced brackets); when a rule is saved it is a VALIDATION_FAILED issue at the template's path.",
  },
  TEMPLATE_LIMIT_EXCEEDED: {
    httpStatus: 422,
    retryable: false,
    description:
      "A template is too long, nested too deep, takes too many evaluation steps or builds too long a string.",
  },
  TEMPLATE_EVAL_FAILED: {
    httpStatus: 422,
    retryable: false,
    description: "A template could not be evaluated.",
  },
  AUTH_TOKEN_NOT_FOUND: {
    httpStatus: 404,
    retryable: false,
    description: "No token with that id (it may have been revoked already).",
  },
  AUTH_BOOTSTRAP_FAILED: {
    httpStatus: 500,
    retryable: false,
    description:
      "The bootstrap admin token could not be written to <dataDir>/admin.token; the token was revoked again.",
  },
  NOT_FOUND: {
    httpStatus: 404,
    retryable: false,
    description: "No such route or resource.",
  },
  METHOD_NOT_ALLOWED: {
    httpStatus: 405,
    retryable: false,
    description:
      "The path exists but not for this method; the `Allow` header and `data.allow` list the ones it takes.",
  },
  CLIENT_CLOSED_REQUEST: {
    httpStatus: 499,
    retryable: true,
    description:
      "The client went away before its request body was read; nothing was done. No client sees it: it is what the access log and metrics record (499).",
  },
  INVALID_JSON: {
    httpStatus: 400,
    retryable: false,
    description: "The request body is not valid JSON.",
  },
  UNSUPPORTED_MEDIA_TYPE: {
    httpStatus: 415,
    retryable: false,
    description: "The request has a body that is not `application/json` (or a `+json` type).",
  },
  PAYLOAD_TOO_LARGE: {
    httpStatus: 413,
    retryable: false,
    description: "The request body is larger than http.maxBodyBytes.",
  },
  VALIDATION_FAILED: {
    httpStatus: 422,
    retryable: false,
    description:
      "The request's parameters, query or body fail the route's schema; `data.issues` has the paths.",
  },
  MIRROR_FAILED: {
    httpStatus: 500,
    retryable: true,
    description: "Mirroring a storage write into the state engine failed; the storage write was undone.",
  },
  GPIO_UNAVAILABLE: {
    httpStatus: 503,
    retryable: false,
    description:
      "No GPIO driver can run here: `auto` found neither /dev/gpiochip0 nor /sys/class/gpio (or the chosen driver's files are missing).",
  },
  GPIO_CHIP_NOT_FOUND: {
    httpStatus: 404,
    retryable: false,
    description: "No GPIO chip matches that name, number or label; `data.chips` lists the ones found.",
  },
  GPIO_INVALID_LINE: {
    httpStatus: 400,
    retryable: false,
    description:
      "The line offset is outside the chip, or the header pin is not a GPIO (power, ground, out of range).",
  },
  GPIO_LINE_BUSY: {
    httpStatus: 409,
    retryable: true,
    description: "The GPIO line is already held (by this process or, for gpiochip, by another consumer).",
  },
  GPIO_LINE_CLOSED: {
    httpStatus: 409,
    retryable: false,
    description: "A GPIO line handle was used after close(); open the line again.",
  },
  GPIO_IO_FAILED: {
    httpStatus: 500,
    retryable: true,
    description:
      "A GPIO read, write, ioctl or sysfs file operation failed; `data` has the operation and errno (EACCES: add the user to group `gpio`).",
  },
  SERIAL_CONFIG_INVALID: {
    httpStatus: 400,
    retryable: false,
    description:
      "Serial open options are invalid (unknown baud rate, data bits, parity or stop bits); `data.issues` has the paths.",
  },
  SERIAL_PORT_NOT_FOUND: {
    httpStatus: 404,
    retryable: true,
    description: "The serial device path does not exist (unplugged, or a wrong path; see `hearth ports`).",
  },
  SERIAL_ACCESS_DENIED: {
    httpStatus: 403,
    retryable: true,
    description:
      "The process may not open the serial device (add the user to the `dialout` group); retried because udev sets permissions just after a replug.",
  },
  SERIAL_PORT_BUSY: {
    httpStatus: 409,
    retryable: true,
    description: "Another process or port object holds the serial device exclusively.",
  },
  SERIAL_OPEN_FAILED: {
    httpStatus: 500,
    retryable: false,
    description:
      "The serial device could not be opened or configured (not a terminal, no libc.so.6, the driver refused the settings); `data.errno` says why.",
  },
  SERIAL_PORT_CLOSED: {
    httpStatus: 409,
    retryable: false,
    description:
      "The serial port was closed before or while the operation ran; such errors carry `canceled: true`.",
  },
  SERIAL_DISCONNECTED: {
    httpStatus: 503,
    retryable: true,
    description:
      "The serial device went away (unplugged, EIO/ENODEV or end of file); the port closed itself. Reopen when the path returns.",
  },
  SERIAL_UNSUPPORTED: {
    httpStatus: 501,
    retryable: false,
    description:
      "The serial device does not support this operation (modem lines or break on a pseudo-terminal).",
  },
  SERIAL_IO_FAILED: {
    httpStatus: 500,
    retryable: false,
    description: "A read, write, drain or flush on an open serial port failed; `data.errno` says why.",
  },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERROR_CODES;

export interface HearthErrorOptions {
  /** Plain JSON detail for the caller (never secrets, never stack traces). */
  data?: unknown;
  /** The underlying error, kept for logs. */
  cause?: unknown;
  /** Overrides the catalogue's status for this one error. */
  httpStatus?: number;
  /** Overrides the catalogue's retryable flag for this one error. */
  retryable?: boolean;
}

/** The shape of a HearthError on the wire (HTTP bodies, events, logs). */
export interface HearthErrorJSON {
  code: ErrorCode;
  message: string;
  data?: unknown;
}

/**
 * An error with a stable, documented code.
 *
 * @example
 * throw new HearthError("SERVICE_NOT_FOUND", `No service "${name}"`, { data: { name } });
 */
export class HearthError extends Error {
  readonly code: ErrorCode;
  readonly data: unknown;
  readonly httpStatus: number;
  readonly retryable: boolean;

  constructor(code: ErrorCode, message: string, options: HearthErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    const spec: ErrorSpec = ERROR_CODES[code];
    this.name = "HearthError";
    this.code = code;
    this.data = options.data;
    this.httpStatus = options.httpStatus ?? spec.httpStatus;
    this.retryable = options.retryable ?? spec.retryable;
  }

  toJSON(): HearthErrorJSON {
    return this.data === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, data: this.data };
  }
}

/** True when `err` is a HearthError (optionally with the given code). */
export function isHearthError(err: unknown, code?: ErrorCode): err is HearthError {
  return err instanceof HearthError && (code === undefined || err.code === code);
}

/** The message of any thrown value, for logs; never throws. */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  try {
    return typeof err === "string" ? err : JSON.stringify(err);
  } catch {
    return String(err);
  }
}
