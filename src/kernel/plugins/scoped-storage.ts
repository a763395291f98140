import { HearthError } from "../../errors.ts";
import type { StorageOps } from "../storage/types.ts";

/** Whether `namespace` belongs to `plugin`: `<plugin>` itself or `<plugin>.<anything>`. */
export function ownsNamespace(plugin: string, namespace: unknown): namespace is string {
  return typeof namespace === "string" && (namespace === plugin || namespace.startsWith(`${plugin}.`));
}

/**
 * StorageOps limited to the plugin's namespaces. `live()` throws once the plugin is unloaded. Every
 * method is async, so a refusal arrives as a rejection like any other storage error.
 */
export function scopedStorage(inner: StorageOps, plugin: string, live: () => void): StorageOps {
  const check = (namespace: unknown): string => {
    live();
    if (!ownsNamespace(plugin, namespace)) {
      throw new HearthError(
        "PLUGIN_FORBIDDEN",
        `Plugin "${plugin}" may use only storage namespace "${plugin}" or "${plugin}.<name>", not ${JSON.stringify(namespace)}`,
        { data: { plugin, namespace: String(namespace) } },
      );
    }
    return namespace;
  };
  return Object.freeze<StorageOps>({
    get: async (ns, key) => inner.get(check(ns), key),
    set: async (ns, key, value, options) => inner.set(check(ns), key, value, options),
    delete: async (ns, key) => inner.delete(check(ns), key),
    has: async (ns, key) => inner.has(check(ns), key),
    listKeys: async (ns, prefix) => inner.listKeys(check(ns), prefix),
    batchGet: async (ns, keys) => inner.batchGet(check(ns), keys),
    batchSet: async (ns, entries) => inner.batchSet(check(ns), entries),
    batchDelete: async (ns, keys) => inner.batchDelete(check(ns), keys),
    query: async (ns, options) => inner.query(check(ns), options),
    namespaces: async () => {
      live();
      return (await inner.namespaces()).filter((n) => ownsNamespace(plugin, n.namespace));
    },
    transaction: async (fn) => {
      live();
      return inner.transaction((tx) => fn(scopedStorage(tx, plugin, live)));
    },
  });
}
