import type { Database } from "@regwatch/db/open-database";
import { listSourceRows } from "@regwatch/db/queries/sources";
import { json, type Route } from "../router.ts";

export interface HealthDeps {
  database: Database;
  /** Registered source ids, so sources that never ran still show. */
  sourceIds: readonly string[];
  startedAt: Date;
  /**
   * The rest of the process, each with whether it works and a word on it:
   * the job runner (Redis, when there is one) and the scheduler.
   */
  components?: () => Promise<Record<string, { ok: boolean; detail: string }>>;
}

const COMPONENT_WAIT_MS = 1000;

async function componentsOf(deps: HealthDeps) {
  if (!deps.components) return {};
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<Record<string, { ok: boolean; detail: string }>>((resolve) => {
    timer = setTimeout(
      () => resolve({ runner: { ok: false, detail: "no answer within 1 s" } }),
      COMPONENT_WAIT_MS,
    );
  });
  try {
    return await Promise.race([deps.components(), late]);
  } catch (err) {
    return { runner: { ok: false, detail: (err as Error).message } };
  } finally {
    clearTimeout(timer);
  }
}

// How long /health waits for the database. An embedded database answers
// nothing while a large document is being stored (one transaction, which can
// take seconds); a health check must still answer, from what it last read.
const DATABASE_WAIT_MS = 1000;

type SourceRows = Awaited<ReturnType<typeof listSourceRows>>;

/**
 * `GET /health`: the service and every source's health. While the database is
 * busy for longer than DATABASE_WAIT_MS, the sources are those of the last
 * read (`databaseBusy: true`, `sourcesAsOf`); 503 when the database fails.
 */
export function healthRoute(deps: HealthDeps): Route {
  let last: { rows: SourceRows; at: Date } | null = null;
  let reading: Promise<SourceRows> | null = null;
  const read = () => {
    // One read at a time: a burst of checks against a busy database does not queue a query each.
    reading ??= listSourceRows(deps.database.db)
      .then((rows) => {
        last = { rows, at: new Date() };
        return rows;
      })
      .finally(() => {
        reading = null;
      });
    return reading;
  };
  return {
    path: "/health",
    methods: {
      async GET() {
        let rows: SourceRows | null;
        try {
          const pending = read();
          let timer: NodeJS.Timeout | undefined;
          rows = await Promise.race([
            pending,
            new Promise<null>((resolve) => {
              timer = setTimeout(() => resolve(null), DATABASE_WAIT_MS);
            }),
          ]).finally(() => clearTimeout(timer));
          // A read that outlives this request still refreshes the cache; its failure is the next request's.
          if (rows === null) pending.catch(() => {});
        } catch (err) {
          return json(503, { status: "error", error: (err as Error).message });
        }
        const components = await componentsOf(deps);
        const degraded = Object.values(components).some((c) => !c.ok);
        const busy = rows === null;
        const current: { rows: SourceRows; at: Date } | null = busy ? last : { rows: rows!, at: new Date() };
        const byId = new Map((current?.rows ?? []).map((r) => [r.id, r]));
        return json(200, {
          // Degraded, not down: the web node still serves what it has while Redis or the scheduler is away.
          status: degraded ? "degraded" : "ok",
          database: deps.database.kind,
          ...(deps.components ? { components } : {}),
          startedAt: deps.startedAt.toISOString(),
          ...(busy ? { databaseBusy: true, sourcesAsOf: current?.at.toISOString() ?? null } : {}),
          sources: deps.sourceIds.map((id) => {
            const r = byId.get(id);
            return {
              id,
              health: r?.health ?? "unknown",
              reason: r?.healthReason ?? null,
              lastRunAt: r?.lastRunAt?.toISOString() ?? null,
              lastSuccessAt: r?.lastSuccessAt?.toISOString() ?? null,
            };
          }),
        });
      },
    },
  };
}
