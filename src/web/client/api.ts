/**
 * The API client. Credentials are the HttpOnly session cookie the browser sends by itself: the page
 * never holds a token after sign-in (nothing in localStorage, nothing in URLs). Requests that change
 * something carry `X-Hearth-CSRF: 1`, which the server requires of cookie-authenticated changes.
 */

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly data?: unknown,
  ) {
    super(message);
  }
  /** "CODE: message", as shown to people. */
  override toString(): string {
    return `${this.code}: ${this.message}`;
  }
}

let onUnauthorized: () => void = () => {};
/** What to do when a request answers 401 (the session ended): show the sign-in page. */
export function setUnauthorizedHandler(fn: () => void): void {
  onUnauthorized = fn;
}

export interface RequestOptions {
  body?: unknown;
  headers?: Record<string, string>;
  /** Leave a 401 to the caller (sign-in) instead of going to the sign-in page. */
  quiet401?: boolean;
}

export async function api<T = unknown>(
  method: string,
  path: string,
  options: RequestOptions = {},
): Promise<T> {
  const headers: Record<string, string> = { Accept: "application/json", ...options.headers };
  if (method !== "GET" && method !== "HEAD") headers["X-Hearth-CSRF"] = "1";
  const init: RequestInit = { method, headers, credentials: "same-origin" };
  if (options.body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(options.body);
  }
  let res: Response;
  try {
    res = await fetch(path, init);
  } catch (err) {
    throw new ApiError(0, "NETWORK_ERROR", `Hearth did not answer (${(err as Error).message})`);
  }
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  let body: unknown;
  try {
    body = text === "" ? undefined : JSON.parse(text);
  } catch {
    body = undefined;
  }
  if (!res.ok) {
    const error = (body as { error?: { code?: string; message?: string; data?: unknown } } | undefined)
      ?.error;
    const e = new ApiError(
      res.status,
      error?.code ?? `HTTP_${res.status}`,
      error?.message ?? (res.statusText || "Request failed"),
      error?.data,
    );
    if (res.status === 401 && !options.quiet401) onUnauthorized();
    throw e;
  }
  return body as T;
}

export const get = <T>(path: string, options?: RequestOptions) => api<T>("GET", path, options);
export const post = <T>(path: string, body?: unknown) => api<T>("POST", path, { body });

/** The caller, from `GET /api/v1/session`. */
export interface Me {
  tokenId: string;
  tokenName: string;
  scopes: ("read" | "control" | "admin")[];
  via: "bearer" | "session";
  expiresAt: string | null;
}

export function can(me: Me, scope: "read" | "control" | "admin"): boolean {
  const rank = { read: 0, control: 1, admin: 2 };
  return me.scopes.some((s) => rank[s] >= rank[scope]);
}
