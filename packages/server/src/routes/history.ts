// Entry history and snapshot comparison: every version of one entry with
// each one redlined against the one before and the change records about it
// (/sources/:id/entries/:key, and as JSON under /api), and what differs
// between any two accepted snapshots of a source (/sources/:id/compare).

import type { WordDiff } from "@regwatch/core/schemas";
import {
  type ComparedEntry,
  compareSnapshots,
  type EntryChange,
  type EntryVersion,
  entryChanges,
  entryVersions,
} from "@regwatch/db/queries/entry-history";
import {
  acceptedSnapshotChoices,
  type SnapshotHeader,
  snapshotHeader,
} from "@regwatch/db/queries/source-pages";
import { wordDiff } from "@regwatch/diff/word-diff";
import { apiGate, pageGate } from "../access.ts";
import type { DashboardDeps } from "../dashboard.ts";
import { type Html, html } from "../html.ts";
import { json, type Route, type RouteContext } from "../router.ts";
import { redline, when } from "../views/change-parts.ts";
import { renderPage, statusPage } from "../views/layout.ts";
import {
  artifactLink,
  artifactPath,
  COMPARE_CHOICES,
  compareForm,
  comparePath,
  findKnownSource,
  idParameter,
  type KnownSource,
  NotFoundError,
  ParameterError,
  shortHash,
  sourcePage,
  sourcePath,
} from "./source-pages.ts";

// One page of a comparison. A new consolidation of the CCL touches tens of
// entries; a parser change can touch all of its thousands, and each redline
// costs about a millisecond (a paragraph of the CCL): the counts say how
// many there are, and the rest follow a page at a time.
const COMPARE_PAGE = 250;

export function entryPath(sourceId: string, key: string): string {
  return `${sourcePath(sourceId)}/entries/${encodeURIComponent(key)}`;
}

/** A snapshot's row on its source's page: the page of snapshots that starts with it, however old it is. */
function snapshotLink(sourceId: string, id: number): Html {
  return html`<a href="${sourcePath(sourceId)}?before=${id + 1}#snapshot-${id}">#${id}</a>`;
}

function describeSnapshot(s: SnapshotHeader): Html {
  return html`snapshot ${snapshotLink(s.sourceId, s.id)} (taken ${when(s.takenAt)}${
    s.versionDate ? `, version of ${s.versionDate}` : ""
  })`;
}

/** The snapshot a compare parameter names, if it is an accepted snapshot of this source. */
async function comparedSnapshot(
  deps: DashboardDeps,
  source: KnownSource,
  query: URLSearchParams,
  name: "from" | "to",
): Promise<SnapshotHeader> {
  const id = idParameter(query, name);
  if (id === null) throw new ParameterError(name, "a snapshot id is required");
  const snapshot = await snapshotHeader(deps.database.db, id);
  if (!snapshot || snapshot.sourceId !== source.id)
    throw new NotFoundError(`${name}: snapshot ${id} is not a snapshot of ${source.id}.`);
  if (snapshot.status !== "accepted")
    throw new ParameterError(
      name,
      `snapshot ${id} was ${snapshot.status} (${snapshot.reason ?? "no reason recorded"}); only accepted snapshots have their entries stored, so only they can be compared`,
    );
  return snapshot;
}

function comparedRow(sourceId: string, kind: string, entry: ComparedEntry): Html {
  const version = entry.after ?? entry.before!;
  const key = html`<a class="key" href="${entryPath(sourceId, entry.key)}">${entry.key}</a>`;
  if (kind === "documents") {
    return html`<tr class="compared-${entry.kind}"><td>${key}</td><td><span class="kind">${entry.kind}</span></td><td>${
      entry.kind === "modified" && entry.before!.heading !== entry.after!.heading
        ? redline(wordDiff(entry.before!.heading ?? "", entry.after!.heading ?? ""))
        : (version.heading ?? "")
    }</td></tr>`;
  }
  const diff: WordDiff =
    entry.kind === "modified"
      ? wordDiff(entry.before!.text, entry.after!.text)
      : entry.kind === "added"
        ? [["+", version.text]]
        : [["-", version.text]];
  return html`<tr class="compared-${entry.kind}"><td>${key}${
    version.heading ? html`<br><span class="muted">${version.heading}</span>` : ""
  }</td><td><span class="kind">${entry.kind}</span></td><td>${redline(diff)}</td></tr>`;
}

