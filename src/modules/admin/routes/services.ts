/** Services: list (read) and the generic call (admin). */
import { identityOf } from "../access-log.ts";
import { json, SERVICE_ERRORS, secured } from "../openapi.ts";
import { ServiceCallBody, ServiceNameParams, ServiceResultSchema, ServicesSchema } from "../schemas.ts";
import type { AdminApp, RouteDeps } from "./deps.ts";

/** Who the services layer sees as the caller of API-initiated calls. */
export const API_CALLER = "admin";

export function serviceRoutes(app: AdminApp, deps: RouteDeps): void {
  const { auth } = deps;
  const services = () => deps.kernel.services;

  app.openapi(
    secured(auth, "read", {
      method: "get",
      path: "/api/v1/services",
      operationId: "listServices",
      tags: ["services"],
      summary: "Registered services",
      responses: { 200: json(ServicesSchema, "The services") },
    }),
    (c) => c.json({ services: services().list() }, 200),
  );

  app.openapi(
    secured(auth, "admin", {
      method: "post",
      path: "/api/v1/services/{name}/call",
      operationId: "callService",
      tags: ["services"],
      summary: "Calls any service with JSON params",
      description:
        "Any service, so `admin` only. Services an owner exposes through its own endpoint with scope " +
        "`control` are callable with a `control` token there.",
      request: {
        params: ServiceNameParams,
        body: { required: false, content: { "application/json": { schema: ServiceCallBody } } },
      },
      // The service's own errors reach the caller unchanged (any catalogued status); 415 for a body
      // that is not JSON.
      errors: [...SERVICE_ERRORS, 415],
      responses: { 200: json(ServiceResultSchema, "What the service returned") },
    }),
    async (c) => {
      const { name } = c.req.valid("param");
      const params = c.req.valid("json");
      const identity = identityOf(c);
      const result = await services().call(
        name,
        params,
        identity === undefined ? { caller: API_CALLER } : { caller: API_CALLER, identity },
      );
      return c.json({ result: result ?? null }, 200);
    },
  );
}
