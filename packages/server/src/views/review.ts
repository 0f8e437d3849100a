// The weekly review's markup: the period and its counts, the changes grouped
// by jurisdiction and technology with their marks (and, for reviewers, the
// form to mark each), the sources that were provably quiet, and the audit
// log. Every value from source text or a reviewer's note goes through html``.

import { JURISDICTIONS, type Jurisdiction } from "@regwatch/core/jurisdictions";
import type { ChangeRecord } from "@regwatch/core/schemas";
import { TECHNOLOGIES, TECHNOLOGY_IDS, type TechnologyId } from "@regwatch/core/taxonomy";
import {
  REVIEW_STATUSES,
  type ReviewAuditEntry,
  type ReviewMark,
  type ReviewState,
  type ReviewStatus,
  type SourceVerdicts,
} from "@regwatch/db/queries/reviews";
import { type Fragment, type Html, html, join, trusted } from "../html.ts";
import { ASSET_PATHS, ASSETS } from "./assets.ts";
import { changeLink, instant, technologyTags } from "./change-parts.ts";

export const STATUS_LABELS: Record<ReviewStatus, string> = {
  reviewed: "Reviewed",
  "action-needed": "Action needed",
  "not-applicable": "Not applicable",
};

/** A review period: whole UTC days, both included, as `YYYY-MM-DD`. */
export interface PeriodDays {
  from: string;
  to: string;
}

/** `?from=…&to=…` (and more) for a review URL. */
export function periodQuery(period: PeriodDays, extra: Record<string, string> = {}): string {
  return new URLSearchParams({ from: period.from, to: period.to, ...extra }).toString();
}

export interface ReviewModel {
  period: PeriodDays;
  /** The period's length in days, for "previous 7 days". */
  days: number;
  previous: PeriodDays;
  /** Null when the next period would start after today. */
  next: PeriodDays | null;
  changes: readonly ChangeRecord[];
  baselines: number;
  marks: ReadonlyMap<string, ReviewMark>;
  sources: SourceVerdicts;
  generatedAt: Date;
  /** Who asked for the page: printed on the evidence. */
  generatedFor: string;
}

export interface ReviewViewOptions {
  /** interactive: reviewers' forms; read-only: a viewer's page; print: the page to file (no forms, no navigation). */
  mode: "interactive" | "read-only" | "print";
  /** This browser's CSRF value, for the mark forms. */
  csrf: string;
  /** Chromium is configured: offer the PDF. */
  pdf: boolean;
  /** Reviewers and admins: link the audit log. */
  audit: boolean;
}

export interface MarkCounts {
  total: number;
  reviewed: number;
  actionNeeded: number;
  notApplicable: number;
  open: number;
}

export function countMarks(
  changes: readonly ChangeRecord[],
  marks: ReadonlyMap<string, ReviewState>,
): MarkCounts {
  const counts: MarkCounts = {
    total: changes.length,
    reviewed: 0,
    actionNeeded: 0,
    notApplicable: 0,
    open: 0,
  };
  for (const change of changes) {
    const status = marks.get(change.id)?.status;
    if (status === "reviewed") counts.reviewed++;
    else if (status === "action-needed") counts.actionNeeded++;
    else if (status === "not-applicable") counts.notApplicable++;
    else counts.open++;
  }
  return counts;
}

export interface TechnologyGroup {
  /** Null: the change carries no technology tag. */
  technology: TechnologyId | null;
  changes: ChangeRecord[];
}

export interface JurisdictionGroup {
  jurisdiction: string;
  technologies: TechnologyGroup[];
}

/**
 * Changes grouped by jurisdiction, then by technology. A change is listed
 * once, under its first technology in taxonomy order (or "Other" when it has
 * none), with all its tags on its row: listed under each of its technologies,
 * it would be counted and marked twice, and the review's totals would no
 * longer be the number of changes.
 */
