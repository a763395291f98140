import { existsSync } from "node:fs";
import { join } from "node:path";
import { HearthError } from "../errors.ts";
import { loadConfig } from "../kernel/config/index.ts";
import { openStorage } from "../kernel/storage/index.ts";
import {
  createTokenStore,
  type Scope,
  type TokenInfo,
  type TokenStore,
} from "../modules/admin/auth/index.ts";
import { CONFIG_FLAGS, type Command, commandHelp, EXIT, type Io, parseStrict } from "./command.ts";
import { TOKEN_META } from "./meta.ts";

const OPTIONS = {
  ...CONFIG_FLAGS,
  name: { type: "string" },
  scope: { type: "string", multiple: true },
  json: { type: "boolean" },
} as const;

type Values = ReturnType<
  typeof parseStrict<{ args: string[]; options: typeof OPTIONS; allowPositionals: true }>
>["values"];

function usage(message: string): HearthError {
  return new HearthError("INVALID_ARGUMENT", message);
}

function table(tokens: TokenInfo[]): string {
  const rows = [
    ["ID", "NAME", "SCOPES", "CREATED", "LAST USED"],
    ...tokens.map((t) => [t.id, t.name, t.scopes.join(","), t.createdAt, t.lastUsedAt ?? "never"]),
  ];
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length))) ?? [];
  return rows
    .map((r) =>
      r
        .map((cell, i) => cell.padEnd(widths[i] ?? 0))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

async function create(store: TokenStore, values: Values, io: Io): Promise<number> {
  const { token, info } = await store.create({
    name: values.name ?? "",
    scopes: (values.scope ?? []) as Scope[],
  });
  if (values.json) {
    io.out(`${JSON.stringify({ token, ...info })}\n`);
  } else {
    // stdout carries the token alone, so `TOKEN=$(hearth token create ...)` works.
    io.out(`${token}\n`);
    io.err(
      `created token ${info.id} "${info.name}" (${info.scopes.join(", ")}); it is shown only this once\n`,
    );
  }
  return EXIT.OK;
}

/**
 * `hearth token create|list|revoke`: manages admin API tokens in `<dataDir>/hearth.db`. SQLite's WAL
 * lets this run while the service is up; revocation takes effect on the token's next request.
 */
export const tokenCommand: Command = {
  ...TOKEN_META,
  async run(args, io) {
    const { values, positionals } = parseStrict({
      args,
      options: OPTIONS,
      allowPositionals: true,
      strict: true,
    });
    if (values.help) {
      io.out(commandHelp(this));
      return EXIT.OK;
    }
    const [action, ...rest] = positionals;
    if (action !== "create" && action !== "list" && action !== "revoke") {
      throw usage(
        action === undefined ? "missing action: create, list or revoke" : `unknown action "${action}"`,
      );
    }
    if (action === "create") {
      if (rest.length > 0) throw usage(`unexpected argument "${rest[0]}"`);
      if (values.name === undefined) throw usage("create needs --name NAME");
      if (values.scope === undefined) throw usage("create needs at least one --scope");
    } else {
      if (values.name !== undefined || values.scope !== undefined) {
        throw usage(`--name and --scope only go with create`);
      }
      if (action === "list" && rest.length > 0) throw usage(`unexpected argument "${rest[0]}"`);
      if (action === "revoke" && rest.length !== 1) throw usage("revoke needs exactly one token ID");
    }

    const { config } = loadConfig({ file: values.config, overrides: { dataDir: values["data-dir"] } });
    const path = join(config.dataDir, "hearth.db");
    // Reading or revoking must not create a database in a mistyped data folder.
    if (action !== "create" && !existsSync(path)) {
      if (action === "list") {
        io.out(values.json ? "[]\n" : `no tokens (no database at ${path})\n`);
        return EXIT.OK;
      }
      return notFound(rest[0] as string, io);
    }
    // synchronous=FULL: a token printed to the user must survive a power cut right after.
    const storage = await openStorage({ path, durable: true, maxValueBytes: config.storage.maxValueBytes });
    try {
      const store = createTokenStore({ storage, maxTokens: config.http.maxTokens });
      if (action === "create") return await create(store, values, io);
      if (action === "list") {
        const tokens = await store.list();
        if (values.json) io.out(`${JSON.stringify(tokens)}\n`);
        else io.out(tokens.length === 0 ? "no tokens\n" : `${table(tokens)}\n`);
        return EXIT.OK;
      }
      const id = rest[0] as string;
      if (!(await store.revoke(id))) return notFound(id, io);
      io.out(`revoked token ${id}\n`);
      return EXIT.OK;
    } finally {
      await storage.close();
    }
  },
};

function notFound(id: string, io: Io): number {
  io.err(`hearth token: AUTH_TOKEN_NOT_FOUND: no token with id "${id}"\n`);
  return EXIT.FAILURE;
}
