// The changes list (`/changes`: filters in the URL, keyset pages, the same
// view as CSV and Atom) and a change's page (`/changes/:id`: the redline,
// the texts, the entry's place, dates, citation, provenance, the instrument's
// other changes and its lifecycle).

import { COUNTRIES } from "@regwatch/core/countries";
import { equivalentsOf } from "@regwatch/core/crosswalk";
import { JURISDICTIONS, type Jurisdiction } from "@regwatch/core/jurisdictions";
import { type ChangeRecord, changeKindSchema } from "@regwatch/core/schemas";
import { TECHNOLOGIES, TECHNOLOGY_IDS } from "@regwatch/core/taxonomy";
import { type ChangeContext, changeContext, type LifecycleStep } from "@regwatch/db/queries/change-context";
import { CursorError, searchChanges } from "@regwatch/db/queries/change-search";
import { pageGate } from "../access.ts";
import { DEFAULT_PAGE, FilterError, parseChangeFilters } from "../change-filters.ts";
import type { DashboardDeps } from "../dashboard.ts";
import { type Fragment, type Html, html, join } from "../html.ts";
import type { Route, RouteContext } from "../router.ts";
import { changeLink, day, instant, redline, technologyTags } from "../views/change-parts.ts";
import { renderPage } from "../views/layout.ts";

const FILTER_NAMES = ["technology", "jurisdiction", "country", "source", "kind", "date", "from", "to", "q"];
const DATE_LABELS = { detected: "Detected", published: "Published", effective: "Effective" } as const;

/** The query of a view without its paging: what CSV, Atom and the form carry. */
function filterQuery(params: URLSearchParams): string {
  const kept = new URLSearchParams();
  for (const [name, value] of params)
    if (FILTER_NAMES.includes(name) && value.trim()) kept.append(name, value);
  return kept.toString();
}

// The same on every page: made once.
const COUNTRY_LIST = html`<datalist id="countries">${COUNTRIES.map((c) => html`<option value="${c.code}">${c.name}</option>`)}</datalist>`;

function option(value: string, label: string, selected: readonly string[]): Html {
  return html`<option value="${value}"${selected.includes(value) ? html` selected` : ""}>${label}</option>`;
}

function filterForm(params: URLSearchParams, sourceIds: readonly string[]): Html {
  const values = (name: string) =>
    params
      .getAll(name)
      .flatMap((v) => v.split(","))
      .map((v) => v.trim());
  const text = (name: string) => params.get(name) ?? "";
  return html`<form class="filters" method="get" action="/changes" role="search">
<label>Search <input type="search" name="q" value="${text("q")}" placeholder="words, &quot;a phrase&quot;, -not" size="28"></label>
<label>Technology <select name="technology"><option value="">any</option>${TECHNOLOGY_IDS.map((id) =>
    option(id, TECHNOLOGIES[id], values("technology")),
  )}</select></label>
<label>Jurisdiction <select name="jurisdiction"><option value="">any</option>${(
    Object.entries(JURISDICTIONS) as [Jurisdiction, string][]
  ).map(([code, name]) =>
    option(
      code,
      `${code} · ${name}`,
      values("jurisdiction").map((v) => v.toUpperCase()),
    ),
  )}</select></label>
<label>Affected country <input name="country" value="${text("country")}" placeholder="CN, RU" size="8" list="countries"></label>
${COUNTRY_LIST}
<label>Source <select name="source"><option value="">any</option>${sourceIds.map((id) => option(id, id, values("source")))}</select></label>
<label>Kind <select name="kind"><option value="">any</option>${changeKindSchema.options.map((k) =>
    option(k, k, values("kind")),
  )}</select></label>
<label>Dates <select name="date">${Object.entries(DATE_LABELS).map(([k, label]) =>
    // Detected is the default: its option sends nothing, so a plain view's URL stays plain.
    option(k === "detected" ? "" : k, label, [text("date") === "detected" ? "" : text("date")]),
  )}</select></label>
<label>From <input type="date" name="from" value="${text("from")}"></label>
<label>To <input type="date" name="to" value="${text("to")}"></label>
<button type="submit">Filter</button> <a href="/changes">Clear</a>
</form>`;
}

function dateOf(change: ChangeRecord, field: keyof typeof DATE_LABELS): string {
  if (field === "published") return day(change.publishedAt);
  if (field === "effective") return day(change.effectiveAt);
  return day(change.detectedAt);
}

function changesTable(changes: readonly ChangeRecord[], field: keyof typeof DATE_LABELS): Html {
  if (!changes.length) return html`<p class="notice">No changes match these filters.</p>`;
  return html`<table class="changes"><thead><tr><th>${DATE_LABELS[field]}</th><th>Jurisdiction</th><th>Subject</th><th>Title</th><th>Technologies</th><th>Kind</th></tr></thead><tbody>${changes.map(
    (c) =>
      html`<tr><td class="date">${dateOf(c, field)}</td><td title="${JURISDICTIONS[c.jurisdiction] ?? c.jurisdiction}">${c.jurisdiction}</td><td class="subject">${changeLink(c)}${c.citation ? html`<div class="muted">${c.citation}</div>` : ""}</td><td><a href="/changes/${encodeURIComponent(c.id)}">${c.title}</a></td><td>${technologyTags(c.technologies)}</td><td class="kind">${c.kind}</td></tr>`,
  )}</tbody></table>`;
}

