import type { Database } from "@regwatch/db/open-database";
import { healthEvents, listSourceRows } from "@regwatch/db/queries/sources";
import { apiGate } from "../access.ts";
import { json, type Route } from "../router.ts";

/** What the service knows of each registered source beyond its row: its schedule. */
export interface SourceInfo {
  id: string;
  /** Cron, UTC. */
  schedule: string;
  /** "every 6 h", "twice a day". */
  cadence: string;
  /** From the source's definition: shown before it ever ran. */
  title?: string;
  jurisdiction?: string;
}

export interface SourcesDeps {
  database: Database;
  sources: readonly SourceInfo[];
}

/**
 * `GET /api/sources`: every source's health in full (status and why, last
 * attempt, success and change, consecutive failures, last error, cadence)
 * with its recent health transitions. Sources that never ran are listed too.
 */
export function sourcesRoute(deps: SourcesDeps): Route {
  return {
    path: "/api/sources",
    methods: {
      async GET(c) {
        const refused = apiGate(c, "read");
        if (refused) return refused;
        const rows = new Map((await listSourceRows(deps.database.db)).map((r) => [r.id, r]));
        const sources = [];
        for (const info of deps.sources) {
          const r = rows.get(info.id);
          const events = r ? await healthEvents(deps.database.db, info.id, 10) : [];
          sources.push({
            id: info.id,
            title: r?.title ?? info.title ?? null,
            jurisdiction: r?.jurisdiction ?? info.jurisdiction ?? null,
            status: r?.health ?? "unknown",
            reason: r?.healthReason ?? null,
            schedule: info.schedule,
            cadence: info.cadence,
            lastAttemptAt: r?.lastRunAt?.toISOString() ?? null,
            lastSuccessAt: r?.lastSuccessAt?.toISOString() ?? null,
            lastChangeAt: r?.lastChangeAt?.toISOString() ?? null,
            consecutiveFailures: r?.consecutiveFailures ?? 0,
            lastError: r?.lastErrorKind
              ? { kind: r.lastErrorKind, message: r.lastError, at: r.lastErrorAt?.toISOString() ?? null }
              : null,
            transitions: events.map((e) => ({
              at: e.at.toISOString(),
              from: e.fromHealth,
              to: e.toHealth,
              reason: e.reason,
            })),
          });
        }
        return json(200, { sources });
      },
    },
  };
}
