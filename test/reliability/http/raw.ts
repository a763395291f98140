/**
 * A raw HTTP/1.1 client over `Bun.connect`: sends exactly the bytes it is given (malformed request
 * lines, duplicate headers, bytes that are not UTF-8, bodies that never finish), optionally one byte
 * at a time, and parses whatever comes back. Every exchange is bounded by a timeout.
 */

export interface RawResponse {
  status: number;
  /** Header names lower-cased; repeated headers joined with ", ". */
  headers: Record<string, string>;
  body: string;
}

export interface RawResult {
  /** The parsed response, or undefined when the server closed (or the timeout hit) before one came. */
  response: RawResponse | undefined;
  /** The server closed the connection (as opposed to the timeout ending the exchange). */
  closedByServer: boolean;
  timedOut: boolean;
  /** Everything received, as latin1 text. */
  raw: string;
}

export interface RawOptions {
  /** Send the request one byte at a time with this pause between bytes. */
  bytePauseMs?: number;
  /** Stop waiting after this long (the socket is then closed by us). */
  timeoutMs: number;
  /** Resolve as soon as a whole response has arrived instead of waiting for the close. */
  untilResponse?: boolean;
}

const CRLF2 = "\r\n\r\n";

/** Parses one response out of `bytes`; undefined while incomplete. */
export function parseResponse(bytes: Uint8Array, complete: boolean): RawResponse | undefined {
  const text = Buffer.from(bytes).toString("latin1");
  const end = text.indexOf(CRLF2);
  if (end < 0) return undefined;
  // An interim 1xx (100 Continue) has no body: the real response follows it.
  if (/^HTTP\/1\.[01] 1\d\d/.test(text)) return parseResponse(bytes.subarray(end + 4), complete);
  const [statusLine = "", ...lines] = text.slice(0, end).split("\r\n");
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1] ?? Number.NaN);
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(":");
    if (colon < 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
  }
  const rest = bytes.subarray(Buffer.byteLength(text.slice(0, end + 4), "latin1"));
  const length = headers["content-length"];
  let body: Uint8Array | undefined;
  if (length !== undefined) {
    const n = Number(length);
    if (rest.length >= n) body = rest.subarray(0, n);
  } else if (/chunked/i.test(headers["transfer-encoding"] ?? "")) {
    body = dechunk(rest);
  } else if (complete || status === 204 || status === 304) {
    body = rest;
  }
  if (body === undefined) return undefined;
  return { status, headers, body: Buffer.from(body).toString("utf8") };
}

function dechunk(bytes: Uint8Array): Uint8Array | undefined {
  const parts: Uint8Array[] = [];
  let at = 0;
  for (;;) {
    const text = Buffer.from(bytes.subarray(at, at + 32)).toString("latin1");
    const nl = text.indexOf("\r\n");
    if (nl < 0) return undefined;
    const size = Number.parseInt(text.slice(0, nl), 16);
    if (Number.isNaN(size)) return undefined;
    at += nl + 2;
    if (size === 0) return Buffer.concat(parts);
    if (bytes.length < at + size + 2) return undefined;
    parts.push(bytes.subarray(at, at + size));
    at += size + 2;
  }
}

/** Sends `request` over a fresh connection to 127.0.0.1:`port` and reads the answer. */
export async function rawRequest(
  port: number,
  request: string | Uint8Array,
  options: RawOptions,
): Promise<RawResult> {
  const bytes = typeof request === "string" ? Buffer.from(request, "latin1") : request;
  const received: Uint8Array[] = [];
  let closedByServer = false;
  let timedOut = false;
  let finished = false;
  let settle: () => void = () => {};
  const settled = new Promise<void>((resolve) => {
    settle = () => {
      finished = true;
      resolve();
    };
  });
  let pending: Uint8Array = new Uint8Array(0);
  const flush = (s: Bun.Socket<undefined>) => {
    while (pending.length > 0) {
      const n = s.write(pending);
      if (n <= 0) return;
      pending = pending.subarray(n);
    }
  };
  const socket = await Bun.connect({
    hostname: "127.0.0.1",
    port,
    socket: {
      data(_s, chunk) {
        received.push(new Uint8Array(chunk));
        if (options.untilResponse && parseResponse(Buffer.concat(received), false)) settle();
      },
      drain: flush,
      close() {
        if (!finished) closedByServer = true;
        settle();
      },
      error() {
        if (!finished) closedByServer = true;
        settle();
      },
    },
  });
  const timer = setTimeout(() => {
    if (!finished) timedOut = true;
    settle();
  }, options.timeoutMs);
  if (options.bytePauseMs === undefined) {
    pending = bytes;
    flush(socket);
  } else {
    for (let i = 0; i < bytes.length && !finished; i++) {
      socket.write(bytes.subarray(i, i + 1));
      await Bun.sleep(options.bytePauseMs);
    }
  }
  await settled;
  clearTimeout(timer);
  socket.end();
  const all = Buffer.concat(received);
  return {
    response: parseResponse(all, closedByServer),
    closedByServer,
    timedOut,
    raw: all.toString("latin1"),
  };
}
