// The alignment matrix (`/matrix`, and `/api/matrix` as JSON): which
// jurisdictions control each technology, since when, and by which entry and
// instrument: the "Wassenaar minus one" view. Read from the tracked lists
// by `alignmentMatrix`; nothing here is typed in by hand.

import {
  type AlignmentMatrix,
  alignmentMatrix,
  createMatrixCache,
  type MatrixCell,
  type MatrixEntry,
  type MatrixInstrument,
  type MatrixJurisdiction,
} from "@regwatch/db/queries/matrix";
import { apiGate, pageGate } from "../access.ts";
import type { DashboardDeps } from "../dashboard.ts";
import { type Fragment, type Html, html, join } from "../html.ts";
import { json, type Route } from "../router.ts";
import { renderPage } from "../views/layout.ts";

// Keys shown in a cell before "+N more": enough to recognise the items, few enough to keep the grid readable.
const KEYS_SHOWN = 3;

const STATUS_TEXT: Record<MatrixCell["status"], string> = {
  "in-force": "In force",
  scheduled: "Scheduled",
  none: "No control found",
  "not-tracked": "Not tracked",
};

/** Only web links become links: a stored URL is source data. */
const webUrl = (url: string | null): string | null => (url && /^https?:\/\//i.test(url) ? url : null);

const entryHref = (e: Pick<MatrixEntry, "source" | "key">) =>
  `/sources/${encodeURIComponent(e.source)}/entries/${encodeURIComponent(e.key)}`;

function instrumentLink(instrument: MatrixInstrument): Html {
  const url = webUrl(instrument.url);
  return url ? html`<a href="${url}">${instrument.citation}</a>` : html`${instrument.citation}`;
}

/** "since 2024-09-06 (effective, 89 FR 72926)", "tracked since 2026-01-02 (first seen)". */
function sinceLine(cell: MatrixCell): Html {
  const date = html`<time datetime="${cell.since ?? ""}">${cell.since ?? ""}</time>`;
  const prefix =
    cell.status === "scheduled" ? "from" : cell.sinceBasis === "first-seen" ? "tracked since" : "since";
  const why =
    cell.sinceBasis === "effective"
      ? html`effective${cell.instrument ? html`, ${instrumentLink(cell.instrument)}` : ""}`
      : cell.sinceBasis === "in-force"
        ? html`in-force date in the list`
        : html`first seen`;
  return html`<div class="since">${prefix} ${date} <span class="muted">(${why})</span></div>`;
}

function entryLinks(entries: readonly MatrixEntry[]): Html {
  const shown = entries
    .slice(0, KEYS_SHOWN)
    .map(
      (e) =>
        html`<a class="key" href="${entryHref(e)}" title="${e.taggedBy === "text" ? `${e.summary} (tagged by its words)` : e.summary}">${e.key}</a>${e.inForce ? "" : html` <span class="muted">(from ${e.since})</span>`}`,
    );
  const more = entries.length - KEYS_SHOWN;
  return html`<div class="entries">${join(shown, ", ")}${more > 0 ? html` <span class="muted">+${more} more</span>` : ""}</div>`;
}

function cellBody(cell: MatrixCell): Html {
  // The column's header says why; a dash keeps the width for the columns that say something.
  if (cell.status === "not-tracked")
    return html`<span class="muted" title="${STATUS_TEXT[cell.status]}">—</span>`;
  if (cell.status === "none") return html`<span class="muted">${STATUS_TEXT[cell.status]}</span>`;
  const links = [
    ...(cell.changeId
      ? [html`<a href="/changes/${encodeURIComponent(cell.changeId)}">change record</a>`]
      : []),
    html`<a href="/changes?technology=${encodeURIComponent(cell.technology)}&amp;jurisdiction=${cell.jurisdiction}">all changes</a>`,
  ];
  return html`<strong>${STATUS_TEXT[cell.status]}</strong>${sinceLine(cell)}${entryLinks(cell.entries)}<div>${join(
    links,
    " · ",
  )}</div>`;
}

function cellClass(cell: MatrixCell): string {
  return cell.status === "in-force" ? "yes" : "no";
}

/** Under a column's code: the versions it is read from, or why it says nothing. */
function columnNote(m: AlignmentMatrix, j: MatrixJurisdiction): Html {
  if (!j.tracked) {
    // On two lines: eleven such columns side by side must still fit a screen.
    return html`<div class="muted">${j.awaiting.length ? html`no list<br>version yet` : html`not<br>tracked`}</div>`;
  }
  const dates = m.sources
    .filter((s) => s.jurisdiction === j.code)
    .map((s) => s.versionDate ?? s.takenAt.slice(0, 10));
  return html`<div class="muted">list of ${dates.join(", ")}</div>`;
}

function matrixTable(m: AlignmentMatrix): Html {
  const cellsOf = new Map<string, MatrixCell>(m.cells.map((c) => [`${c.technology} ${c.jurisdiction}`, c]));
  const head = m.jurisdictions.map(
    (j) =>
      html`<th scope="col"><a href="/changes?jurisdiction=${j.code}"><abbr title="${j.name}">${j.code}</abbr></a>${columnNote(m, j)}</th>`,
  );
  const rows = m.technologies.map(
    (t) =>
      html`<tr><th scope="row"><a href="/changes?technology=${encodeURIComponent(t.id)}" title="${t.id}">${t.label}</a></th>${m.jurisdictions.map(
        (j) => {
          const cell = cellsOf.get(`${t.id} ${j.code}`)!;
          return html`<td class="${cellClass(cell)}">${cellBody(cell)}</td>`;
        },
      )}</tr>`,
  );
  return html`<table class="matrix"><caption class="muted">Technologies (rows) × jurisdictions (columns), as of ${m.date}</caption><thead><tr><th scope="col">Technology</th>${head}</tr></thead><tbody>${rows}</tbody></table>`;
}

function sourcesRead(m: AlignmentMatrix): Html {
  if (!m.sources.length) {
    return html`<p class="notice">No control list has an accepted version yet: every jurisdiction is "not tracked".</p>`;
  }
  return html`<h2>Lists read</h2><table class="sources"><thead><tr><th>Jurisdiction</th><th>Source</th><th>List</th><th>Version</th><th>Taken</th></tr></thead><tbody>${m.sources.map(
    (s) =>
      html`<tr><td>${s.jurisdiction}</td><td><a href="/sources/${encodeURIComponent(s.id)}">${s.id}</a></td><td>${s.title}</td><td class="date">${s.versionDate ?? "—"}</td><td class="date">${s.takenAt.slice(0, 10)}</td></tr>`,
  )}</tbody></table>`;
}

const LEGEND: Fragment = html`<h2>How to read it</h2><ul class="muted">
<li><strong>In force</strong>: the current version of a tracked list of that jurisdiction holds an entry the taxonomy tags with the technology (by its number or its words, as alerts are tagged). The keys are the top-most such entries; their sub-paragraphs are covered by them.</li>
<li><strong>since … (effective, instrument)</strong>: the effective date of the change record that added the entry or gave it that wording, and the instrument behind it. <strong>(in-force date in the list)</strong>: the entry was there in the first version tracked, and the list dates it. <strong>tracked since … (first seen)</strong>: the first tracked version holding it; the control may be older.</li>
<li><strong>Scheduled</strong>: entries exist but take effect later. <strong>No control found</strong>: the text of the tracked lists holds no such entry; what a list only incorporates by reference (Canada's Group 1 points to the Guide) is not read. <strong>—</strong> in a column marked <strong>not tracked</strong> (or <strong>no list version yet</strong>): no list of that jurisdiction has been read, so nothing can be said; it does not mean there is no control.</li>
</ul>`;

/**
 * `GET /matrix` (a page) and `GET /api/matrix` (JSON), both readable by any
 * signed-in user, or by anyone with `REGWATCH_PUBLIC_READ=1`.
 *
 * `/api/matrix` answers `AlignmentMatrix` (packages/db/src/queries/matrix.ts):
 * `{ date, technologies: [{id, label}], jurisdictions: [{code, name, tracked,
 * sources: string[], awaiting: string[]}], sources: [{id, jurisdiction, title,
 * snapshotId, versionDate, takenAt}], cells: [{technology, jurisdiction,
 * status: "in-force"|"scheduled"|"none"|"not-tracked", since, sinceBasis:
 * "effective"|"in-force"|"first-seen"|null, changeId, instrument: {citation,
 * url}|null, entries: [{source, key, summary, since, sinceBasis, changeId,
 * instrument, inForce, taggedBy: "number"|"text"}]}] }`.
 */
export function matrixRoutes(deps: DashboardDeps): Route[] {
  const cache = createMatrixCache();
  // Read per request: watched pages join the sources while the service runs.
  const read = () =>
    alignmentMatrix(deps.database.db, {
      date: (deps.now?.() ?? new Date()).toISOString().slice(0, 10),
      sourceIds: deps.sources.map((s) => s.id),
      cache,
    });
  return [
    {
      path: "/matrix",
      methods: {
        async GET(c) {
          const refused = pageGate(c, "read");
          if (refused) return refused;
          const m = await read();
          const tracked = m.jurisdictions.filter((j) => j.tracked).map((j) => j.code);
          return renderPage(c, {
            title: "Alignment matrix",
            section: "matrix",
            lede: html`Which jurisdictions control each technology, since when, and by which entry and instrument, read from the current version of each tracked control list. Tracked: ${
              tracked.length ? tracked.join(", ") : "none yet"
            }. <a href="/api/matrix">JSON</a>`,
            main: html`${matrixTable(m)}${sourcesRead(m)}${LEGEND}`,
          });
        },
      },
    },
    {
      path: "/api/matrix",
      methods: {
        async GET(c) {
          const refused = apiGate(c, "read");
          if (refused) return refused;
          return json(200, await read());
        },
      },
    },
  ];
}