export function groupForReview(changes: readonly ChangeRecord[]): JurisdictionGroup[] {
  const rank = (t: TechnologyId | null) => (t === null ? TECHNOLOGY_IDS.length : TECHNOLOGY_IDS.indexOf(t));
  const byJurisdiction = new Map<string, Map<TechnologyId | null, ChangeRecord[]>>();
  for (const change of changes) {
    const technology = primaryTechnology(change);
    const groups = byJurisdiction.get(change.jurisdiction) ?? new Map<TechnologyId | null, ChangeRecord[]>();
    byJurisdiction.set(change.jurisdiction, groups);
    groups.set(technology, [...(groups.get(technology) ?? []), change]);
  }
  return [...byJurisdiction]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([jurisdiction, groups]) => ({
      jurisdiction,
      technologies: [...groups]
        .sort(([a], [b]) => rank(a) - rank(b))
        .map(([technology, list]) => ({ technology, changes: list })),
    }));
}

/** The technology a change is grouped under: its first in taxonomy order, or null. */
export function primaryTechnology(change: Pick<ChangeRecord, "technologies">): TechnologyId | null {
  return TECHNOLOGY_IDS.find((t) => change.technologies.includes(t)) ?? null;
}

export function technologyHeading(technology: TechnologyId | null): string {
  return technology ? TECHNOLOGIES[technology] : "Other (no technology tag)";
}

function jurisdictionHeading(code: string): string {
  const name = JURISDICTIONS[code as Jurisdiction];
  return name ? `${code} — ${name}` : code;
}

/** Text with its line breaks kept: a note is written in lines. */
function lines(text: string): Html {
  return join(text.split("\n"), html`<br>`);
}

/** The mark, who set it and when; `history` links the change's audit trail (for reviewers). */
function markCell(mark: ReviewMark | undefined, history: boolean): Html {
  if (!mark) return html`<span class="muted">Open</span>`;
  return html`<span class="mark-${mark.status}">${STATUS_LABELS[mark.status]}</span>${
    mark.note ? html`<div class="note">${lines(mark.note)}</div>` : ""
  }<div class="muted">${mark.userEmail} · ${instant(mark.updatedAt)}${
    history
      ? html` · <a class="no-print" href="/review/audit?change=${encodeURIComponent(mark.changeId)}">history</a>`
      : ""
  }</div>`;
}

function markForm(change: ChangeRecord, mark: ReviewMark | undefined, csrf: string, back: string): Html {
  const current = mark?.status ?? null;
  return html`<form class="mark" method="post" action="/review/marks">
<input type="hidden" name="csrf" value="${csrf}"><input type="hidden" name="change" value="${change.id}"><input type="hidden" name="back" value="${back}">
<select name="status" aria-label="Mark ${change.subject}" required>${current ? "" : html`<option value="" selected disabled>Mark as…</option>`}${REVIEW_STATUSES.map(
    (s) => html`<option value="${s}"${s === current ? html` selected` : ""}>${STATUS_LABELS[s]}</option>`,
  )}</select>
<textarea name="note" rows="2" maxlength="2000" aria-label="Note on ${change.subject}" placeholder="Note">${mark?.note ?? ""}</textarea>
<button type="submit" class="secondary">Save</button></form>`;
}

function changeRow(
  change: ChangeRecord,
  mark: ReviewMark | undefined,
  form: { csrf: string; back: string } | null,
): Html {
  const origin = change.origin === "regulatory" ? "" : html` <span class="tag">${change.origin}</span>`;
  return html`<tr id="change-${change.id}"><td class="date">${instant(change.detectedAt)}</td><td>${changeLink(change)}</td><td>${change.title}${
    change.citation ? html`<div class="muted">${change.citation}</div>` : ""
  }</td><td><span class="kind">${change.kind}</span>${origin}</td><td>${technologyTags(change.technologies)}</td><td>${markCell(mark, form !== null)}</td>${
    form ? html`<td>${markForm(change, mark, form.csrf, form.back)}</td>` : ""
  }</tr>`;
}

