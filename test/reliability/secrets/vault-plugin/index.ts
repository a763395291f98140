/**
 * Secrets fixture, installed as an external plugin (as `vault`, and again under other names by
 * secrets.test.ts). It keeps what a real integration keeps: a network key and a password from its
 * config, stored with `ctx.storage` in a namespace the config marks secret, plus secrets written over
 * HTTP through its own endpoints. It logs them only under the field names the logger redacts, and
 * answers reads of them with metadata only. Everything public it handles (the label, notes) is
 * returned and published, so the suite can check that what it scans is really there.
 * `import type` only: an external plugin cannot import Hearth.
 */
import type { PluginDefinition } from "../../../../src/sdk/index.ts";

interface VaultConfig {
  networkKey: string;
  password: string;
  /** Public: stored, mirrored, logged and published, as the positive control. */
  label: string;
  /** Where the secrets go: `<plugin>` or `<plugin>.<name>`, listed in storage.secretNamespaces. */
  secretNamespace: string;
  /** Also put the network key in state under `<plugin>/` (hidden only if `<plugin>` is secret). */
  stateCopy: boolean;
}

const plugin: PluginDefinition<VaultConfig> = {
  configSchema: (z) =>
    z.strictObject({
      networkKey: z.string().min(8).max(200),
      password: z.string().min(8).max(64),
      label: z.string().min(1).max(200),
      secretNamespace: z.string().min(1),
      stateCopy: z.boolean().default(false),
    }),

  async onStart(ctx) {
    const z = ctx.z;
    const c = ctx.config;
    const secretNs = c.secretNamespace;
    const publicNs = `${ctx.name}.public`;

    await ctx.storage.set(secretNs, "wifi", { networkKey: c.networkKey, password: c.password });
    await ctx.storage.set(publicNs, "label", { label: c.label });
    ctx.state.set(`${ctx.name}/label`, { label: c.label });
    if (c.stateCopy) ctx.state.set(`${ctx.name}/wifi`, { networkKey: c.networkKey });

    // Only field names the logger redacts carry secrets (README, Configuration).
    ctx.log.info({ networkKey: c.networkKey, password: c.password }, "vault keys loaded");
    ctx.log.info({ wifi: { networkKey: c.networkKey, password: c.password } }, "vault wifi configured");
    ctx.log.debug(
      { secret: c.password, token: c.networkKey, apiKey: c.password, authorization: c.networkKey },
      "vault credentials in use",
    );
    ctx.log.info({ label: c.label }, "vault label");
    ctx.log.debug({ note: `${c.label}-debug` }, "vault debug note");

    const Key = z.object({ key: z.string().regex(/^[a-z0-9-]{1,32}$/) });
    const Value = z
      .string()
      .regex(/^[A-Za-z0-9_-]+$/)
      .max(200);

    ctx.services.register(
      "put_secret",
      async (p: { key: string; value: string; pad?: number }) => {
        const doc: Record<string, string> = { value: p.value };
        if (p.pad) doc.pad = "x".repeat(p.pad);
        await ctx.storage.set(secretNs, p.key, doc);
        await ctx.events.publish("vault.secret_stored", { key: p.key, label: c.label });
        return { key: p.key, stored: true };
      },
      {
        schema: z.strictObject({
          key: Key.shape.key,
          value: Value,
          pad: z.int().min(0).max(100_000).optional(),
        }),
      },
    );
    ctx.services.register("get_secret", async ({ key }: { key: string }) => {
      const doc = await ctx.storage.get(secretNs, key);
      const value = doc?.value;
      return { key, stored: doc !== undefined, length: typeof value === "string" ? value.length : 0 };
    });
    ctx.services.register("put_note", async (p: { key: string; value: string }) => {
      await ctx.storage.set(publicNs, p.key, { value: p.value });
      await ctx.events.publish("vault.note_stored", { key: p.key, value: p.value });
      return { key: p.key, stored: true };
    });
    ctx.services.register("get_note", async ({ key }: { key: string }) => {
      const doc = await ctx.storage.get(publicNs, key);
      if (doc === undefined) throw ctx.errors.create("NOT_FOUND", `No note "${key}"`, { key });
      return { key, value: doc.value };
    });
    // An unexpected failure while handling a request that carries a secret: a 500 whose detail goes
    // to the log, which must not include the request's params.
    ctx.services.register("fail", () => {
      throw new Error("vault: deliberate failure");
    });

    ctx.http.register({
      method: "POST",
      path: "/secrets/:key",
      service: "put_secret",
      summary: "Stores a secret (secret namespace)",
      scope: "control",
      params: Key,
      body: z.object({ value: Value, pad: z.int().min(0).max(100_000).optional() }),
    });
    ctx.http.register({
      method: "GET",
      path: "/secrets/:key",
      service: "get_secret",
      summary: "Whether a secret is stored, and its length (never its value)",
      scope: "read",
      params: Key,
    });
    ctx.http.register({
      method: "POST",
      path: "/notes/:key",
      service: "put_note",
      summary: "Stores a public note",
      scope: "control",
      params: Key,
      body: z.object({ value: Value }),
    });
    ctx.http.register({
      method: "GET",
      path: "/notes/:key",
      service: "get_note",
      summary: "Reads a public note",
      scope: "read",
      params: Key,
    });
  },
};

export default plugin;
