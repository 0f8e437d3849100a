// The sources pages: every source's health in one table (/sources), and one
// source's facts, health transitions, snapshots and quarantined documents
// (/sources/:id), with the snapshots as JSON too. Readable by a viewer, or by
// anyone on a public instance.

import {
  acceptedSnapshotChoices,
  type SnapshotListing,
  sourceSnapshots,
} from "@regwatch/db/queries/source-pages";
import { getSource, healthEvents, listSourceRows, type SourceRow } from "@regwatch/db/queries/sources";
import { apiGate, pageGate } from "../access.ts";
import type { DashboardDeps } from "../dashboard.ts";
import { type Fragment, type Html, html } from "../html.ts";
import { json, type Route, type RouteContext, type RouteHandler } from "../router.ts";
import { when } from "../views/change-parts.ts";
import { renderPage, statusPage } from "../views/layout.ts";
import type { SourceInfo } from "./sources.ts";

// A page of snapshots: an eCFR source takes one a business day, so fifty is about ten weeks.
const SNAPSHOT_PAGE = 50;
// The API may ask for more at once, not unboundedly many.
const MAX_SNAPSHOT_PAGE = 200;
// Quarantines are rare (a broken page, a half-parsed list); the fifty newest say what is going on.
const QUARANTINE_ROWS = 50;
const TRANSITION_ROWS = 20;
// Accepted snapshots offered in the compare form's selects; older ones can still be compared by URL.
export const COMPARE_CHOICES = 200;
// The error column of the overview shows this much; the rest is in the cell's title.
const ERROR_PREVIEW = 120;

/** A query parameter that is not what it must be: the page or the API says which one. */
export class ParameterError extends Error {
  constructor(
    readonly parameter: string,
    message: string,
  ) {
    super(`${parameter}: ${message}`);
  }
}

/** Not found, in words for a 404 page (a snapshot of another source, say). */
export class NotFoundError extends Error {}

/**
 * A page about one registered source (`/sources/:id…`): read access, a 404
 * page for an unknown id or what `render` did not find, a 400 page naming a
 * parameter `render` could not read.
 */
export function sourcePage(
  deps: DashboardDeps,
  render: (c: RouteContext, source: KnownSource) => Promise<Response>,
): RouteHandler {
  return async (c) => {
    const refused = pageGate(c, "read");
    if (refused) return refused;
    const id = c.req.param("id") ?? "";
    const source = await findKnownSource(deps, id);
    if (!source) return statusPage(c, 404, "No such source", `No source is registered as “${id}”.`);
    try {
      return await render(c, source);
    } catch (err) {
      if (err instanceof ParameterError) return statusPage(c, 400, "Bad request", err.message);
      if (err instanceof NotFoundError) return statusPage(c, 404, "Not found", err.message);
      throw err;
    }
  };
}

/** A snapshot id (or other row id) from a query parameter; null when absent. */
export function idParameter(query: URLSearchParams, name: string): number | null {
  const value = query.get(name);
  if (value === null) return null;
  // Serial ids are positive 32-bit integers: anything else is not one, and is refused before the database sees it.
  if (!/^[1-9][0-9]{0,9}$/.test(value) || Number(value) > 2_147_483_647)
    throw new ParameterError(name, "expected a snapshot id (a positive whole number)");
  return Number(value);
}

/** A source this instance knows: registered, or with a row from an earlier registration. */
export interface KnownSource {
  id: string;
  info: SourceInfo | null;
  row: SourceRow | null;
}

export async function findKnownSource(deps: DashboardDeps, id: string): Promise<KnownSource | null> {
  const info = deps.sources.find((s) => s.id === id) ?? null;
  const row = (await getSource(deps.database.db, id)) ?? null;
  return info || row ? { id, info, row } : null;
}

export function sourcePath(id: string): string {
  return `/sources/${encodeURIComponent(id)}`;
}

export function artifactPath(sha256: string): string {
  return `/artifacts?sha256=${encodeURIComponent(sha256)}`;
}

export function comparePath(sourceId: string, from: number, to: number): string {
  return `${sourcePath(sourceId)}/compare?from=${from}&to=${to}`;
}

/** The first characters of a hash, the whole of it on hover. */
export function shortHash(sha256: string): Html {
  return html`<code title="${sha256}">${sha256.slice(0, 12)}</code>`;
}

/** The archived bytes behind a hash, as a download. */
export function artifactLink(sha256: string): Html {
  return html`${shortHash(sha256)} <a href="${artifactPath(sha256)}" download>download</a>`;
}

// The stylesheet's health classes; a failing source is red whatever the failure.
const HEALTH_CLASS: Record<string, string> = {
  healthy: "status-healthy",
  stale: "status-stale",
  quarantined: "status-quarantined",
  unreachable: "status-failing",
  broken: "status-failing",
};

