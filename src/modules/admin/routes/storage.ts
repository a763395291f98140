/** Storage (admin): namespaces with counts; keys and values of non-secret namespaces only. */
import { notFound, secretRefused } from "../errors.ts";
import { json, secured } from "../openapi.ts";
import { NamespaceEntriesSchema, NamespaceParams, NamespaceQuery, NamespacesSchema } from "../schemas.ts";
import type { AdminApp, RouteDeps } from "./deps.ts";

export function storageRoutes(app: AdminApp, deps: RouteDeps): void {
  const { auth } = deps;
  const { kernel } = deps;

  app.openapi(
    secured(auth, "admin", {
      method: "get",
      path: "/api/v1/storage",
      operationId: "listStorageNamespaces",
      tags: ["storage"],
      summary: "Namespaces with their key counts (secret ones marked, never readable)",
      responses: { 200: json(NamespacesSchema, "The namespaces") },
    }),
    async (c) => {
      const namespaces = (await kernel.storage.namespaces()).map((n) => ({
        namespace: n.namespace,
        keys: n.keys,
        secret: kernel.mirror.isSecret(n.namespace),
      }));
      return c.json({ namespaces }, 200);
    },
  );

  app.openapi(
    secured(auth, "admin", {
      method: "get",
      path: "/api/v1/storage/{namespace}",
      operationId: "listStorageEntries",
      tags: ["storage"],
      summary: "Keys and values of a non-secret namespace",
      request: { params: NamespaceParams, query: NamespaceQuery },
      errors: [400, 404, 422],
      responses: { 200: json(NamespaceEntriesSchema, "The entries, by key") },
    }),
    async (c) => {
      const { namespace } = c.req.valid("param");
      const { prefix, limit } = c.req.valid("query");
      if (kernel.mirror.isSecret(namespace)) {
        throw secretRefused(`Storage namespace "${namespace}" is secret`, { namespace });
      }
      // One more than asked tells whether the list was cut.
      const rows = await kernel.storage.query(namespace, { prefix, limit: limit + 1 });
      if (rows.length === 0 && prefix === undefined) {
        throw notFound(`No storage namespace "${namespace}"`, { namespace });
      }
      const entries = rows.slice(0, limit).map((r) => ({ key: r.key, value: r.value }));
      return c.json({ namespace, entries, truncated: rows.length > limit }, 200);
    },
  );
}
