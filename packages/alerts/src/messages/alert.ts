import { COUNTRIES } from "@regwatch/core/countries";
import { JURISDICTIONS } from "@regwatch/core/jurisdictions";
import type { ChangeRecord, WordDiff } from "@regwatch/core/schemas";
import { TECHNOLOGIES } from "@regwatch/core/taxonomy";
import { escapeHtml } from "../escape.ts";
import type { Links } from "../links.ts";

export interface SourceStatus {
  title: string;
  health: string;
  lastSuccessAt: string | null;
}

export interface AlertInput {
  changes: ChangeRecord[];
  links: Links;
  sources?: Record<string, SourceStatus>;
}

// Mail clients cut long subjects around 60–80 characters on screen; 150 keeps
// the whole useful part in the header without folding it into a paragraph.
const MAX_SUBJECT = 150;
// One change's redline (or before/after) in full up to ~10 KB: a CCL paragraph
// is at most ~2 KB, so only rewritten entries and whole documents are cut.
const MAX_CHANGE_TEXT = 10_000;
// All changes of one message together. Gmail clips HTML bodies over 102 KB
// (and hides what follows, the unsubscribe link among it); the markup around
// the text roughly doubles its size, so the text itself stays well under.
const MAX_MESSAGE_TEXT = 40_000;
const SUBJECTS_LISTED = 3;
const CONTINUES = "… (continues: see the official text)";

// Short names of the lists we watch, as a compliance reader calls them.
const LIST_NAMES: Record<string, string> = {
  "us.ecfr.ccl": "CCL",
  "ca.export-control-list": "ECL",
  "us.federal-register": "Federal Register",
};

// Federal Register document types (its API's `type`), as a reader says them.
const DOCUMENT_TYPES: Record<string, string> = {
  rule: "final rule",
  "proposed rule": "proposed rule",
  notice: "notice",
  "presidential document": "presidential document",
};

const COUNTRY_NAMES = new Map(COUNTRIES.map((c) => [c.code, c.name]));

// C0 and C1 controls, DEL, and the invisible characters that reorder or hide
// text (bidi overrides and isolates, zero-width joiners): source text must not
// be able to forge what the reader sees.
const INVISIBLE =
  /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]/g;

/** One line of plain text: no control characters, no line breaks, spaces collapsed. */
export function oneLine(text: string): string {
  return text.replace(INVISIBLE, "").replace(/\s+/g, " ").trim();
}

/** Body text: controls out, line breaks kept as "\n". */
function bodyText(text: string): string {
  return text.replace(/\r\n?|[\u2028\u2029\u0085]/g, "\n").replace(INVISIBLE, "");
}

/** Cut to at most `max` characters, ending with "…"; never between the halves of a surrogate pair. */
export function cut(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = max - 1;
  if (/[\ud800-\udbff]/.test(text.charAt(end - 1))) end--;
  return `${text.slice(0, end).trimEnd()}…`;
}

/** The link if it is http(s), normalized (spaces and quotes percent-encoded); anything else is dropped. */
export function safeLink(url: string | null | undefined): string | null {
  if (!url) return null;
  try {
    const parsed = new URL(url.trim());
    return parsed.protocol === "http:" || parsed.protocol === "https:" ? parsed.href : null;
  } catch {
    return null;
  }
}

/** The short name of a list ("CCL"), else its source's title, else a name made from its id. */
export function listName(
  source: string,
  sources: Readonly<Record<string, { title: string }>> | undefined,
): string {
  const known = LIST_NAMES[source];
  if (known) return known;
  const title = sources?.[source]?.title;
  if (title) return oneLine(title);
  const last = source.split(".").pop() ?? source;
  return last.length <= 4 ? last.toUpperCase() : last.replace(/-/g, " ");
}

export function technologyName(id: string): string {
  return (TECHNOLOGIES as Record<string, string>)[id] ?? id;
}

/** "Semiconductor manufacturing equipment" → "semiconductor manufacturing equipment"; acronyms keep their case. */
function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}

const isDocument = (c: ChangeRecord) => c.stage !== null;

/**
 * A list key as its top-level entry and the part below it: "3B001.c.1.a" →
 * ["3B001", "c.1.a"], "5506(2)(c)" → ["5506", "(2)(c)"], "s.1:Guide" →
 * ["s.1", ":Guide"], "740.24(a)" → ["740.24", "(a)"]. Section numbers ("s.1",
 * CFR "740.24") keep their dot; a CCL key's first dot starts the paragraph.
 */
