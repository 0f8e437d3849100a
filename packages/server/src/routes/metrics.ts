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
      async GET(c) {
        let text: string;
        try {
          text = await deps.metrics.text();
        } catch (err) {
          deps.log?.error({ err, method: c.req.method, url: c.req.url }, "metrics collection failed");
          const message = err instanceof Error ? err.message : String(err);
          const reason = `metrics collection failed: ${message.split(/\r?\n/, 1)[0]}\n`;
          return new Response(reason, {
            status: 500,
            headers: {
              "content-type": "text/plain; charset=utf-8",
              "content-length": String(Buffer.byteLength(reason)),
              "cache-control": "no-store",
            },
          });
        }
        return new Response(text, {
          status: 200,
          headers: {
            "content-type": deps.metrics.contentType,
            "content-length": String(Buffer.byteLength(text)),
            "cache-control": "no-store",
          },
        });
      },
    },
  };
}
