/**
 * The admin API as one Hono app: middleware (access log, metrics, CORS, body limit), the built-in
 * routes, owner endpoints dispatched at request time, the OpenAPI 3.1 document, and the one error
 * handler. Built without a listener so tests drive it with `app.request()`.
 */
import { OpenAPIHono } from "@hono/zod-openapi";
import { bodyLimit } from "hono/body-limit";
import { cors } from "hono/cors";
import { API_PREFIX } from "../../kernel/http/index.ts";
import { silentLogger } from "../../kernel/log/index.ts";
import { versionInfo } from "../../version.ts";
import { accessLog } from "./access-log.ts";
import { createAuth, createSessionStore, createTokenStore, SESSION_COOKIE } from "./auth/index.ts";
import {
  bodyTooLarge,
  errorHandler,
  notFoundHandler,
  routeNotFound,
  toResponse,
  validationFailed,
} from "./errors.ts";
import { MethodIndex, methodNotAllowed, withHead } from "./methods.ts";
import { createMetrics, UNMATCHED_ROUTE } from "./metrics/index.ts";
import { documentConfig, open } from "./openapi.ts";
import { ownerPaths } from "./owner-openapi.ts";
import { dispatch, OwnerEndpoints } from "./owner-routes.ts";
import type { AdminApp, RouteDeps } from "./routes/deps.ts";
import { eventRoutes } from "./routes/events.ts";
import { pluginRoutes } from "./routes/plugins.ts";
import { API_CALLER, serviceRoutes } from "./routes/services.ts";
import { sessionRoutes } from "./routes/session.ts";
import { stateRoutes } from "./routes/state.ts";
import { storageRoutes } from "./routes/storage.ts";
import { systemRoutes } from "./routes/system.ts";
import { tokenRoutes } from "./routes/tokens.ts";
import { webRoutes } from "./routes/web.ts";
import { createStreamSlots } from "./stream-slots.ts";
import type { AdminAppOptions, AdminEnv } from "./types.ts";

const DEFAULT_HEARTBEAT_MS = 15_000;

/**
 * Builds the admin app over the kernel view.
 *
 * @example
 * const app = createAdminApp({ kernel: ctx, logger: ctx.log });
 * const res = await app.request("/api/v1/runtime", { headers: { Authorization: `Bearer ${token}` } });
 */
