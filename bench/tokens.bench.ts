/**
 * Token creation as the number of tokens grows. Each case is a store on its own SQLite file holding
 * N tokens; one operation creates a token and revokes it again, so N stays put while mitata repeats
 * it. The baseline is the same operation on an empty store, measured in the same run: flat ratios
 * mean creation no longer depends on how many tokens exist. The last case is what every creation
 * used to do first (read every token to pick a free id), at the size the issue measured (4,224).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openStorage, type Storage } from "../src/kernel/storage/index.ts";
import { createTokenStore, type TokenStore } from "../src/modules/admin/auth/index.ts";
import { type Case, compare, save } from "./lib.ts";

const SIZES = [0, 100, 1000, 4224, 10_000];
const dir = mkdtempSync(join(tmpdir(), "hearth-bench-tokens-"));
const opened: Storage[] = [];

/** A store with `n` tokens, written in one batch as records and indexed once by the store itself. */
async function storeWith(n: number): Promise<{ storage: Storage; store: TokenStore }> {
  const storage = await openStorage({ path: join(dir, `tokens-${n}.db`) });
  opened.push(storage);
  const records: Record<
    string,
    { id: string; name: string; scopes: string[]; hash: string; createdAt: string }
  > = {};
  for (let i = 0; i < n; i++) {
    const hash = new Bun.CryptoHasher("sha256").update(`bench-${i}`).digest("hex");
    const id = i.toString(16).padStart(12, "0");
    records[`token:${hash.slice(0, 32)}`] = {
      id,
      name: `bench-${i}`,
      scopes: ["read"],
      hash,
      createdAt: new Date(1_700_000_000_000 + i).toISOString(),
    };
  }
  if (n > 0) await storage.batchSet("auth", records);
  const store = createTokenStore({ storage });
  if ((await store.count()) !== n) throw new Error(`expected ${n} tokens`);
  return { storage, store };
}

try {
  const cases: Case[] = [];
  for (const n of SIZES) {
    const { store } = await storeWith(n);
    cases.push({
      name: n === 0 ? "create + revoke, no other token" : `create + revoke, ${n} tokens exist`,
      baseline: n === 0,
      fn: async () => {
        const { info } = await store.create({ name: "bench", scopes: ["read"] });
        await store.revoke(info.id);
      },
    });
  }
  const legacy = opened[SIZES.indexOf(4224)] as Storage;
  cases.push({
    name: "before: the full read each create began with, 4224 tokens",
    fn: async () => legacy.query("auth", { prefix: "token:" }),
  });
  await compare("token creation as tokens grow (each op creates one token and revokes it)", cases);

  const paged: Case[] = [];
  for (const n of [100, 10_000]) {
    const store = createTokenStore({ storage: opened[SIZES.indexOf(n)] as Storage });
    paged.push({
      name: `GET /api/v1/tokens?limit=100 (store.page), ${n} tokens exist`,
      baseline: n === 100,
      fn: async () => store.page({ limit: 100 }),
    });
  }
  await compare("one page of 100 tokens as tokens grow", paged);
} finally {
  for (const s of opened) await s.close();
  rmSync(dir, { recursive: true, force: true });
}

save("tokens");
