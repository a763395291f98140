import type { StateEngine } from "../state/types.ts";
import type { JsonObject, StorageOps } from "../storage/types.ts";
import type { ConsistencyReport } from "./types.ts";

async function documents(storage: StorageOps, namespace: string): Promise<Map<string, JsonObject>> {
  const out = new Map<string, JsonObject>();
  for (const e of await storage.query(namespace)) out.set(e.key, e.value);
  return out;
}

/** Copies `namespace` into state and drops state keys under it that storage no longer has. */
export async function syncNamespace(
  storage: StorageOps,
  state: StateEngine,
  namespace: string,
): Promise<number> {
  const docs = await documents(storage, namespace);
  for (const [key, value] of docs) state.set(`${namespace}/${key}`, value);
  for (const stateKey of state.keys(`${namespace}/**`)) {
    if (!docs.has(stateKey.slice(namespace.length + 1))) state.delete(stateKey);
  }
  return docs.size;
}

/** Compares each namespace's documents with their state copies. */
export async function checkConsistency(
  storage: StorageOps,
  state: StateEngine,
  namespaces: readonly string[],
): Promise<ConsistencyReport> {
  const report: ConsistencyReport = {
    consistent: true,
    missingInState: [],
    missingInStorage: [],
    differing: [],
  };
  for (const ns of namespaces) {
    const docs = await documents(storage, ns);
    for (const [key, value] of docs) {
      const mk = `${ns}/${key}`;
      if (!state.has(mk)) report.missingInState.push(mk);
      else if (!Bun.deepEquals(state.get(mk), value)) report.differing.push(mk);
    }
    for (const stateKey of state.keys(`${ns}/**`)) {
      if (!docs.has(stateKey.slice(ns.length + 1))) report.missingInStorage.push(stateKey);
    }
  }
  report.consistent =
    report.missingInState.length + report.missingInStorage.length + report.differing.length === 0;
  return report;
}