function neverRan(row: SourceRow | null): boolean {
  return !row?.lastRunAt;
}

/** First characters of a long text, the whole of it on hover. */
function preview(text: string, length = ERROR_PREVIEW): Html {
  return text.length > length
    ? html`<span title="${text}">${text.slice(0, length)}…</span>`
    : html`<span>${text}</span>`;
}

/**
 * The health and why. In the overview the reason is cut short, and left out
 * when it only repeats the last error (a failing source's reason is its
 * error), which has a column of its own.
 */
function healthCell(row: SourceRow | null, brief = false): Html {
  if (neverRan(row)) return html`<span class="muted">not run yet</span>`;
  const { health, healthReason } = row!;
  const reason =
    !healthReason || (brief && healthReason === row!.lastError)
      ? ""
      : html`<br><span class="muted">${brief ? preview(healthReason) : healthReason}</span>`;
  return html`<strong class="${HEALTH_CLASS[health] ?? "muted"}">${health}</strong>${reason}`;
}

function lastError(row: SourceRow | null): Html {
  if (!row?.lastErrorKind) return html`<span class="muted">—</span>`;
  // An error the source has since got past stays listed (it is the last one), said to be over.
  const over = !!row.lastErrorAt && !!row.lastSuccessAt && row.lastErrorAt < row.lastSuccessAt;
  return html`<span class="tag">${row.lastErrorKind}</span> ${preview(row.lastError ?? "")}<br>${when(row.lastErrorAt)}${
    over ? html` <span class="muted">· recovered since</span>` : ""
  }`;
}

function overview(c: RouteContext, deps: DashboardDeps, rows: Map<string, SourceRow>): Response {
  const body = deps.sources.map((info) => {
    const row = rows.get(info.id) ?? null;
    return html`<tr id="source-${info.id}">
<td><a class="key" href="${sourcePath(info.id)}">${info.id}</a>${(row?.title ?? info.title) ? html`<br>${row?.title ?? info.title}` : ""}</td>
<td>${row?.jurisdiction ?? info.jurisdiction ?? "—"}</td>
<td>${healthCell(row, true)}</td>
<td class="date">${neverRan(row) ? html`<span class="muted">not run yet</span>` : when(row!.lastSuccessAt)}</td>
<td class="date">${when(row?.lastChangeAt)}</td>
<td>${info.cadence}</td>
<td class="num">${row?.consecutiveFailures ?? 0}</td>
<td>${lastError(row)}</td>
</tr>`;
  });
  return renderPage(c, {
    title: "Sources",
    section: "sources",
    lede: `${deps.sources.length} registered sources: their health, when each last succeeded and last changed, and what last went wrong.`,
    main: html`<table class="sources">
<thead><tr><th>Source</th><th>Jurisdiction</th><th>Status</th><th>Last success</th><th>Last change</th><th>Cadence</th><th>Failures</th><th>Last error</th></tr></thead>
<tbody>${body}</tbody></table>`,
  });
}

function facts(source: KnownSource): Html {
  const { row, info } = source;
  const item = (term: string, value: Fragment) => html`<dt>${term}</dt><dd>${value}</dd>`;
  return html`<dl class="facts">
${item("Status", healthCell(row))}
${item("Jurisdiction", row?.jurisdiction ?? info?.jurisdiction ?? "—")}
${item("Kind", row?.kind ?? "—")}
${item("Cadence", info ? html`${info.cadence} <code>${info.schedule}</code>` : html`<span class="muted">not registered now</span>`)}
${item("Last attempt", when(row?.lastRunAt))}
${item("Last success", when(row?.lastSuccessAt))}
${item("Last change", when(row?.lastChangeAt))}
${item("Consecutive failures", String(row?.consecutiveFailures ?? 0))}
${item(
  "Last error",
  row?.lastErrorKind
    ? html`<span class="tag">${row.lastErrorKind}</span> ${when(row.lastErrorAt)}<div class="text">${row.lastError ?? ""}</div>`
    : html`<span class="muted">none</span>`,
)}
</dl>`;
}

/** What a snapshot holds, in the words of its source's kind. */
function itemsNoun(kind: string | undefined): string {
  return kind === "documents" ? "Documents" : kind === "page" ? "Pages" : "Entries";
}