function changesTable(
  changes: readonly ChangeRecord[],
  marks: ReadonlyMap<string, ReviewMark>,
  form: { csrf: string; back: string } | null,
): Html {
  return html`<table><thead><tr><th>Detected</th><th>Subject</th><th>Title</th><th>Kind</th><th>Technologies</th><th>Mark</th>${
    form ? html`<th>Set mark</th>` : ""
  }</tr></thead><tbody>${changes.map((c) => changeRow(c, marks.get(c.id), form))}</tbody></table>`;
}

function countsList(counts: MarkCounts): Html {
  const items: [string, number, string][] = [
    ["Changes", counts.total, ""],
    ["Reviewed", counts.reviewed, "mark-reviewed"],
    ["Action needed", counts.actionNeeded, "mark-action-needed"],
    ["Not applicable", counts.notApplicable, "mark-not-applicable"],
    ["Open", counts.open, ""],
  ];
  return html`<dl class="facts review-counts">${items.map(
    ([label, n, cls]) => html`<dt>${label}</dt><dd class="num${cls ? html` ${cls}` : ""}">${n}</dd>`,
  )}</dl>`;
}

function periodLinks(model: ReviewModel, options: ReviewViewOptions): Html {
  const span = model.days === 7 ? "week" : `${model.days} days`;
  const q = periodQuery(model.period);
  return html`<nav class="actions" aria-label="Review period and exports">
<a href="/review?${periodQuery(model.previous)}" rel="prev">← Previous ${span}</a>${
    model.next ? html`<a href="/review?${periodQuery(model.next)}" rel="next">Next ${span} →</a>` : ""
  }<a href="/review.csv?${q}">Export CSV</a><button type="button" class="secondary" data-print>Print</button><a href="/review?${periodQuery(model.period, { print: "1" })}">Print view</a>${
    options.pdf ? html`<a href="/review.pdf?${q}">PDF</a>` : ""
  }${options.audit ? html`<a href="/review/audit">Audit log</a>` : ""}</nav>
<form class="filters" method="get" action="/review"><label>From <input type="date" name="from" value="${model.period.from}" required></label><label>To <input type="date" name="to" value="${model.period.to}" required></label><button type="submit">Show period</button></form>`;
}

function printLinks(model: ReviewModel): Html {
  return html`<p class="no-print"><button type="button" data-print>Print</button> <a href="/review?${periodQuery(model.period)}">Back to the review</a></p>`;
}

function sourcesSection(sources: SourceVerdicts): Html {
  const quiet = sources.quiet.length
    ? html`<p>Healthy through the period, checked in it, and no change detected:</p>
<table><thead><tr><th>Source</th><th>Jurisdiction</th><th>Title</th><th>Last successful check</th></tr></thead><tbody>${sources.quiet.map(
        (s) =>
          html`<tr><td class="key">${s.id}</td><td>${s.jurisdiction}</td><td>${s.title}</td><td class="date">${instant(s.lastSuccessAt)}</td></tr>`,
      )}</tbody></table>`
    : html`<p>None: no source was both healthy through the period and without changes.</p>`;
  const unproven = sources.unproven.length
    ? html`<div class="notice"><p><strong>No changes, but not proof of a quiet period</strong>: these sources were not healthy or not checked throughout it, so their silence proves nothing.</p><ul>${sources.unproven.map(
        (s) => html`<li><span class="key">${s.id}</span>${s.title ? html` (${s.title})` : ""}: ${s.why}</li>`,
      )}</ul></div>`
    : "";
  return html`<section class="review-sources"><h2>Sources with no changes in the period</h2>${quiet}${unproven}${
    sources.withChanges.length
      ? html`<p class="muted">Sources with changes in the period: ${join(
          sources.withChanges.map((id) => html`<span class="key">${id}</span>`),
          ", ",
        )}.</p>`
      : ""
  }</section>`;
}

