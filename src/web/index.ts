/**
 * The web page's files, served by the admin app at `/` on request. `index.html` is a Bun HTML import:
 * `bun build --compile` bundles it with its script (`client/`, plain DOM) and stylesheet and embeds
 * the results in the executable, and the import's value lists them (path, type, etag). Nothing is read
 * until the first request. Under `bun run` and in tests the import carries no files; the page is then
 * bundled in memory on its first request.
 */
import { basename, join } from "node:path";
import { gzipSync } from "bun";
import index from "./index.html";

/** One file of the page: `/` for the HTML, `/<name>` for the hashed script and stylesheet. */
export interface WebAsset {
  type: string;
  /** A strong ETag, quoted. */
  etag: string;
  /** Hashed names never change content: the browser may keep them for good. */
  immutable: boolean;
  bytes(): Promise<Uint8Array<ArrayBuffer>>;
  /** The gzipped bytes, made once on first use. */
  gzipped(): Promise<Uint8Array<ArrayBuffer>>;
}

interface EmbeddedFile {
  path: string;
  loader: string;
  headers: Record<string, string>;
}

let loaded: Promise<Map<string, WebAsset>> | undefined;

function asset(
  type: string,
  etag: string,
  immutable: boolean,
  read: () => Promise<Uint8Array<ArrayBuffer>>,
): WebAsset {
  let raw: Promise<Uint8Array<ArrayBuffer>> | undefined;
  let gz: Promise<Uint8Array<ArrayBuffer>> | undefined;
  const bytes = () => {
    raw ??= read();
    return raw;
  };
  return {
    type,
    etag,
    immutable,
    bytes,
    gzipped: () => {
      gz ??= bytes().then((b) => gzipSync(b, { level: 9 }) as Uint8Array<ArrayBuffer>);
      return gz;
    },
  };
}

async function load(): Promise<Map<string, WebAsset>> {
  const files = (index as unknown as { files?: EmbeddedFile[] }).files;
  const out = new Map<string, WebAsset>();
  if (files !== undefined) {
    for (const f of files) {
      const html = f.loader === "html";
      const file = Bun.file(f.path);
      out.set(
        html ? "/" : `/${basename(f.path)}`,
        asset(
          f.headers["content-type"] ?? file.type,
          `"${f.headers.etag ?? ""}"`,
          !html,
          async () => new Uint8Array(await file.arrayBuffer()),
        ),
      );
    }
    return out;
  }
  // Not compiled: bundle the page now, once, in memory.
  const result = await Bun.build({
    entrypoints: [join(import.meta.dir, "index.html")],
    minify: true,
    publicPath: "/",
  });
  if (!result.success) throw new AggregateError(result.logs, "the web page did not bundle");
  for (const o of result.outputs) {
    const bytes = new Uint8Array(await o.arrayBuffer());
    const html = o.path.endsWith(".html");
    const etag = `"${Bun.hash(bytes).toString(36)}"`;
    out.set(
      html ? "/" : `/${basename(o.path)}`,
      asset(o.type, etag, !html, async () => bytes),
    );
  }
  return out;
}

/** The page's file at `path` (`/`, `/chunk-….js`, `/chunk-….css`), or undefined. */
export async function webAsset(path: string): Promise<WebAsset | undefined> {
  loaded ??= load().catch((err: unknown) => {
    loaded = undefined;
    throw err;
  });
  return (await loaded).get(path);
}