function snapshotRows(sourceId: string, snapshots: readonly SnapshotListing[]): Html {
  return html`${snapshots.map(
    (s) => html`<tr id="snapshot-${s.id}">
<td class="num">${s.id}</td>
<td class="date">${when(s.takenAt)}</td>
<td><span class="kind">${s.status}</span> <span class="muted">${s.origin}</span>${s.reason ? html`<br><span class="muted">${s.reason}</span>` : ""}</td>
<td class="date">${s.versionDate ?? "—"}</td>
<td class="num">${s.itemCount}</td>
<td class="num">${s.changeCount}</td>
<td><code>${s.parserVersion}</code></td>
<td>${artifactLink(s.artifactSha256)}</td>
<td>${s.previousAcceptedId ? html`<a href="${comparePath(sourceId, s.previousAcceptedId, s.id)}">vs #${s.previousAcceptedId}</a>` : ""}</td>
</tr>`,
  )}`;
}

/** Two selects of accepted snapshots and a button: the comparison of any two (a GET form). */
export function compareForm(
  sourceId: string,
  choices: readonly { id: number; takenAt: Date; versionDate: string | null }[],
  selected: { from: number | null; to: number | null },
): Html {
  const option = (s: (typeof choices)[number], chosen: number | null) =>
    html`<option value="${s.id}"${s.id === chosen ? html` selected` : ""}>#${s.id} · ${s.takenAt.toISOString().slice(0, 10)}${s.versionDate ? ` · version ${s.versionDate}` : ""}</option>`;
  const select = (name: "from" | "to", label: string) =>
    html`<label>${label}<select name="${name}">${choices.map((s) => option(s, selected[name]))}</select></label>`;
  return html`<form class="filters" method="get" action="${sourcePath(sourceId)}/compare">${select(
    "from",
    "From snapshot",
  )}${select("to", "To snapshot")}<button type="submit">Compare</button></form>`;
}

async function sourceDetail(c: RouteContext, deps: DashboardDeps, source: KnownSource): Promise<Response> {
  const query = new URL(c.req.url).searchParams;
  const before = idParameter(query, "before");
  const db = deps.database.db;
  const page = await sourceSnapshots(db, source.id, {
    before: before ?? undefined,
    limit: SNAPSHOT_PAGE + 1,
  });
  const snapshots = page.slice(0, SNAPSHOT_PAGE);
  const older = page.length > SNAPSHOT_PAGE ? snapshots[snapshots.length - 1]!.id : null;
  const quarantined = await sourceSnapshots(db, source.id, { limit: QUARANTINE_ROWS, status: "quarantined" });
  const transitions = source.row ? await healthEvents(db, source.id, TRANSITION_ROWS) : [];
  const choices = await acceptedSnapshotChoices(db, source.id, COMPARE_CHOICES);
  const path = sourcePath(source.id);

  const transitionTable = transitions.length
    ? html`<table class="transitions"><thead><tr><th>At</th><th>From</th><th>To</th><th>Reason</th></tr></thead><tbody>${transitions.map(
        (t) =>
          html`<tr><td class="date">${when(t.at)}</td><td>${t.fromHealth}</td><td class="${HEALTH_CLASS[t.toHealth] ?? ""}">${t.toHealth}</td><td>${t.reason ?? ""}</td></tr>`,
      )}</tbody></table>`
    : html`<p class="muted">No health transitions yet.</p>`;

  const snapshotTable = snapshots.length
    ? html`<table class="snapshots"><thead><tr><th>#</th><th>Taken at</th><th>Kind</th><th>Version</th><th>${itemsNoun(
        source.row?.kind,
      )}</th><th>Records</th><th>Parser</th><th>Document</th><th>Compare</th></tr></thead>
<tbody>${snapshotRows(source.id, snapshots)}</tbody></table>
<p class="pager">${before ? html`<a href="${path}">Newest snapshots</a> ` : ""}${
        older ? html`<a rel="next" href="${path}?before=${older}">Older snapshots →</a>` : ""
      }</p>`
    : html`<p class="muted">${before ? "No older snapshots." : "No snapshots yet."}</p>`;

  const quarantineTable = quarantined.length
    ? html`<table class="quarantine"><thead><tr><th>#</th><th>When</th><th>Why</th><th>${itemsNoun(
        source.row?.kind,
      )} parsed</th><th>Document</th></tr></thead><tbody>${quarantined.map(
        (s) =>
          html`<tr><td class="num">${s.id}</td><td class="date">${when(s.takenAt)}</td><td>${s.reason ?? ""}</td><td class="num">${s.itemCount}</td><td>${artifactLink(s.artifactSha256)}</td></tr>`,
      )}</tbody></table>${
        quarantined.length === QUARANTINE_ROWS
          ? html`<p class="muted">The ${QUARANTINE_ROWS} newest quarantined documents.</p>`
          : ""
      }`
    : html`<p class="muted">No quarantined documents.</p>`;

  return renderPage(c, {
    title: source.row?.title ?? source.id,
    section: "sources",
    lede: html`<a href="/sources">Sources</a> · <code>${source.id}</code>`,
    main: html`${facts(source)}
<h2>Health transitions</h2>${transitionTable}
<h2 id="snapshots">Snapshots</h2>${
      choices.length > 1 ? compareForm(source.id, choices, { from: choices[1]!.id, to: choices[0]!.id }) : ""
    }${snapshotTable}
<h2 id="quarantine">Quarantined documents</h2>${quarantineTable}`,
  });
}