async function comparePage(c: RouteContext, deps: DashboardDeps, source: KnownSource): Promise<Response> {
  const query = new URL(c.req.url).searchParams;
  const from = await comparedSnapshot(deps, source, query, "from");
  const to = await comparedSnapshot(deps, source, query, "to");
  const db = deps.database.db;
  const afterKey = query.get("after");
  const { counts, entries: page } = await compareSnapshots(db, source.id, {
    from: from.id,
    to: to.id,
    limit: COMPARE_PAGE + 1,
    afterKey,
  });
  const entries = page.slice(0, COMPARE_PAGE);
  const more = page.length > COMPARE_PAGE;
  const choices: Pick<SnapshotHeader, "id" | "takenAt" | "versionDate">[] = await acceptedSnapshotChoices(
    db,
    source.id,
    COMPARE_CHOICES,
  );
  // The compared snapshots stay selectable even when older than the choices offered.
  for (const s of [from, to]) if (!choices.some((x) => x.id === s.id)) choices.push(s);
  choices.sort((a, b) => b.id - a.id);
  const kind = source.row?.kind ?? "list";
  const noun = kind === "documents" ? "documents" : "entries";
  const total = counts.added + counts.removed + counts.modified;

  const summary = html`<dl class="facts compare-counts">
<dt>Added</dt><dd id="count-added">${counts.added}</dd>
<dt>Removed</dt><dd id="count-removed">${counts.removed}</dd>
<dt>Modified</dt><dd id="count-modified">${counts.modified}</dd>
</dl>`;
  const body =
    from.id === to.id
      ? html`<p class="muted">Both sides are the same snapshot: nothing differs.</p>`
      : total === 0
        ? html`<p class="muted">No ${noun} differ between these snapshots.</p>`
        : html`${
            total > entries.length
              ? html`<p class="notice">Showing ${entries.length} of ${total} differing ${noun}, by key${
                  afterKey ? html`, after <code>${afterKey}</code>` : ""
                }.</p>`
              : ""
          }<table class="comparison"><thead><tr><th>${kind === "documents" ? "Document" : "Entry"}</th><th>Change</th><th>${
            kind === "documents" ? "Title" : "Text"
          }</th></tr></thead><tbody>${entries.map((e) => comparedRow(source.id, kind, e))}</tbody></table>${
            afterKey || more
              ? html`<p class="pager">${
                  afterKey ? html`<a href="${comparePath(source.id, from.id, to.id)}">First ${noun}</a> ` : ""
                }${
                  more
                    ? html`<a rel="next" href="${comparePath(source.id, from.id, to.id)}&after=${encodeURIComponent(
                        entries[entries.length - 1]!.key,
                      )}">Next ${noun} →</a>`
                    : ""
                }</p>`
              : ""
          }`;

  return renderPage(c, {
    title: `Compare snapshots of ${source.row?.title ?? source.id}`,
    section: "sources",
    lede: html`<a href="${sourcePath(source.id)}">${source.id}</a>: from ${describeSnapshot(from)} to ${describeSnapshot(to)}.`,
    main: html`${compareForm(source.id, choices, { from: from.id, to: to.id })}${summary}${body}`,
  });
}

