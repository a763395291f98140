/**
 * Secret markers and the scan for them. A marker is a distinctive random value planted during the
 * run; it is looked for in every captured surface in every form it could take on the way out: as is,
 * URL- and JSON-escaped, hex, base64 and base64url at each byte alignment, and, for API tokens, the
 * SHA-256 they are stored under and the decoded random part. Controls are public values written the
 * same way, which must be found: a scan that silently scans nothing fails on them.
 */
import { createHash, randomBytes } from "node:crypto";

/** What kind of secret a marker stands for; tests pick the kinds they speak about. */
export type Category = "token" | "storage" | "config" | "attempt" | "input";

/** Where a text came from. */
export type SurfaceKind = "log" | "get" | "state" | "metrics" | "events" | "cli" | "error" | "datadir";

export interface Form {
  kind: string;
  text: string;
  /** Derived by hashing (the token's SHA-256): fine at rest in the database, never served. */
  hash: boolean;
}

export interface Marker {
  name: string;
  category: Category;
  value: string;
  forms: Form[];
}

export interface Surface {
  name: string;
  kind: SurfaceKind;
  text: string;
  /** Markers this surface may hold: the request's own input, echoed back to the same client. */
  allow?: readonly string[];
  /** Hashed forms are expected here (the database and its backup keep token hashes). */
  allowHashes?: boolean;
  /** Only these categories are looked for (the database keeps secret-namespace values by design). */
  only?: readonly Category[];
}

export interface Leak {
  surface: string;
  kind: SurfaceKind;
  marker: string;
  category: Category;
  form: string;
  /** A little text around the hit, to find it. */
  context: string;
}

/** Forms shorter than this could match by chance in binary files. */
const MIN_FORM_CHARS = 12;

/** `<prefix>-<32 hex>`: random, so a hit cannot come from anywhere but this run. */
export function randomMarker(prefix: string): string {
  return `${prefix}-${randomBytes(16).toString("hex")}`;
}

/** Base64 of `bytes` as it appears inside a longer encoded text, at each of the 3 byte alignments. */
function base64Forms(bytes: Buffer, encoding: "base64" | "base64url"): string[] {
  const out: string[] = [];
  for (let pad = 0; pad < 3; pad++) {
    const padded = Buffer.concat([Buffer.alloc(pad), bytes]);
    const text = padded.toString(encoding);
    // Drop the first group (it mixes in the bytes before) and the last partial one (the bytes after).
    const start = pad === 0 ? 0 : 4;
    const end = Math.floor(padded.length / 3) * 4;
    out.push(text.slice(start, end));
  }
  return out;
}

/** Every form of `value` the scan looks for. */
export function formsOf(value: string, options: { token?: boolean } = {}): Form[] {
  const forms = new Map<string, Form>();
  const add = (kind: string, text: string, hash = false) => {
    if (text.length >= MIN_FORM_CHARS && !forms.has(text)) forms.set(text, { kind, text, hash });
  };
  const bytes = Buffer.from(value, "utf8");
  add("raw", value);
  add("url", encodeURIComponent(value));
  add("url-form", new URLSearchParams({ v: value }).toString().slice(2));
  add("json", JSON.stringify(value).slice(1, -1));
  add("hex", bytes.toString("hex"));
  add("HEX", bytes.toString("hex").toUpperCase());
  for (const enc of ["base64", "base64url"] as const) {
    for (const text of base64Forms(bytes, enc)) add(enc, text);
  }
  if (options.token) {
    const digest = createHash("sha256").update(value).digest("hex");
    add("sha256", digest, true);
    add("sha256-key", digest.slice(0, 32), true);
    add("SHA256", digest.toUpperCase(), true);
    // `hth_` + base64url of 32 random bytes: the random part alone, and decoded.
    const body = value.replace(/^hth_/, "");
    add("token-body", body);
    const random = Buffer.from(body, "base64url");
    add("token-hex", random.toString("hex"));
    for (const text of base64Forms(random, "base64")) add("token-base64", text);
  }
  return [...forms.values()];
}

/** The markers and controls of one run, and the scan over its surfaces. */
export class Markers {
  readonly secrets: Marker[] = [];
  readonly controls = new Map<string, string>();

  /** Registers a secret; returns its value. */
  secret(name: string, category: Category, value: string = randomMarker("SECRET")): string {
    if (this.secrets.some((m) => m.name === name)) throw new Error(`marker ${name} registered twice`);
    this.secrets.push({ name, category, value, forms: formsOf(value, { token: value.startsWith("hth_") }) });
    return value;
  }

  /** Registers a public value that must be found where it was written. */
  control(name: string, value: string = randomMarker("PUBLIC")): string {
    this.controls.set(name, value);
    return value;
  }

  controlValue(name: string): string {
    const v = this.controls.get(name);
    if (v === undefined) throw new Error(`no control ${name}`);
    return v;
  }

  /** Every secret form found in `surfaces`, less what each surface allows. */
  scan(surfaces: readonly Surface[]): Leak[] {
    const leaks: Leak[] = [];
    for (const s of surfaces) {
      for (const m of this.secrets) {
        if (s.allow?.includes(m.name)) continue;
        if (s.only && !s.only.includes(m.category)) continue;
        for (const f of m.forms) {
          if (f.hash && s.allowHashes) continue;
          const at = s.text.indexOf(f.text);
          if (at < 0) continue;
          const context = s.text.slice(Math.max(0, at - 80), at + f.text.length + 40);
          leaks.push({
            surface: s.name,
            kind: s.kind,
            marker: m.name,
            category: m.category,
            form: f.kind,
            context: JSON.stringify(context),
          });
          break;
        }
      }
    }
    return leaks;
  }
}
