import { escapeHtml } from "@regwatch/alerts/escape";
import { describeChange, headKey, listName, oneLine, safeLink } from "@regwatch/alerts/messages/alert";
import { JURISDICTIONS } from "@regwatch/core/jurisdictions";
import type { ChangeRecord } from "@regwatch/core/schemas";
import { TECHNOLOGIES } from "@regwatch/core/taxonomy";

export interface ChangesAtomInput {
  /** Where this feed is served: its atom:id and its `self` link. */
  feedUrl: string;
  siteUrl: string;
  title: string;
  updated: Date;
  /** Rendered as given, newest first; the caller decides how many. */
  changes: readonly ChangeRecord[];
  /** The regwatch page of one change: each entry's atom:id and `alternate` link. */
  changeUrl: (id: string) => string;
}

// Characters XML 1.0 does not allow (§2.2 Char): C0 controls other than tab,
// LF and CR, U+FFFE/U+FFFF, and surrogates that are not half of a pair. Source
// text can hold them, and a single one makes the whole feed unparseable.
const NOT_XML_CHAR =
  /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

// CR is written as a reference: a parser turns a literal CR into LF (§2.11).
// In attributes tab and LF are too, or a parser turns them into spaces (§3.3.3).
const XML_TEXT_ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&apos;",
  "\r": "&#13;",
};
const XML_ATTRIBUTE_ESCAPES: Record<string, string> = { ...XML_TEXT_ESCAPES, "\t": "&#9;", "\n": "&#10;" };

/**
 * One line of source text for a title or summary. The characters XML forbids go
 * before `oneLine` collapses spaces, or removing one later leaves a double space.
 */
function line(text: string): string {
  return oneLine(text.replace(NOT_XML_CHAR, ""));
}