function versionFacts(sourceId: string, v: EntryVersion, ending: Ending): Html {
  return html`<dl class="facts">
<dt>First seen</dt><dd>${when(v.firstSeenAt)} in ${snapshotLink(sourceId, v.snapshotId)}${
    v.versionDate ? html` <span class="muted">(version of ${v.versionDate})</span>` : ""
  }</dd>
<dt>Last seen</dt><dd>${when(v.lastSeenAt)} in ${snapshotLink(sourceId, v.lastSeenSnapshotId)}</dd>
<dt>${ending === "removed" ? "Removed" : ending === "replaced" ? "Replaced" : "Status"}</dt><dd>${
    ending ? html`${when(v.endedAt)} in ${snapshotLink(sourceId, v.endSnapshotId!)}` : "current"
  }</dd>
<dt>Hash</dt><dd>${shortHash(v.hash)}</dd>
<dt>Document</dt><dd>${artifactLink(v.artifactSha256)} <span class="muted">parser ${v.parserVersion}</span></dd>
${v.heading ? html`<dt>Heading</dt><dd>${v.heading}</dd>` : ""}
${v.parentKey ? html`<dt>Parent</dt><dd><a class="key" href="${entryPath(sourceId, v.parentKey)}">${v.parentKey}</a></dd>` : ""}
</dl>`;
}

type Ending = "replaced" | "removed" | null;

/** How each version ended: replaced when another version of the entry starts where it stops, else removed. */
function endings(versions: readonly EntryVersion[]): Ending[] {
  const starts = new Set(versions.map((v) => v.snapshotId));
  return versions.map((v) =>
    v.endSnapshotId === null ? null : starts.has(v.endSnapshotId) ? "replaced" : "removed",
  );
}

