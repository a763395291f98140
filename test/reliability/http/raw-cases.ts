/**
 * Requests only a raw socket can send: malformed request lines, raw NUL and non-UTF-8 bytes, header
 * abuse (huge, many, duplicated, folded), odd methods, smuggling-shaped framing. Some never reach the
 * app: Bun's HTTP parser answers them itself (400, 413, 431, 505, with an empty body) or closes the
 * connection; `app: false` marks those, whose body cannot carry the documented error shape.
 */

export interface RawCase {
  label: string;
  request: (token: string) => string | Uint8Array;
  /** Acceptable statuses; "closed" = the server may close without answering. */
  expect: (number | "closed")[];
  /** The app answers (JSON error shape checked) rather than Bun's parser. */
  app: boolean;
  /** Extra check on the raw response text; returns a problem or undefined. */
  check?: (raw: string) => string | undefined;
}

const end = "Connection: close\r\n\r\n";
const bytes = (...parts: (string | number[])[]) =>
  new Uint8Array(
    Buffer.concat(parts.map((p) => (typeof p === "string" ? Buffer.from(p, "latin1") : Buffer.from(p)))),
  );
const noPasswd = (raw: string) =>
  raw.includes("root:") ? "response contains /etc/passwd content" : undefined;

export const RAW_CASES: readonly RawCase[] = [
  {
    label: "a 20 KiB header",
    request: () => `GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(20_000)}\r\n${end}`,
    expect: [431],
    app: false,
  },
  {
    label: "a 1 MiB header",
    request: () => `GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(1 << 20)}\r\n${end}`,
    expect: [431, "closed"],
    app: false,
  },
  {
    label: "500 headers",
    request: () =>
      `GET /health HTTP/1.1\r\nHost: x\r\n${Array.from({ length: 500 }, (_, i) => `X-H${i}: v\r\n`).join("")}${end}`,
    expect: [431],
    app: false,
  },
  {
    label: "100 headers and a valid token",
    request: (t) =>
      `GET /api/v1/runtime HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${t}\r\n${Array.from({ length: 100 }, (_, i) => `X-H${i}: v\r\n`).join("")}${end}`,
    expect: [200],
    app: true,
  },
  {
    label: "duplicate Authorization: valid then invalid",
    request: (t) =>
      `GET /api/v1/runtime HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${t}\r\nAuthorization: Bearer hth_${"A".repeat(43)}\r\n${end}`,
    expect: [401],
    app: true,
  },
  {
    label: "duplicate Authorization: invalid then valid",
    request: (t) =>
      `GET /api/v1/runtime HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer hth_${"A".repeat(43)}\r\nAuthorization: Bearer ${t}\r\n${end}`,
    expect: [401],
    app: true,
  },
  {
    label: "duplicate Authorization: the same valid token twice",
    request: (t) =>
      `GET /api/v1/runtime HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${t}\r\nAuthorization: Bearer ${t}\r\n${end}`,
    expect: [401],
    app: true,
  },
  {
    label: "Authorization with bytes that are not UTF-8",
    request: () =>
      bytes(
        "GET /api/v1/runtime HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ",
        [0xff, 0xfe, 0xc3, 0x28],
        `\r\n${end}`,
      ),
    expect: [401],
    app: true,
  },
  {
    label: "Authorization folded over two lines (obs-fold)",
    request: (t) => `GET /api/v1/runtime HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer\r\n ${t}\r\n${end}`,
    expect: [400, 401],
    app: false,
  },
  {
    label: "a header name with a space",
    request: () => `GET /health HTTP/1.1\r\nHost: x\r\nX Bad: 1\r\n${end}`,
    expect: [400],
    app: false,
  },
  {
    label: "a header line without a colon",
    request: () => `GET /health HTTP/1.1\r\nHost: x\r\nnocolon\r\n${end}`,
    expect: [400],
    app: false,
  },
  {
    label: "a raw NUL in the path",
    request: (t) =>
      `GET /api/v1/state/demo\u0000lamp HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${t}\r\n${end}`,
    // Bun's parser stops at the NUL and then refuses the "version" it finds: 505, empty body.
    expect: [400, 505],
    app: false,
  },
  {
    label: "raw bytes that are not UTF-8 in the path",
    request: (t) =>
      bytes(
        "GET /api/v1/state/",
        [0xff, 0xfe, 0xc3, 0x28],
        ` HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${t}\r\n${end}`,
      ),
    expect: [400],
    app: true,
  },
  {
    label: "raw ../ traversal out of /api/v1",
    request: (t) =>
      `GET /api/v1/../../etc/passwd HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${t}\r\n${end}`,
    expect: [404],
    app: true,
    check: noPasswd,
  },
  {
    label: "raw ../ traversal inside a state key",
    request: (t) =>
      `GET /api/v1/state/demo/../../../../etc/passwd HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${t}\r\n${end}`,
    expect: [400, 404],
    app: true,
    check: noPasswd,
  },
  {
    label: "raw ../ traversal to a secured route without a token",
    request: () => `GET /health/../api/v1/runtime HTTP/1.1\r\nHost: x\r\n${end}`,
    expect: [401, 404],
    app: true,
  },
  {
    label: "absolute-form request target",
    request: () => `GET http://evil.example/api/v1/runtime HTTP/1.1\r\nHost: x\r\n${end}`,
    expect: [400, 401, 404],
    app: true,
  },
  {
    label: "a TLS ClientHello on the plain port",
    request: () => bytes([0x16, 0x03, 0x01, 0x00, 0xa5, 0x01, 0x00, 0x00, 0xa1, 0x03, 0x03], "\r\n\r\n"),
    expect: [400, "closed"],
    app: false,
  },
  {
    label: "HTTP/0.9",
    request: () => "GET /\r\n\r\n",
    expect: [400, 505, "closed"],
    app: false,
  },
  {
    label: "the HTTP/2 preface",
    request: () => "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
    expect: [400, 505, "closed"],
    app: false,
  },
  {
    label: "HTTP/1.1 without Host",
    request: () => `GET /health HTTP/1.1\r\n${end}`,
    expect: [400],
    app: false,
  },
  ...["FOO", "BREW", "TRACE", "get", "M".repeat(300)].map(
    (m): RawCase => ({
      label: `method ${m.slice(0, 12)}`,
      request: (t) => `${m} /api/v1/runtime HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${t}\r\n${end}`,
      expect: [400, 404, 405, 501, "closed"],
      app: true,
    }),
  ),
  {
    label: "CONNECT",
    request: () => `CONNECT 127.0.0.1:22 HTTP/1.1\r\nHost: 127.0.0.1:22\r\n${end}`,
    expect: [400, 404, 405, "closed"],
    app: true,
  },
  {
    label: "Content-Length and Transfer-Encoding together",
    request: (t) =>
      `POST /api/v1/tokens HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${t}\r\nContent-Type: application/json\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n${end}0\r\n\r\n`,
    expect: [400],
    app: false,
  },
  {
    label: "a negative Content-Length",
    request: (t) =>
      `POST /api/v1/tokens HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${t}\r\nContent-Length: -1\r\n${end}`,
    expect: [400],
    app: false,
  },
  {
    label: "two different Content-Lengths",
    request: (t) =>
      `POST /api/v1/tokens HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${t}\r\nContent-Length: 2\r\nContent-Length: 30\r\n${end}{}`,
    expect: [400],
    app: false,
  },
  {
    label: "a 100 GB Content-Length",
    request: (t) =>
      `POST /api/v1/tokens HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${t}\r\nContent-Type: application/json\r\nContent-Length: 99999999999\r\n${end}{}`,
    expect: [413],
    app: false,
  },
  {
    label: "Content-Length over maxBodyBytes with Expect: 100-continue",
    request: (t) =>
      `POST /api/v1/tokens HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${t}\r\nContent-Type: application/json\r\nExpect: 100-continue\r\nContent-Length: 2000000\r\n${end}`,
    expect: [100, 413],
    app: true,
  },
  {
    label: "an invalid chunk size",
    request: (t) =>
      `POST /api/v1/tokens HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${t}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n${end}zz\r\n{}\r\n0\r\n\r\n`,
    expect: [400, "closed"],
    app: false,
  },
  {
    label: "a pipelined second request does not inherit the first one's token",
    request: (t) =>
      `POST /health HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${t}\r\nContent-Length: 0\r\n\r\n` +
      `GET /api/v1/runtime HTTP/1.1\r\nHost: x\r\n${end}`,
    // /health takes GET only: the first answer is 405 (with Allow), the second must still be a 401.
    expect: [405],
    app: true,
    check: (raw) => (raw.includes("AUTH_REQUIRED") ? undefined : "the second request was not refused"),
  },
];
