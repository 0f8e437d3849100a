import type { Database } from "@regwatch/db/open-database";
import { CursorError, searchChanges } from "@regwatch/db/queries/change-search";
import { listChanges } from "@regwatch/db/queries/changes";
import { apiGate } from "../access.ts";
import { FilterError, MAX_PAGE, parseChangeFilters, parseLimit } from "../change-filters.ts";
import { changesAtom } from "../formats/atom.ts";
import { changesCsv } from "../formats/csv.ts";
import { json, type Route, type RouteContext } from "../router.ts";

/**
 * The JSON API and the CSV need a signed-in user or an API token (401
 * without) unless the instance is public (`REGWATCH_PUBLIC_READ=1`); the Atom
 * feed is public either way.
 */
export interface ChangesDeps {
  database: Database;
  sourceIds: readonly string[];
}

// A feed reader polls; a hundred newest entries is what one needs between polls.
const FEED_ENTRIES = 100;
// One CSV export, newest first: beyond this a view should be narrowed (the API pages).
const CSV_ROWS = 10_000;

/** Links to a change's page on this instance. */
export function changeUrlOf(c: RouteContext): (id: string) => string {
  const base = c.get("site").publicUrl;
  return (id) => `${base}/changes/${encodeURIComponent(id)}`;
}

function filterProblem(err: unknown): Response {
  if (err instanceof FilterError) return json(400, { error: err.message, parameter: err.parameter });
  if (err instanceof CursorError) return json(400, { error: err.message, parameter: "cursor" });
  throw err;
}

/**
 * `/api/changes`, `/api/changes/:id`, `/changes.csv` and `/feeds/changes.atom`:
 * the same filters (`technology`, `jurisdiction`, `country`, `source`, `kind`,
 * `from`, `to`, `date`, `q`) in each, so a view, its export and its feed agree.
 */
export function changesRoutes(deps: ChangesDeps): Route[] {
  const params = (c: RouteContext) => new URL(c.req.url).searchParams;

  return [
    {
      path: "/api/changes",
      methods: {
        async GET(c) {
          const refused = apiGate(c, "read");
          if (refused) return refused;
          try {
            const query = params(c);
            const page = await searchChanges(deps.database.db, {
              ...parseChangeFilters(query, deps),
              limit: parseLimit(query),
              cursor: query.get("cursor"),
            });
            return json(200, {
              changes: page.changes.map((change) => ({
                ...change,
                links: { self: changeUrlOf(c)(change.id) },
              })),
              next: page.next,
            });
          } catch (err) {
            return filterProblem(err);
          }
        },
      },
    },
    {
      path: "/api/changes/:id",
      methods: {
        async GET(c) {
          const refused = apiGate(c, "read");
          if (refused) return refused;
          const id = c.req.param("id") ?? "";
          const [change] = /^[0-9a-f]{16,64}$/.test(id)
            ? await listChanges(deps.database.db, { ids: [id] })
            : [];
          if (!change) return json(404, { error: `no change ${id.slice(0, 64)}` });
          return json(200, { change: { ...change, links: { self: changeUrlOf(c)(change.id) } } });
        },
      },
    },
    {
      path: "/changes.csv",
      methods: {
        async GET(c) {
          const refused = apiGate(c, "read");
          if (refused) return refused;
          try {
            const query = params(c);
            const filters = parseChangeFilters(query, deps);
            let page = await searchChanges(deps.database.db, { ...filters, limit: MAX_PAGE });
            const rows = [...page.changes];
            while (page.next && rows.length < CSV_ROWS) {
              page = await searchChanges(deps.database.db, {
                ...filters,
                limit: MAX_PAGE,
                cursor: page.next,
              });
              rows.push(...page.changes);
            }
            const body = changesCsv(rows.slice(0, CSV_ROWS), changeUrlOf(c), {
              bom: query.get("bom") === "1",
            });
            return new Response(body, {
              status: 200,
              headers: {
                "content-type": "text/csv; charset=utf-8; header=present",
                "content-disposition": 'attachment; filename="regwatch-changes.csv"',
                "cache-control": "no-store",
                "x-content-type-options": "nosniff",
              },
            });
          } catch (err) {
            return filterProblem(err);
          }
        },
      },
    },
    {
      path: "/feeds/changes.atom",
      methods: {
        async GET(c) {
          try {
            const query = params(c);
            const page = await searchChanges(deps.database.db, {
              ...parseChangeFilters(query, deps),
              // A feed tells of what subscribers are told of: not baselines, not backfills.
              alertOnly: true,
              limit: FEED_ENTRIES,
            });
            const search = query.toString();
            const body = changesAtom({
              feedUrl: `${c.get("site").publicUrl}/feeds/changes.atom${search ? `?${search}` : ""}`,
              siteUrl: `${c.get("site").publicUrl}/changes${search ? `?${search}` : ""}`,
              title: search
                ? `regwatch: changes (${decodeURIComponent(search).slice(0, 100)})`
                : "regwatch: changes",
              updated: page.changes[0] ? new Date(page.changes[0].detectedAt) : new Date(0),
              changes: page.changes,
              changeUrl: changeUrlOf(c),
            });
            return new Response(body, {
              status: 200,
              headers: {
                "content-type": "application/atom+xml; charset=utf-8",
                "cache-control": "public, max-age=300",
                "x-content-type-options": "nosniff",
              },
            });
          } catch (err) {
            return filterProblem(err);
          }
        },
      },
    },
  ];
}