/** Text for element content: characters XML forbids removed, markup characters escaped. */
function xmlText(text: string): string {
  return text.replace(NOT_XML_CHAR, "").replace(/[&<>"'\r]/g, (c) => XML_TEXT_ESCAPES[c]!);
}

/** Text for a double-quoted attribute value. */
function xmlAttribute(text: string): string {
  return text.replace(NOT_XML_CHAR, "").replace(/[&<>"'\r\t\n]/g, (c) => XML_ATTRIBUTE_ESCAPES[c]!);
}

/** The URL, which must be absolute http(s): an atom:id or a feed link that is not would be a broken feed. */
function requireLink(url: string, what: string): string {
  const link = safeLink(url);
  if (!link)
    throw new Error(`changesAtom: ${what} must be an absolute http(s) URL, got ${JSON.stringify(url)}`);
  return link;
}

/** An RFC 3339 instant (atom:updated and atom:published need a full date-time). */
function rfc3339(iso: string, what: string): string {
  const time = Date.parse(iso);
  if (Number.isNaN(time)) throw new Error(`changesAtom: ${what} is not a date: ${JSON.stringify(iso)}`);
  return new Date(time).toISOString();
}

/** A calendar date (YYYY-MM-DD) as the start of that day in UTC; null when it is not a real date. */
function dateStart(date: string | null): string | null {
  if (!date || !/^\d{4}-\d{2}-\d{2}$/.test(date)) return null;
  const start = new Date(`${date}T00:00:00Z`);
  // Date.parse accepts "2024-02-30" as March 1st; a real date reads back the same.
  return !Number.isNaN(start.getTime()) && start.toISOString().startsWith(date) ? start.toISOString() : null;
}

function detectedTime(c: ChangeRecord): number {
  const time = Date.parse(c.detectedAt);
  if (Number.isNaN(time))
    throw new Error(`changesAtom: change ${c.id} has detectedAt ${JSON.stringify(c.detectedAt)}`);
  return time;
}

/** Newest detection first; the id orders changes detected in the same run, so renders are repeatable. */
function newestFirst(changes: readonly ChangeRecord[]): ChangeRecord[] {
  return changes
    .map((c) => ({ c, time: detectedTime(c) }))
    .sort((a, b) => b.time - a.time || (a.c.id < b.c.id ? -1 : a.c.id > b.c.id ? 1 : 0))
    .map(({ c }) => c);
}

/** "[US] CCL 3B001: paragraph c.1.a added — Equipment …": the alert subject's shape, with the change's own title. */
function entryTitle(c: ChangeRecord): string {
  return `[${c.jurisdiction}] ${listName(c.source, undefined)} ${line(headKey(c))}: ${describeChange(c)} — ${line(c.title)}`;
}

function entrySummary(c: ChangeRecord): string {
  const effective = c.effectiveAt ? `Effective ${c.effectiveAt}` : "Effective date not stated";
  const citation = c.citation ? `Citation: ${line(c.citation)}` : "No citation";
  return `${effective}. ${citation}.`;
}

// Bidi embeddings, overrides, isolates and marks, and C1 controls: in HTML
// they could reorder or hide what the reader sees of the source text.
const INVISIBLE_IN_HTML = /[\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** Source text as HTML: escaped, line breaks kept. */
function htmlText(text: string): string {
  return escapeHtml(text.replace(INVISIBLE_IN_HTML, "").replace(/\r\n?/g, "\n")).replace(/\n/g, "<br>");
}

function htmlBlock(label: string, body: string): string {
  return `<p><strong>${escapeHtml(label)}</strong></p><p>${body}</p>`;
}

/** The redline as HTML: the word diff when there is one, else the text before and after. */
function entryHtml(c: ChangeRecord): string {
  if (c.diff?.length) {
    const body = c.diff
      .map(([mark, text]) =>
        mark === "="
          ? htmlText(text)
          : mark === "-"
            ? `<del>${htmlText(text)}</del>`
            : `<ins>${htmlText(text)}</ins>`,
      )
      .join("");
    return htmlBlock("Changes", body);
  }
  const blocks: string[] = [];
  if (c.before)
    blocks.push(htmlBlock(c.after ? "Before" : "Removed text", `<del>${htmlText(c.before)}</del>`));
  if (c.after) {
    const label = c.before ? "After" : c.kind === "published" ? "Document" : "Added text";
    blocks.push(htmlBlock(label, `<ins>${htmlText(c.after)}</ins>`));
  }
  return blocks.join("");
}

function categories(c: ChangeRecord): string[] {
  const technology = (id: string) => (TECHNOLOGIES as Record<string, string>)[id] ?? id;
  const jurisdiction = JURISDICTIONS[c.jurisdiction] ?? c.jurisdiction;
  return [
    ...c.technologies.map(
      (id) => `<category term="${xmlAttribute(id)}" label="${xmlAttribute(technology(id))}"/>`,
    ),
    `<category term="${xmlAttribute(c.jurisdiction)}" label="${xmlAttribute(jurisdiction)}"/>`,
  ];
}

function entry(c: ChangeRecord, changeUrl: (id: string) => string): string {
  // The change page is the entry's id (RFC 4287 §4.2.6): change ids are content
  // hashes, so it is the same on every render. If the site moves, ids move with
  // it and readers show the entries again; a tag: URI would need an authority
  // we do not have here.
  const url = requireLink(changeUrl(c.id), `changeUrl(${JSON.stringify(c.id)})`);
  const official = safeLink(c.url);
  const updated = rfc3339(c.detectedAt, `detectedAt of change ${c.id}`);
  const lines = [
    "<entry>",
    `<id>${xmlText(url)}</id>`,
    `<title type="text">${xmlText(entryTitle(c))}</title>`,
    `<updated>${updated}</updated>`,
    `<published>${dateStart(c.publishedAt) ?? updated}</published>`,
    `<link rel="alternate" type="text/html" href="${xmlAttribute(url)}"/>`,
    ...(official ? [`<link rel="related" href="${xmlAttribute(official)}"/>`] : []),
    ...categories(c),
    `<summary type="text">${xmlText(entrySummary(c))}</summary>`,
    // The HTML is escaped here once, as XML text; the reader unescapes it once and renders the markup.
    `<content type="html">${xmlText(entryHtml(c))}</content>`,
    "</entry>",
  ];
  return lines.join("\n");
}

/** An Atom (RFC 4287) feed of changes, newest first. Pure: the caller picks the changes and serves the text. */
export function changesAtom(input: ChangesAtomInput): string {
  const feedUrl = requireLink(input.feedUrl, "feedUrl");
  const siteUrl = requireLink(input.siteUrl, "siteUrl");
  const lines = [
    '<?xml version="1.0" encoding="utf-8"?>',
    '<feed xmlns="http://www.w3.org/2005/Atom">',
    `<id>${xmlText(feedUrl)}</id>`,
    `<title type="text">${xmlText(line(input.title))}</title>`,
    `<updated>${input.updated.toISOString()}</updated>`,
    `<link rel="self" type="application/atom+xml" href="${xmlAttribute(feedUrl)}"/>`,
    `<link rel="alternate" type="text/html" href="${xmlAttribute(siteUrl)}"/>`,
    "<author><name>regwatch</name></author>",
    "<generator>regwatch</generator>",
    ...newestFirst(input.changes).map((c) => entry(c, input.changeUrl)),
    "</feed>",
  ];
  return `${lines.join("\n")}\n`;
}