function splitKey(key: string): [string, string] {
  const root = /^(?:\d+\.\d+(?=[(:]|$)|[a-z]{1,2}\.\d+|[^.(:]+)/i.exec(key)?.[0] ?? key;
  return [root, key.slice(root.length).replace(/^\./, "")];
}

/** The entry, or the document id, a change is about: what the subject line and headings name. */
export function headKey(c: ChangeRecord): string {
  if (isDocument(c)) return c.subject;
  // A top-level entry is its own root, whatever its key looks like.
  if (c.details && c.details.parentKey === null) return c.subject;
  return splitKey(c.subject)[0];
}

function documentType(c: ChangeRecord): string {
  const type = typeof c.details?.documentType === "string" ? c.details.documentType : "";
  return DOCUMENT_TYPES[type.toLowerCase()] ?? (oneLine(type).toLowerCase() || "document");
}

/** What a part below an entry is called: paragraph, definition, note. */
function partName(part: string): string {
  if (part.startsWith(":")) return `definition "${part.slice(1)}"`;
  const note = /^(.*?)\.?note(?:\.(.+))?$/.exec(part);
  if (note) {
    const which = note[2] ? `note ${note[2]}` : "note";
    return note[1] ? `${which} to paragraph ${note[1]}` : which;
  }
  return `paragraph ${part}`;
}

/**
 * What happened, in a few words: "paragraph c.1.a added", "entry removed",
 * "text amended", "new final rule published". Used in the subject line and
 * as the heading of each change.
 */
export function describeChange(change: ChangeRecord): string {
  if (isDocument(change)) {
    const type = documentType(change);
    if (change.kind === "published") {
      return change.stage === "public-inspection"
        ? `new ${type} on public inspection`
        : `new ${type} published`;
    }
    return `${type} ${change.kind === "modified" ? "amended" : change.kind}`;
  }
  const part = headKey(change) === change.subject ? "" : splitKey(change.subject)[1];
  const verb = change.kind === "modified" ? "amended" : change.kind;
  if (!part) {
    return change.kind === "modified" ? "text amended" : `entry ${verb}`;
  }
  return oneLine(`${partName(part)} ${verb}`);
}

function unique<T>(items: readonly T[]): T[] {
  return [...new Set(items)];
}

function firstTechnology(changes: readonly ChangeRecord[]): string | null {
  const id = changes.flatMap((c) => c.technologies)[0];
  return id ? lowerFirst(technologyName(id)) : null;
}

function subjectLine(changes: readonly ChangeRecord[], sources: AlertInput["sources"]): string {
  const jurisdictions = unique(changes.map((c) => c.jurisdiction)).join(", ");
  const lists = unique(changes.map((c) => listName(c.source, sources))).join(", ");
  const technology = firstTechnology(changes);
  const first = changes[0]!;
  let line: string;
  if (changes.length === 1) {
    line = `[${jurisdictions}] ${lists} ${oneLine(headKey(first))}: ${describeChange(first)} — ${technology ?? oneLine(first.title)}`;
  } else {
    const keys = unique(changes.map((c) => oneLine(c.subject)));
    const listed = keys.slice(0, SUBJECTS_LISTED).join(", ") + (keys.length > SUBJECTS_LISTED ? ", …" : "");
    const citations = unique(changes.map((c) => c.citation));
    const citation = citations.length === 1 && citations[0] ? oneLine(citations[0]) : null;
    line = [`[${jurisdictions}] ${lists}: ${changes.length} changes (${listed})`, technology, citation]
      .filter(Boolean)
      .join(" — ");
  }
  return cut(oneLine(line), MAX_SUBJECT);
}

function formatInstant(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? oneLine(iso) : `${d.toISOString().slice(0, 16).replace("T", " ")} UTC`;
}

function healthLine(c: ChangeRecord, sources: AlertInput["sources"]): string | null {
  const s = sources?.[c.source];
  if (!s) return null;
  const checked = s.lastSuccessAt
    ? `last checked ${formatInstant(s.lastSuccessAt)}`
    : "never checked successfully";
  return `Source: ${oneLine(s.title)} — ${oneLine(s.health)}, ${checked}`;
}

/** The label/value facts of one change, in the order a reviewer reads them. */
function facts(c: ChangeRecord): [string, string][] {
  const rows: [string, string][] = [
    ["Effective", c.effectiveAt ?? "not stated"],
    ["Published", c.publishedAt ?? "not stated"],
  ];
  if (c.citation) rows.push(["Citation", oneLine(c.citation)]);
  rows.push(["Jurisdiction", `${JURISDICTIONS[c.jurisdiction] ?? c.jurisdiction} (${c.jurisdiction})`]);
  if (c.technologies.length) rows.push(["Technologies", c.technologies.map(technologyName).join(", ")]);
  if (c.countries.length) {
    rows.push(["Affected countries", c.countries.map((code) => COUNTRY_NAMES.get(code) ?? code).join(", ")]);
  }
  return rows;
}

type Mark = "=" | "+" | "-";

/** A block of text shown for a change: a redline, or one side in full. */
interface Block {
  label: string;
  /** A word diff (marks shown), or one side in full (plain: the label says which). */
  redline: boolean;
  parts: [Mark, string][];
  truncated: boolean;
}

/** Parts up to `budget` characters of text; the last one cut if needed. */
function takeParts(
  parts: readonly [Mark, string][],
  budget: number,
): { parts: [Mark, string][]; truncated: boolean } {
  const out: [Mark, string][] = [];
  let left = budget;
  for (const [mark, raw] of parts) {
    const text = bodyText(raw);
    if (text.length <= left) {
      out.push([mark, text]);
      left -= text.length;
      continue;
    }
    let end = Math.max(0, left);
    if (end > 0 && /[\ud800-\udbff]/.test(text.charAt(end - 1))) end--;
    if (end > 0) out.push([mark, text.slice(0, end)]);
    return { parts: out, truncated: true };
  }
  return { parts: out, truncated: false };
}

function blocks(c: ChangeRecord, budget: number): Block[] {
  const perChange = Math.min(MAX_CHANGE_TEXT, budget);
  const block = (label: string, parts: readonly [Mark, string][], limit = perChange): Block => ({
    label,
    redline: false,
    ...takeParts(parts, limit),
  });
  if (c.diff?.length) return [{ ...block("Changes", c.diff as WordDiff), redline: true }];
  const before = c.before ? ([["-", c.before]] as [Mark, string][]) : null;
  const after = c.after ? ([["+", c.after]] as [Mark, string][]) : null;
  if (before && after) {
    const half = Math.min(MAX_CHANGE_TEXT, Math.floor(budget / 2));
    return [block("Before", before, half), block("After", after, half)];
  }
  if (after) return [block(c.kind === "published" ? "Document" : "Added text", after)];
  if (before) return [block("Removed text", before)];
  return [];
}

function blockLength(b: Block): number {
  return b.parts.reduce((n, [, t]) => n + t.length, 0);
}

interface Section {
  change: ChangeRecord;
  heading: string;
  title: string;
  blocks: Block[];
  url: string | null;
  health: string | null;
}

function sections(input: AlertInput): Section[] {
  let budget = MAX_MESSAGE_TEXT;
  return input.changes.map((c) => {
    const bs = blocks(c, Math.max(0, budget));
    budget -= bs.reduce((n, b) => n + blockLength(b), 0);
    return {
      change: c,
      heading: `${oneLine(headKey(c))}: ${describeChange(c)}`,
      title: oneLine(c.title),
      blocks: bs,
      url: safeLink(c.url),
      health: healthLine(c, input.sources),
    };
  });
}

function textRedline(b: Block): string {
  return b.parts
    .map(([mark, t]) => (!b.redline || mark === "=" ? t : mark === "-" ? `[-${t}-]` : `{+${t}+}`))
    .join("");
}

function textPart(all: Section[], links: Links): string {
  const out: string[] = [];
  for (const s of all) {
    out.push(s.heading, s.title, "");
    for (const b of s.blocks) {
      out.push(b.redline ? "Changes ([-removed-] {+added+}):" : `${b.label}:`, textRedline(b));
      if (b.truncated) out.push(`${CONTINUES}${s.url ? `: ${s.url}` : ""}`);
      out.push("");
    }
    for (const [label, value] of facts(s.change)) out.push(`${label}: ${value}`);
    if (s.url) out.push(`Official text: ${s.url}`);
    if (s.health) out.push(s.health);
    out.push("", "----", "");
  }
  const unsubscribe = safeLink(links.unsubscribe);
  const manage = safeLink(links.manage);
  out.push("You receive this because you subscribed to regwatch alerts.");
  if (unsubscribe) out.push(`Unsubscribe: ${unsubscribe}`);
  if (manage) out.push(`Manage your subscription: ${manage}`);
  return out.join("\n");
}

// Red and green on a light tint of their own: the pair keeps its contrast
// (over 6:1) when a client darkens the page, and the strike/underline carry
// the meaning for readers who cannot tell the colours apart.
const DEL_STYLE = "color:#a50e0e;background-color:#fde7e9;text-decoration:line-through";
const INS_STYLE = "color:#0b6b2b;background-color:#e3f5e6;text-decoration:underline";
const LABEL_STYLE =
  "padding:2px 16px 2px 0;color:#555555;font-weight:normal;text-align:left;vertical-align:top;white-space:nowrap";
const VALUE_STYLE = "padding:2px 0;color:#1b1b1b;font-weight:bold;vertical-align:top";
const LINK_STYLE = "color:#0b5394";

/** Escaped text with line breaks as <br>: clients that ignore white-space:pre-wrap still show the lines. */
function htmlText(text: string): string {
  return escapeHtml(text).replace(/\n/g, "<br>");
}

/** A link to a URL that already went through `safeLink`; the label is escaped. */
export function htmlLink(url: string, label: string): string {
  return `<a href="${escapeHtml(url)}" style="${LINK_STYLE}">${escapeHtml(label)}</a>`;
}

function htmlBlock(b: Block, s: Section): string {
  const body = b.parts
    .map(([mark, t]) =>
      !b.redline || mark === "="
        ? htmlText(t)
        : mark === "-"
          ? `<del style="${DEL_STYLE}">${htmlText(t)}</del>`
          : `<ins style="${INS_STYLE}">${htmlText(t)}</ins>`,
    )
    .join("");
  const more = b.truncated
    ? `<p style="margin:8px 0 0 0;color:#555555">${s.url ? htmlLink(s.url, CONTINUES) : escapeHtml(CONTINUES)}</p>`
    : "";
  const label = b.redline
    ? `Changes: <del style="${DEL_STYLE}">removed</del> <ins style="${INS_STYLE}">added</ins>`
    : escapeHtml(b.label);
  return `<p style="margin:12px 0 4px 0;font-size:13px;color:#555555">${label}</p>
<div style="padding:12px;border:1px solid #dddddd;border-radius:4px;font-size:14px;line-height:1.6;color:#1b1b1b;background-color:#fafafa;word-wrap:break-word;overflow-wrap:break-word">${body}</div>${more}`;
}

function htmlSection(s: Section): string {
  const rows = facts(s.change)
    .map(
      ([l, v]) =>
        `<tr><th style="${LABEL_STYLE}">${escapeHtml(l)}</th><td style="${VALUE_STYLE}">${escapeHtml(v)}</td></tr>`,
    )
    .join("");
  const official = s.url
    ? `<tr><th style="${LABEL_STYLE}">Official text</th><td style="${VALUE_STYLE}">${htmlLink(s.url, s.url)}</td></tr>`
    : "";
  const health = s.health
    ? `<p style="margin:12px 0 0 0;font-size:13px;color:#555555">${escapeHtml(s.health)}</p>`
    : "";
  return `<tr><td style="padding:16px 0;border-top:1px solid #dddddd">
<h2 style="margin:0 0 4px 0;font-size:18px;line-height:1.3;color:#1b1b1b">${escapeHtml(s.heading)}</h2>
<p style="margin:0 0 12px 0;color:#333333">${escapeHtml(s.title)}</p>
<table role="presentation" cellpadding="0" cellspacing="0" style="font-size:14px;border-collapse:collapse">${rows}${official}</table>
${s.blocks.map((b) => htmlBlock(b, s)).join("\n")}${health}
</td></tr>`;
}

function htmlPart(subject: string, all: Section[], links: Links): string {
  const unsubscribe = safeLink(links.unsubscribe);
  const manage = safeLink(links.manage);
  const footer = [
    unsubscribe ? htmlLink(unsubscribe, "Unsubscribe") : null,
    manage ? htmlLink(manage, "Manage your subscription") : null,
  ]
    .filter(Boolean)
    .join(" · ");
  return `<!doctype html><html><head><meta charset="utf-8"><meta name="color-scheme" content="light dark"><meta name="supported-color-schemes" content="light dark"><title>${escapeHtml(subject)}</title></head>
<body style="margin:0;padding:16px;font-family:Arial,Helvetica,sans-serif;font-size:15px;line-height:1.5;color:#1b1b1b;background-color:#ffffff">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="max-width:640px">
<tr><td style="padding:0 0 12px 0;font-size:13px;color:#555555">regwatch · ${all.length === 1 ? "1 change" : `${all.length} changes`}</td></tr>
${all.map(htmlSection).join("\n")}
<tr><td style="padding:16px 0 0 0;border-top:1px solid #dddddd;font-size:13px;color:#555555">You receive this because you subscribed to regwatch alerts.<br>${footer}</td></tr>
</table></body></html>`;
}

/**
 * The alert for one subscriber about the changes of one instrument in one run:
 * a subject that says what happened, then each change with its facts and redline.
 */
export function alertMessage(input: AlertInput): { subject: string; text: string; html: string } {
  if (!input.changes.length) throw new Error("alertMessage needs at least one change");
  const subject = subjectLine(input.changes, input.sources);
  const all = sections(input);
  return { subject, text: textPart(all, input.links), html: htmlPart(subject, all, input.links) };
}