/**
 * One snapshot as the API gives it (`GET /api/sources/:id/snapshots`):
 * `id`, `takenAt` and `fetchedAt` (ISO instants), `status` (accepted |
 * quarantined | stale), `reason` (why not accepted; null when accepted),
 * `origin` (baseline | regulatory | backfill | parser), `itemCount` (entries
 * or documents parsed), `versionDate` (the document's own date or null),
 * `artifactSha256` and `artifactUrl` (the raw bytes' download path),
 * `parserVersion`, `url` (where it was fetched, or null), `changeCount` (the
 * change records it produced), `previousSnapshotId` (the accepted snapshot
 * before it; null for the first and for snapshots not accepted) and
 * `compareUrl` (the comparison with that one, a path, or null).
 */
function snapshotJson(sourceId: string, s: SnapshotListing) {
  return {
    id: s.id,
    takenAt: s.takenAt.toISOString(),
    fetchedAt: s.fetchedAt.toISOString(),
    status: s.status,
    reason: s.reason,
    origin: s.origin,
    itemCount: s.itemCount,
    versionDate: s.versionDate,
    artifactSha256: s.artifactSha256,
    artifactUrl: artifactPath(s.artifactSha256),
    parserVersion: s.parserVersion,
    url: s.url,
    changeCount: s.changeCount,
    previousSnapshotId: s.previousAcceptedId,
    compareUrl: s.previousAcceptedId ? comparePath(sourceId, s.previousAcceptedId, s.id) : null,
  };
}

const STATUSES = ["accepted", "quarantined", "stale"] as const;

/**
 * `GET /sources`, `GET /sources/:id` (`?before=<snapshot id>` pages the
 * snapshots back), and `GET /api/sources/:id/snapshots` (`before`, `limit`
 * 1–200 (default 50), `status`): `{ source, snapshots: [snapshot…],
 * nextBefore }`, newest first, `nextBefore` the `before` of the next page or
 * null at the oldest.
 */
export function sourcePageRoutes(deps: DashboardDeps): Route[] {
  return [
    {
      path: "/sources",
      methods: {
        async GET(c) {
          const refused = pageGate(c, "read");
          if (refused) return refused;
          const rows = new Map((await listSourceRows(deps.database.db)).map((r) => [r.id, r]));
          return overview(c, deps, rows);
        },
      },
    },
    {
      path: "/sources/:id",
      methods: {
        GET: sourcePage(deps, (c, source) => sourceDetail(c, deps, source)),
      },
    },
    {
      path: "/api/sources/:id/snapshots",
      methods: {
        async GET(c) {
          const refused = apiGate(c, "read");
          if (refused) return refused;
          const id = c.req.param("id") ?? "";
          const source = await findKnownSource(deps, id);
          if (!source) return json(404, { error: `no source ${id}` });
          const query = new URL(c.req.url).searchParams;
          let before: number | null;
          try {
            before = idParameter(query, "before");
          } catch (err) {
            if (err instanceof ParameterError)
              return json(400, { error: err.message, parameter: err.parameter });
            throw err;
          }
          const limitText = query.get("limit");
          const limit = limitText === null ? SNAPSHOT_PAGE : Number(limitText);
          if (!/^[0-9]{1,3}$/.test(limitText ?? "50") || limit < 1 || limit > MAX_SNAPSHOT_PAGE)
            return json(400, { error: `limit: expected 1 to ${MAX_SNAPSHOT_PAGE}`, parameter: "limit" });
          const status = query.get("status");
          if (status !== null && !(STATUSES as readonly string[]).includes(status))
            return json(400, {
              error: `status: expected one of ${STATUSES.join(", ")}`,
              parameter: "status",
            });
          const page = await sourceSnapshots(deps.database.db, id, {
            before: before ?? undefined,
            limit: limit + 1,
            status: (status as (typeof STATUSES)[number] | null) ?? undefined,
          });
          const snapshots = page.slice(0, limit);
          return json(200, {
            source: id,
            snapshots: snapshots.map((s) => snapshotJson(id, s)),
            nextBefore: page.length > limit ? snapshots[snapshots.length - 1]!.id : null,
          });
        },
      },
    },
  ];
}