function problemPage(
  c: RouteContext,
  deps: DashboardDeps,
  params: URLSearchParams,
  message: string,
): Response {
  return renderPage(c, {
    title: "Changes",
    section: "changes",
    status: 400,
    main: html`${filterForm(
      params,
      deps.sources.map((s) => s.id),
    )}<p class="notice" role="alert">${message}</p>`,
  });
}

const LIFECYCLE_LABELS: Record<LifecycleStep["stage"], string> = {
  "public-inspection": "Public inspection",
  published: "Published",
  codified: "Codified in the list",
  effective: "Effective",
};

function lifecycle(steps: readonly LifecycleStep[]): Fragment {
  if (!steps.length) return "";
  return html`<h2>Lifecycle</h2><ol class="lifecycle">${steps.map(
    (s) =>
      html`<li class="${s.at ? "known" : ""}">${LIFECYCLE_LABELS[s.stage]}: ${
        s.changeId
          ? html`<a href="/changes/${encodeURIComponent(s.changeId)}">${day(s.at)}</a>`
          : s.at
            ? day(s.at)
            : "not yet seen"
      }</li>`,
  )}</ol>`;
}

function facts(rows: readonly [string, Fragment][]): Html {
  return html`<dl class="facts">${rows.filter(([, v]) => v !== null && v !== "" && v !== undefined).map(([k, v]) => html`<dt>${k}</dt><dd>${v}</dd>`)}</dl>`;
}

function detailDetails(change: ChangeRecord): [string, Fragment][] {
  const d = change.details ?? {};
  const str = (key: string) => (typeof d[key] === "string" ? (d[key] as string) : null);
  const list = (key: string) => (Array.isArray(d[key]) ? (d[key] as unknown[]).map(String) : []);
  return [
    ["Heading", str("heading")],
    ["Parent entry", str("parentKey") ? html`<span class="key">${str("parentKey")}</span>` : null],
    ["Context", str("context")],
    ["Reasons for control", str("reasons")],
    ["Document type", str("documentType")],
    ["Action", str("action")],
    ["Abstract", str("abstract")],
    ["CFR parts", list("cfrReferences").join(", ")],
    ["ECCNs named", list("eccns").join(", ")],
    ["Entries in this change", list("entries").length > 1 ? list("entries").join(", ") : null],
  ];
}

/**
 * The crosswalk's rows for a list entry: the same control under other lists'
 * numbers, with the instrument that created each and where the equivalence was read.
 */
function sameControlElsewhere(list: string, key: string): Html | string {
  const rows = equivalentsOf(list, key);
  if (!rows.length) return "";
  const row = ({ row, entries }: (typeof rows)[number]) =>
    html`<li><strong>${row.item}</strong> · ${technologyTags(row.technologies)}${
      entries.length
        ? html`<ul>${entries.map(
            (e) =>
              html`<li>${JURISDICTIONS[e.jurisdiction] ?? e.jurisdiction}: ${join(
                e.keys.map((k) =>
                  k === "*"
                    ? html`<a href="/sources/${encodeURIComponent(e.list)}">the whole list</a>`
                    : html`<a class="key" href="/sources/${encodeURIComponent(e.list)}/entries/${encodeURIComponent(k)}">${k}</a>`,
                ),
                ", ",
              )} <span class="muted">(${e.instrument}${e.since ? html`, since ${day(e.since)}` : ""})</span></li>`,
          )}</ul>`
        : html` <span class="muted">(no equivalent elsewhere in the table)</span>`
    }<p class="muted">Basis: ${row.sources.join("; ")}</p></li>`;
  return html`<h2>Same control elsewhere</h2><ul class="crosswalk">${rows.map(row)}</ul>`;
}

