import type { Logger } from "@regwatch/core/http";
import type { Route } from "../router.ts";

export interface MetricsDeps {
  /** The exposition text, read at every request (prom-client's registry, wrapped in `@regwatch/runtime/metrics`). */
  metrics: { text(): Promise<string>; contentType: string };
  /** Where a failed collection is reported. */
  log?: Logger;
}

/**
 * `GET /metrics`: Prometheus text exposition. A failed collection is a 500
 * with its reason on one plain-text line: Prometheus shows a target's error
 * body, where the router's JSON `internal error` would say nothing.
 */
export function metricsRoute(deps: MetricsDeps): Route {
  return {
    path: "/metrics",
    methods: {
      async GET(req, res) {
        let text: string;
        try {
          text = await deps.metrics.text();
        } catch (err) {
          deps.log?.error({ err, method: req.method, url: req.url }, "metrics collection failed");
          const message = err instanceof Error ? err.message : String(err);
          const reason = `metrics collection failed: ${message.split(/\r?\n/, 1)[0]}\n`;
          res.writeHead(500, {
            "content-type": "text/plain; charset=utf-8",
            "content-length": String(Buffer.byteLength(reason)),
            "cache-control": "no-store",
          });
          res.end(reason);
          return;
        }
        res.writeHead(200, {
          "content-type": deps.metrics.contentType,
          "content-length": String(Buffer.byteLength(text)),
          "cache-control": "no-store",
        });
        res.end(text);
      },
    },
  };
}