function historyPage(
  c: RouteContext,
  source: KnownSource,
  key: string,
  versions: readonly EntryVersion[],
  changes: readonly EntryChange[],
): Response {
  const ends = endings(versions);
  const latest = versions[versions.length - 1]!;
  const sections = versions.map((v, i) => {
    const previous = versions[i - 1];
    return html`<section class="version" id="version-${i + 1}">
<h3>Version ${i + 1}</h3>
${versionFacts(source.id, v, ends[i]!)}
${
  previous
    ? html`<h4>Against version ${i}</h4>${redline(wordDiff(previous.text, v.text))}<details><summary>Text of version ${
        i + 1
      }</summary><div class="text">${v.text}</div></details>`
    : html`<div class="text">${v.text}</div>`
}
</section>`;
  });
  const changeTable = changes.length
    ? html`<table class="entry-changes"><thead><tr><th>Detected</th><th>Kind</th><th>Title</th><th>Effective</th><th>Citation</th></tr></thead><tbody>${changes.map(
        (ch) =>
          html`<tr><td class="date">${when(ch.detectedAt)}</td><td><span class="kind">${ch.kind}</span></td><td><a href="/changes/${encodeURIComponent(
            ch.id,
          )}">${ch.title}</a></td><td class="date">${ch.effectiveAt ?? "—"}</td><td>${ch.citation ?? ""}</td></tr>`,
      )}</tbody></table>`
    : html`<p class="muted">No change records about this entry (a baseline records none).</p>`;
  const state = ends[ends.length - 1];
  return renderPage(c, {
    title: `Entry ${key}`,
    section: "sources",
    lede: html`<a href="${sourcePath(source.id)}">${source.row?.title ?? source.id}</a> · ${versions.length} ${
      versions.length === 1 ? "version" : "versions"
    } · ${state === "removed" ? html`removed ${when(latest.endedAt)}` : html`current since ${when(latest.firstSeenAt)}`}`,
    main: html`<h2>Versions</h2>${sections}<h2>Change records</h2>${changeTable}`,
  });
}

/**
 * One version as the API gives it: `snapshotId` and `firstSeenAt` (the
 * accepted snapshot that introduced it), `lastSeenSnapshotId` and
 * `lastSeenAt` (the newest accepted snapshot that still held it),
 * `endSnapshotId` and `endedAt` (the snapshot that replaced or removed it;
 * null while current), `ending` (replaced | removed | null), `parentKey`,
 * `heading`, `text`, `hash`, `artifactSha256` and `artifactUrl` (the
 * document it was read from), `parserVersion`, `versionDate`. Instants ISO.
 */
function versionJson(v: EntryVersion, ending: Ending) {
  return {
    snapshotId: v.snapshotId,
    firstSeenAt: v.firstSeenAt.toISOString(),
    lastSeenSnapshotId: v.lastSeenSnapshotId,
    lastSeenAt: v.lastSeenAt.toISOString(),
    endSnapshotId: v.endSnapshotId,
    endedAt: v.endedAt?.toISOString() ?? null,
    ending,
    parentKey: v.parentKey,
    heading: v.heading,
    text: v.text,
    hash: v.hash,
    artifactSha256: v.artifactSha256,
    artifactUrl: artifactPath(v.artifactSha256),
    parserVersion: v.parserVersion,
    versionDate: v.versionDate,
  };
}

/** A change about the entry: `id`, `kind`, `title`, `detectedAt` (ISO), `publishedAt`, `effectiveAt`, `citation`, `snapshotId`, `url` (its page, a path). */
function changeJson(ch: EntryChange) {
  return {
    id: ch.id,
    kind: ch.kind,
    title: ch.title,
    detectedAt: ch.detectedAt.toISOString(),
    publishedAt: ch.publishedAt,
    effectiveAt: ch.effectiveAt,
    citation: ch.citation,
    snapshotId: ch.snapshotId,
    url: `/changes/${encodeURIComponent(ch.id)}`,
  };
}

/**
 * `GET /sources/:id/compare?from=&to=` (two accepted snapshots of the
 * source; `&after=<key>` for the page of entries after that key;
 * 400 naming the parameter when missing, malformed or not accepted, 404 when
 * not this source's), `GET /sources/:id/entries/:key` (the key URL-encoded)
 * and `GET /api/sources/:id/entries/:key`: `{ source, key, versions:
 * [version…] (oldest first), changes: [change…] (oldest first) }`, 404 when
 * the source or the entry is unknown.
 */
export function historyRoutes(deps: DashboardDeps): Route[] {
  const load = async (id: string, key: string) => {
    const source = await findKnownSource(deps, id);
    if (!source) return { source: null, versions: [], changes: [] };
    const versions = await entryVersions(deps.database.db, id, key);
    const changes = versions.length ? await entryChanges(deps.database.db, id, key) : [];
    return { source, versions, changes };
  };
  return [
    {
      path: "/sources/:id/compare",
      methods: {
        GET: sourcePage(deps, (c, source) => comparePage(c, deps, source)),
      },
    },
    {
      path: "/sources/:id/entries/:key",
      methods: {
        async GET(c) {
          const refused = pageGate(c, "read");
          if (refused) return refused;
          const id = c.req.param("id") ?? "";
          const key = c.req.param("key") ?? "";
          const { source, versions, changes } = await load(id, key);
          if (!source) return statusPage(c, 404, "No such source", `No source is registered as “${id}”.`);
          if (!versions.length)
            return statusPage(c, 404, "No such entry", `${source.id} has never had an entry “${key}”.`);
          return historyPage(c, source, key, versions, changes);
        },
      },
    },
    {
      path: "/api/sources/:id/entries/:key",
      methods: {
        async GET(c) {
          const refused = apiGate(c, "read");
          if (refused) return refused;
          const id = c.req.param("id") ?? "";
          const key = c.req.param("key") ?? "";
          const { source, versions, changes } = await load(id, key);
          if (!source) return json(404, { error: `no source ${id}` });
          if (!versions.length) return json(404, { error: `no entry ${key} in ${id}` });
          const ends = endings(versions);
          return json(200, {
            source: id,
            key,
            versions: versions.map((v, i) => versionJson(v, ends[i]!)),
            changes: changes.map(changeJson),
          });
        },
      },
    },
  ];
}