function detailPage(c: RouteContext, ctx: ChangeContext): Response {
  const { change, instrument, related, snapshot } = ctx;
  const isEntry = change.stage === null;
  const officialLink = change.url
    ? html`<a href="${change.url}" rel="noopener noreferrer">${change.url}</a>`
    : null;
  const main = html`<p class="lede"><span class="kind">${change.kind}</span> · ${JURISDICTIONS[change.jurisdiction] ?? change.jurisdiction} · <span class="key">${change.subject}</span>${
    change.citation ? html` · ${change.citation}` : ""
  }</p>
${facts([
  ["Detected", instant(change.detectedAt)],
  ["Published", change.publishedAt ? day(change.publishedAt) : null],
  ["Effective", change.effectiveAt ? day(change.effectiveAt) : null],
  ["Citation", change.citation],
  ["Official text", officialLink],
  ["Technologies", change.technologies.length ? technologyTags(change.technologies) : "none tagged"],
  ["Affected countries", change.countries.length ? change.countries.join(", ") : null],
  ["Source", html`<a href="/sources/${encodeURIComponent(change.source)}">${change.source}</a>`],
  [
    "Entry history",
    isEntry
      ? html`<a href="/sources/${encodeURIComponent(change.source)}/entries/${encodeURIComponent(change.subject)}">every version of ${change.subject}</a>`
      : null,
  ],
  ["Origin", change.origin === "regulatory" ? null : `${change.origin} (not alerted)`],
  ...detailDetails(change),
])}
${change.diff ? html`<h2>Redline</h2>${redline(change.diff)}` : ""}
${
  change.before !== null && change.after !== null
    ? html`<div class="columns"><section><h2>Before</h2><div class="text">${change.before}</div></section><section><h2>After</h2><div class="text">${change.after}</div></section></div>`
    : change.after !== null
      ? html`<h2>${change.stage ? "Document" : "Text added"}</h2><div class="text">${change.after}</div>`
      : change.before !== null
        ? html`<h2>Text removed</h2><div class="text">${change.before}</div>`
        : ""
}
${
  instrument
    ? html`<h2>Instrument</h2>${facts([
        ["Citation", instrument.citation],
        ["Title", instrument.title],
        ["Published", instrument.publishedAt],
        ["Effective", instrument.effectiveAt],
        [
          "Link",
          instrument.url
            ? html`<a href="${instrument.url}" rel="noopener noreferrer">${instrument.url}</a>`
            : null,
        ],
      ])}`
    : ""
}
${lifecycle(ctx.lifecycle)}
${isEntry ? sameControlElsewhere(change.source, change.subject) : ""}
<h2>Provenance</h2>
${facts([
  [
    "Raw document",
    html`<a href="/artifacts?sha256=${change.provenance.artifactSha256}" download><code>${change.provenance.artifactSha256}</code></a>`,
  ],
  ["Fetched", instant(change.provenance.fetchedAt)],
  ["Parser version", change.provenance.parserVersion],
  ["Version date", snapshot?.versionDate ?? null],
  [
    "Fetched from",
    snapshot?.url ? html`<a href="${snapshot.url}" rel="noopener noreferrer">${snapshot.url}</a>` : null,
  ],
  ["Record id", html`<code>${change.id}</code>`],
])}
${
  related.total
    ? html`<h2>${related.basis === "instrument" ? "Other changes from the same instrument" : "Other changes in the same version"} (${related.total})</h2>${changesTable(related.changes, "detected")}${
        related.total > related.changes.length
          ? html`<p class="muted">The first ${related.changes.length} of ${related.total} are shown.</p>`
          : ""
      }`
    : ""
}`;
  return renderPage(c, { title: change.title, section: "changes", main });
}

export function changePageRoutes(deps: DashboardDeps): Route[] {
  // Read per request: watched pages join the sources while the service runs.
  const sourceIds = () => deps.sources.map((s) => s.id);
  return [
    {
      path: "/changes",
      methods: {
        async GET(c) {
          const refused = pageGate(c, "read");
          if (refused) return refused;
          const params = new URL(c.req.url).searchParams;
          let filters: ReturnType<typeof parseChangeFilters>;
          try {
            filters = parseChangeFilters(params, { sourceIds: sourceIds() });
            const page = await searchChanges(deps.database.db, {
              ...filters,
              limit: DEFAULT_PAGE,
              cursor: params.get("cursor"),
              // The list shows no texts: they are not read.
              summary: true,
            });
            const query = filterQuery(params);
            const field = filters.dateField ?? "detected";
            const nextLink = page.next
              ? html`<a rel="next" href="/changes?${query ? `${query}&` : ""}cursor=${encodeURIComponent(page.next)}">Older changes →</a>`
              : "";
            const main = html`${filterForm(params, sourceIds())}
<div class="actions"><a href="/changes.csv${query ? `?${query}` : ""}">Export CSV</a><a href="/feeds/changes.atom${query ? `?${query}` : ""}">Atom feed</a><a href="/subscribe${query ? `?${query}` : ""}">Subscribe to this view</a>${
              params.get("cursor") ? html`<a href="/changes${query ? `?${query}` : ""}">← Newest</a>` : ""
            }</div>
${changesTable(page.changes, field)}
<p class="pager">${nextLink}</p>`;
            return renderPage(c, {
              title: "Changes",
              section: "changes",
              lede: html`Newest detected first; the date column shows the ${DATE_LABELS[field].toLowerCase()} date. ${page.changes.length} on this page.`,
              main,
            });
          } catch (err) {
            if (err instanceof FilterError || err instanceof CursorError)
              return problemPage(c, deps, params, err.message);
            throw err;
          }
        },
      },
    },
    {
      path: "/changes/:id",
      methods: {
        async GET(c) {
          const refused = pageGate(c, "read");
          if (refused) return refused;
          const id = c.req.param("id") ?? "";
          const ctx = /^[0-9a-f]{16,64}$/.test(id) ? await changeContext(deps.database.db, id) : null;
          if (!ctx)
            return renderPage(c, {
              title: "No such change",
              status: 404,
              section: "changes",
              main: html`<p>There is no change <code>${id.slice(0, 64)}</code>. <a href="/changes">All changes</a></p>`,
            });
          return detailPage(c, ctx);
        },
      },
    },
  ];
}
