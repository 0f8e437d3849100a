import { createServer, type Server } from "node:http";
import type { Duplex } from "node:stream";
import { getRequestListener } from "@hono/node-server";
import type { AlertDeps } from "@regwatch/alerts/subscribe";
import type { Logger } from "@regwatch/core/http";
import type { Hono } from "hono";
import { sessionMiddleware } from "./auth.ts";
import type { DashboardDeps } from "./dashboard.ts";
import { type AppEnv, createRouter, json, requestUrl, type Site } from "./router.ts";
import { adminRoutes } from "./routes/admin.ts";
import { type ArtifactDeps, artifactsRoute } from "./routes/artifacts.ts";
import { assetsRoute } from "./routes/assets.ts";
import { changePageRoutes } from "./routes/change-pages.ts";
import { type ChangesDeps, changesRoutes } from "./routes/changes.ts";
import { type HealthDeps, healthRoute } from "./routes/health.ts";
import { historyRoutes } from "./routes/history.ts";
import { loginRoutes } from "./routes/login.ts";
import { matrixRoutes } from "./routes/matrix.ts";
import { type MetricsDeps, metricsRoute } from "./routes/metrics.ts";
import { openapiRoutes } from "./routes/openapi.ts";
import { reviewRoutes } from "./routes/review.ts";
import { sourcePageRoutes } from "./routes/source-pages.ts";
import { type SourceInfo, sourcesRoute } from "./routes/sources.ts";
import { subscribePageRoutes } from "./routes/subscribe-page.ts";
import { type SubscriptionDeps, subscriptionRoutes } from "./routes/subscriptions.ts";
import { securityHeaders } from "./security-headers.ts";

export interface AppDeps extends HealthDeps {
  /** Where failed requests are reported. */
  log?: Logger;
  /** Prometheus text for `/metrics`; no route without it. */
  metrics?: MetricsDeps["metrics"];
  /** The registered sources with their schedules, for `/api/sources`; no route without them. */
  sources?: readonly SourceInfo[];
  /** Subscribing, confirming, managing and unsubscribing; no routes without them. */
  subscriptions?: SubscriptionDeps;
  /** Raw archived documents by hash; no route without them. */
  artifacts?: ArtifactDeps;
  /** The changes API, CSV and Atom feed; no routes without them. */
  changes?: ChangesDeps;
  /** Sign-in by emailed link and sessions (the mailer and the signing key); no accounts without them. */
  auth?: AlertDeps;
  /** The dashboard's pages (changes, review, matrix, sources, admin) and the rest of the API; none without it. */
  dashboard?: DashboardDeps;
  /** Where links point (`PUBLIC_URL`); default http://localhost:8080. */
  publicUrl?: string;
  /** `REGWATCH_PUBLIC_READ=1`: changes, sources and the matrix readable without signing in. */
  publicRead?: boolean;
}

/**
 * The HTTP surface, built from its dependencies and separate from `listen`
 * (a Hono app: `app.request(...)` answers without a socket): health, metrics,
 * source health, subscriptions, archived documents.
 */
export function createApp(deps: AppDeps): Hono<AppEnv> {
  const site: Site = {
    publicUrl: (deps.publicUrl ?? deps.auth?.publicUrl ?? "http://localhost:8080").replace(/\/+$/, ""),
    publicRead: deps.publicRead ?? false,
    auth: deps.auth ?? null,
  };
  const dashboard = deps.dashboard;
  return createRouter(
    [
      assetsRoute(),
      healthRoute(deps),
      ...(deps.metrics ? [metricsRoute({ metrics: deps.metrics, log: deps.log })] : []),
      ...(deps.sources ? [sourcesRoute({ database: deps.database, sources: deps.sources })] : []),
      ...(deps.subscriptions ? subscriptionRoutes(deps.subscriptions) : []),
      ...(deps.artifacts ? [artifactsRoute(deps.artifacts)] : []),
      ...(deps.changes ? changesRoutes(deps.changes) : []),
      ...(deps.auth ? loginRoutes(deps.auth) : []),
      ...(dashboard
        ? [
            ...changePageRoutes(dashboard),
            ...historyRoutes(dashboard),
            ...sourcePageRoutes(dashboard),
            ...reviewRoutes(dashboard),
            ...matrixRoutes(dashboard),
            ...adminRoutes(dashboard),
            ...openapiRoutes(dashboard),
          ]
        : []),
      ...(deps.subscriptions ? subscribePageRoutes(deps.subscriptions) : []),
    ],
    deps.log,
    [
      securityHeaders({ https: site.publicUrl.startsWith("https:") }),
      async (c, next) => {
        c.set("site", site);
        c.set("user", null);
        c.set("via", null);
        await next();
      },
      ...(deps.auth ? [sessionMiddleware(deps.auth)] : []),
    ],
  );
}

const CLIENT_ERROR_STATUS: Record<string, string> = {
  HPE_HEADER_OVERFLOW: "431 Request Header Fields Too Large",
  ERR_HTTP_REQUEST_TIMEOUT: "408 Request Timeout",
};

/**
 * A node HTTP server for the app, not yet listening. Requests the parser
 * cannot read (a garbage request line, bad headers) never reach the app:
 * they get a bare 400 and the connection is closed.
 */
export function createAppServer(deps: AppDeps): Server {
  const app = createApp(deps);
  const listener = getRequestListener(app.fetch, {
    // Whatever escapes the app's own error boundary (a body that fails mid-stream).
    errorHandler: (err) => {
      deps.log?.error({ err }, "request failed");
      return json(500, { error: "internal error" });
    },
  });
  // Connections with a response in progress: a status line written now would land inside it.
  const answering = new WeakSet<Duplex>();
  const server = createServer((req, res) => {
    answering.add(req.socket);
    res.once("close", () => answering.delete(req.socket));
    // A target the app would read as another origin or nothing (`//x`, `*`, `http://[`) is refused here;
    // an absolute-form one (`http://host/health`, from proxies) is served by its path.
    const url = requestUrl(req.url);
    if (!url) {
      const body = JSON.stringify({ error: "bad request target" });
      res.writeHead(400, {
        "content-type": "application/json; charset=utf-8",
        "content-length": Buffer.byteLength(body),
      });
      res.end(body);
      return;
    }
    req.url = `${url.pathname}${url.search}`;
    void listener(req, res);
  });
  server.on("clientError", (err: NodeJS.ErrnoException, socket: Duplex) => {
    if (err.code === "ECONNRESET" || !socket.writable || answering.has(socket)) {
      socket.destroy();
      return;
    }
    const status = CLIENT_ERROR_STATUS[err.code ?? ""] ?? "400 Bad Request";
    // Closed once the answer is out: the parser cannot find where the next request would start.
    socket.end(`HTTP/1.1 ${status}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`, () =>
      socket.destroy(),
    );
  });
  return server;
}
