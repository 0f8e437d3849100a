import type { IncomingMessage, ServerResponse } from "node:http";
import type { Database } from "@regwatch/db/open-database";
import { listSourceRows } from "@regwatch/db/queries/sources";

export interface AppDeps {
  database: Database;
  /** Registered source ids, so sources that never ran still show. */
  sourceIds: readonly string[];
  startedAt: Date;
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

function json(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" });
  res.end(JSON.stringify(body));
}

/**
 * The HTTP surface, built from its dependencies and separate from `listen`.
 * For now only health: the dashboard, API and feeds arrive with their issues.
 */
export function createApp(deps: AppDeps): Handler {
  return (req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    if (req.method !== "GET") return json(res, 405, { error: "method not allowed" });
    if (url.pathname === "/health") {
      listSourceRows(deps.database.db)
        .then((rows) => {
          const byId = new Map(rows.map((r) => [r.id, r]));
          const sources = deps.sourceIds.map((id) => {
            const r = byId.get(id);
            return {
              id,
              health: r?.health ?? "unknown",
              reason: r?.healthReason ?? null,
              lastRunAt: r?.lastRunAt?.toISOString() ?? null,
              lastSuccessAt: r?.lastSuccessAt?.toISOString() ?? null,
            };
          });
          json(res, 200, {
            status: "ok",
            database: deps.database.kind,
            startedAt: deps.startedAt.toISOString(),
            sources,
          });
        })
        .catch((err: Error) => json(res, 503, { status: "error", error: err.message }));
      return;
    }
    json(res, 404, { error: "not found" });
  };
}