export function createAdminApp(options: AdminAppOptions): AdminApp {
  const { kernel } = options;
  const { config } = kernel;
  const log = (options.logger ?? silentLogger()).child({ component: "http" });
  const version = options.version ?? versionInfo();
  const tokens =
    options.tokens ??
    createTokenStore({ storage: kernel.storage, logger: options.logger, maxTokens: config.http.maxTokens });
  const sessions =
    options.sessions ??
    createSessionStore({
      storage: kernel.storage,
      tokens,
      ttlMs: config.http.sessionTtlMs,
      logger: options.logger,
    });
  const auth =
    options.auth ??
    createAuth({
      store: tokens,
      sessions,
      trustProxy: config.http.trustProxy,
      maxFailures: config.http.authMaxFailures,
      windowMs: config.http.authWindowMs,
      logger: options.logger,
    });
  const streams = createStreamSlots({
    max: config.http.maxEventStreams,
    maxPerToken: config.http.maxEventStreamsPerToken,
  });
  const metrics =
    options.metrics ??
    createMetrics({
      getMetrics: () => kernel.runtime.metrics(),
      version,
      dataDir: config.dataDir,
      streams: () => streams.figures(),
      cacheMs: config.http.metricsCacheMs,
    });
  const deps: RouteDeps = {
    kernel,
    config,
    auth,
    tokens,
    sessions,
    metrics,
    version,
    log,
    sseHeartbeatMs: options.sseHeartbeatMs ?? DEFAULT_HEARTBEAT_MS,
    streams,
  };

  const app: AdminApp = new OpenAPIHono<AdminEnv>({
    defaultHook: (result) => {
      if (!result.success) throw validationFailed(result.target, result.error);
    },
  });
  const endpoints = new OwnerEndpoints(kernel.http);
  // Read once every built-in route is registered (the first request comes after that).
  let builtins: MethodIndex | undefined;
  const methodsAt = (path: string) => {
    builtins ??= new MethodIndex(app.routes);
    const own = builtins.allowed(path);
    const owners = endpoints.methodsAt(path);
    return { methods: withHead([...own.methods, ...owners.methods]), route: own.route ?? owners.route };
  };

  app.onError(errorHandler(log));
  const notFound = notFoundHandler();
  // Outside /api/v1 (the health, metrics and document paths): a known path with another method is 405.
  app.notFound((c) => {
    const { methods, route } = methodsAt(c.req.path);
    if (methods.length === 0) return notFound(c);
    const { status, body } = toResponse(methodNotAllowed(c.req.method, methods));
    c.set("route", route ?? UNMATCHED_ROUTE);
    c.set("errorCode", body.error.code);
    return c.json(body, status as 405, { Allow: methods.join(", ") });
  });

  app.use("*", accessLog(log, config.http.accessLog));
  app.use("*", metrics.httpMiddleware());
  if (config.http.corsOrigins.length > 0) {
    const origins = config.http.corsOrigins;
    app.use(
      "*",
      cors({
        origin: origins.includes("*") ? "*" : origins,
        allowHeaders: ["Authorization", "Content-Type"],
        allowMethods: ["GET", "POST", "PUT", "PATCH", "DELETE"],
        maxAge: 600,
      }),
    );
  }
  // 401 before anything else under /api/v1: without valid credentials no path is told apart from
  // another (no 404 that maps plugin endpoints, no 413 before the caller is known). CORS preflights
  // are answered above; the public routes (`/health`, `/openapi.json`) live outside the prefix.
  app.use(`${API_PREFIX}/*`, auth.authenticate());
  app.use(
    "*",
    bodyLimit({
      maxSize: config.http.maxBodyBytes,
      onError: () => {
        throw bodyTooLarge(config.http.maxBodyBytes);
      },
    }),
  );

  app.openAPIRegistry.registerComponent("securitySchemes", "bearer", {
    type: "http",
    scheme: "bearer",
    description: "An API token (`hearth token create`, `POST /api/v1/tokens`, or `<dataDir>/admin.token`).",
  });
  app.openAPIRegistry.registerComponent("securitySchemes", "session", {
    type: "apiKey",
    in: "cookie",
    name: SESSION_COOKIE,
    description:
      "The web page's session (`POST /api/v1/session`); same scopes as its token. A request with it that " +
      "changes something also needs the header `X-Hearth-CSRF: 1` and, when sent, an `Origin` of this host.",
  });
  systemRoutes(app, deps);
  pluginRoutes(app, deps);
  serviceRoutes(app, deps);
  stateRoutes(app, deps);
  storageRoutes(app, deps);
  eventRoutes(app, deps);
  tokenRoutes(app, deps);
  sessionRoutes(app, deps, sessions);
  webRoutes(app);

  openApiRoute(app, endpoints, version.version);

  app.all(`${API_PREFIX}/*`, async (c) => {
    const res = await dispatch(c, {
      endpoints,
      auth,
      services: kernel.services,
      caller: API_CALLER,
    });
    if (res !== undefined) return res;
    const { methods, route } = methodsAt(c.req.path);
    if (methods.length > 0) {
      // Only a caller with a valid token (any scope) learns that the path exists: 401 before 405.
      await auth.require("read")(c, async () => {});
      c.set("route", route ?? UNMATCHED_ROUTE);
      c.header("Allow", methods.join(", "));
      throw methodNotAllowed(c.req.method, methods);
    }
    c.set("route", UNMATCHED_ROUTE);
    throw routeNotFound(c.req.method, c.req.path);
  });
  return app;
}

/** `GET /openapi.json`: the built-in routes' document (made once) plus the owner endpoints of now. */
function openApiRoute(app: AdminApp, endpoints: OwnerEndpoints, version: string): void {
  let base: ReturnType<AdminApp["getOpenAPI31Document"]> | undefined;
  // Serialised once per set of owner endpoints: the document is large and asked for often by tools.
  let cached: { from: unknown; text: string } | undefined;
  app.openAPIRegistry.registerPath(
    open({
      method: "get",
      path: "/openapi.json",
      operationId: "getOpenApiDocument",
      tags: ["runtime"],
      summary: "This document (OpenAPI 3.1)",
      description:
        "The built-in routes and the endpoints owners (modules, plugins) have registered right now.",
      responses: {
        200: {
          description: "The OpenAPI document",
          content: { "application/json": { schema: { type: "object" } } },
        },
      },
    }),
  );
  app.get("/openapi.json", (c) => {
    const served = endpoints.list();
    if (cached?.from !== served) {
      base ??= app.getOpenAPI31Document(documentConfig(version));
      const owners = ownerPaths(served);
      const doc = {
        ...base,
        tags: [...(base.tags ?? []), ...owners.tags],
        paths: { ...base.paths, ...owners.paths },
      };
      cached = { from: served, text: JSON.stringify(doc) };
    }
    return c.body(cached.text, 200, { "Content-Type": "application/json" });
  });
}