/** What the review covers, in words: shown under the title. */
export function reviewLede(model: ReviewModel): string {
  return `Changes detected from ${model.period.from} to ${model.period.to} (${model.days} days, UTC), grouped by jurisdiction and technology.`;
}

/** The review page's content; `back` is the URL the mark forms return to. */
export function reviewMain(model: ReviewModel, options: ReviewViewOptions, back: string): Html {
  const form = options.mode === "interactive" ? { csrf: options.csrf, back } : null;
  const groups = groupForReview(model.changes);
  const body: Fragment[] = groups.map(
    (g) =>
      html`<section class="review-group"><h2>${jurisdictionHeading(g.jurisdiction)}</h2>${g.technologies.map(
        (t) =>
          html`<h3>${technologyHeading(t.technology)} <span class="muted">(${t.changes.length})</span></h3>${changesTable(
            t.changes,
            model.marks,
            form,
          )}`,
      )}</section>`,
  );
  return html`${options.mode === "print" ? printLinks(model) : periodLinks(model, options)}
${countsList(countMarks(model.changes, model.marks))}
${model.changes.length ? body : html`<p>No changes were detected in this period.</p>`}
${
  model.baselines
    ? html`<p class="muted">Not listed: ${model.baselines} baseline record${model.baselines === 1 ? "" : "s"} (the first version of a newly registered source, which records what was already in force).</p>`
    : ""
}
${sourcesSection(model.sources)}
<p class="muted">Generated ${instant(model.generatedAt)} for ${model.generatedFor}.</p>`;
}

function auditState(state: ReviewState | null): Html {
  if (!state) return html`<span class="muted">—</span>`;
  return html`<span class="mark-${state.status}">${STATUS_LABELS[state.status] ?? state.status}</span>${
    state.note ? html`<div class="note">${lines(state.note)}</div>` : ""
  }`;
}

/** The audit log's content: newest first; `truncated` when older entries were left out. */
export function auditMain(
  entries: readonly ReviewAuditEntry[],
  options: { changeId: string | null; truncated: boolean; limit: number },
): Html {
  const scope = options.changeId
    ? html`<p>Only change <span class="key">${options.changeId}</span>. <a href="/review/audit">All changes</a></p>`
    : "";
  const table = entries.length
    ? html`<table><thead><tr><th>When</th><th>Who</th><th>Change</th><th>Before</th><th>After</th></tr></thead><tbody>${entries.map(
        (e) =>
          html`<tr><td class="date">${instant(e.at)}</td><td>${e.userEmail}</td><td>${
            e.subject === null
              ? html`<span class="key">${e.changeId}</span> <span class="muted">(deleted)</span>`
              : html`${changeLink({ id: e.changeId, subject: e.subject })} <span class="muted">${e.jurisdiction}</span> <a href="/review/audit?change=${encodeURIComponent(e.changeId)}">history</a>`
          }</td><td>${auditState(e.before)}</td><td>${auditState(e.after)}</td></tr>`,
      )}</tbody></table>`
    : html`<p>${options.changeId ? "No review actions on this change yet." : "No review actions yet."}</p>`;
  return html`<nav class="actions"><a href="/review">Back to the review</a></nav>${scope}${table}${
    options.truncated ? html`<p class="muted">Only the newest ${options.limit} actions are shown.</p>` : ""
  }`;
}

/**
 * A whole, self-contained document for Chromium to print: the stylesheet
 * inlined and nothing else to load, so rendering the PDF fetches nothing.
 */
export function printDocument(title: string, lede: string, main: Html): string {
  // The stylesheet is this program's own constant (views/assets.ts), not data: it goes in as it is.
  const css = ASSETS[ASSET_PATHS.css]?.body ?? "";
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${title} — regwatch</title><style>${trusted(css)}</style></head>
<body><main><h1>${title}</h1><p class="lede">${lede}</p>${main}</main></body></html>`.markup;
}
