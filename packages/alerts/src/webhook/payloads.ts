// The body of a webhook post, in the format the subscriber chose: our own
// JSON (for programs), a Slack incoming-webhook message or a Teams (Workflows)
// Adaptive Card. Source text reaches chat clients that turn markup into links
// and mentions, so every piece of it is stripped of control characters and
// escaped for the format it lands in: it can never become a link, a mention
// or formatting of its own.

import type { ChangeRecord, WordDiff } from "@regwatch/core/schemas";
import { cut, describeChange, oneLine, safeLink } from "../messages/alert.ts";

export interface WebhookContent {
  kind: "immediate" | "digest";
  /** The delivery's stable id (its Message-ID without angle brackets): receivers dedupe on it. */
  deliveryId: string;
  /** The same as the email's subject. */
  subject: string;
  /** May be empty for a digest. */
  changes: ChangeRecord[];
  period?: { start: Date; end: Date } | null;
  /** Regwatch's own page of a change. */
  changeUrl: (id: string) => string;
  manageUrl: string;
  unsubscribeUrl: string;
}

export const WEBHOOK_FORMATS = ["json", "slack", "teams"] as const;
export type WebhookFormat = (typeof WEBHOOK_FORMATS)[number];

/** The JSON text to post for `content` in `format`. */
export function webhookBody(format: WebhookFormat, content: WebhookContent): string {
  if (content.kind === "immediate" && content.changes.length === 0) {
    throw new Error("an immediate webhook needs at least one change");
  }
  switch (format) {
    case "json":
      return JSON.stringify(jsonPayload(content));
    case "slack":
      return JSON.stringify(slackPayload(content));
    case "teams":
      return JSON.stringify(teamsPayload(content));
    default:
      throw new Error(`unknown webhook format ${JSON.stringify(format)}`);
  }
}

// ---------------------------------------------------------------- text

/**
 * Source text escaped by `escapeChar` and cut to at most `max` characters of
 * output, ending with "…" when cut. Cutting after escaping could split an
 * escape ("&am"), so characters are escaped one at a time until the budget is
 * spent.
 */
function escapedWithin(text: string, max: number, escapeChar: (char: string) => string): string {
  const chars = Array.from(oneLine(text));
  let out = "";
  for (let i = 0; i < chars.length; i++) {
    const piece = escapeChar(chars[i]!);
    const room = i === chars.length - 1 ? max : max - 1;
    if (out.length + piece.length > room) return `${out.trimEnd()}…`;
    out += piece;
  }
  return out;
}

/** "2024-09-06 12:00 UTC" */
function formatInstant(d: Date): string {
  return `${d.toISOString().slice(0, 16).replace("T", " ")} UTC`;
}

function periodLine(period: WebhookContent["period"]): string | null {
  return period ? `${formatInstant(period.start)} – ${formatInstant(period.end)}` : null;
}

const countChanges = (n: number) => (n === 1 ? "1 change" : `${n} changes`);
const moreLine = (n: number) => `…and ${n} more ${n === 1 ? "change" : "changes"}, not listed here.`;

// ---------------------------------------------------------------- json

// A post carries at most this many changes; the rest are counted in
// `truncated`. A digest of a busy week stays one request a receiver accepts.
const MAX_JSON_CHANGES = 100;
// Text (diff or before/after) of one change, and of all changes of one post.
// A Federal Register document can be megabytes; receivers (Zapier, Power
// Automate, small servers) commonly refuse bodies over a few MB, and the
// record's `url` and regwatch's page have the full text.
const MAX_JSON_CHANGE_TEXT = 50_000;
const MAX_JSON_TEXT = 1_000_000;

interface JsonChange {
  id: string;
  /** Regwatch's page of the change. */
  url: string;
  /** The official text (the publisher's page), when the source gives one. */
  officialUrl: string | null;
  jurisdiction: string;
  source: string;
  kind: ChangeRecord["kind"];
  stage: ChangeRecord["stage"];
  subject: string;
  title: string;
  /** What happened in a few words, as the email's heading says it. */
  summary: string;
  technologies: string[];
  countries: string[];
  publishedAt: string | null;
  effectiveAt: string | null;
  detectedAt: string;
  citation: string | null;
  wassenaarCategory: string | null;
  /** Word diff, when the record has one: then `before`/`after` are left out. */
  diff: WordDiff | null;
  before?: string | null;
  after?: string | null;
  /** True when `diff`, `before` or `after` was cut to keep the post small. */
  textTruncated: boolean;
}

interface JsonPayload {
  type: "regwatch.alert" | "regwatch.digest";
  id: string;
  subject: string;
  period: { start: string; end: string } | null;
  changes: JsonChange[];
  /** Changes left out of `changes` (over 100); absent when none were. */
  truncated?: number;
  manageUrl: string;
  unsubscribeUrl: string;
}

/** Parts of a diff up to `budget` characters of text; the last one cut if needed. */
function takeDiff(diff: WordDiff, budget: number): { diff: WordDiff; cut: boolean } {
  const out: WordDiff = [];
  let left = budget;
  for (const [mark, text] of diff) {
    if (text.length <= left) {
      out.push([mark, text]);
      left -= text.length;
      continue;
    }
    if (left > 0) out.push([mark, cut(text, left)]);
    return { diff: out, cut: true };
  }
  return { diff: out, cut: false };
}

function jsonChange(c: ChangeRecord, content: WebhookContent, budget: number): [JsonChange, number] {
  const limit = Math.max(0, Math.min(MAX_JSON_CHANGE_TEXT, budget));
  const base = {
    id: c.id,
    url: content.changeUrl(c.id),
    officialUrl: safeLink(c.url),
    jurisdiction: c.jurisdiction,
    source: c.source,
    kind: c.kind,
    stage: c.stage,
    subject: c.subject,
    title: c.title,
    summary: describeChange(c),
    technologies: c.technologies,
    countries: c.countries,
    publishedAt: c.publishedAt,
    effectiveAt: c.effectiveAt,
    detectedAt: c.detectedAt,
    citation: c.citation,
    wassenaarCategory: c.wassenaarCategory,
  };
  if (c.diff?.length) {
    const taken = takeDiff(c.diff, limit);
    const used = taken.diff.reduce((n, [, t]) => n + t.length, 0);
    return [{ ...base, diff: taken.diff, textTruncated: taken.cut }, used];
  }
  const half = c.before && c.after ? Math.floor(limit / 2) : limit;
  // With the post's budget spent, a change keeps its facts and links but no text.
  const side = (text: string | null) =>
    text === null || text.length <= half ? text : half < 2 ? null : cut(text, half);
  const before = side(c.before);
  const after = side(c.after);
  const truncated = before !== c.before || after !== c.after;
  return [
    { ...base, diff: null, before, after, textTruncated: truncated },
    (before?.length ?? 0) + (after?.length ?? 0),
  ];
}

function jsonPayload(content: WebhookContent): JsonPayload {
  let budget = MAX_JSON_TEXT;
  const changes = content.changes.slice(0, MAX_JSON_CHANGES).map((c) => {
    const [change, used] = jsonChange(c, content, budget);
    budget -= used;
    return change;
  });
  const left = content.changes.length - changes.length;
  return {
    type: content.kind === "digest" ? "regwatch.digest" : "regwatch.alert",
    id: content.deliveryId,
    subject: content.subject,
    period: content.period
      ? { start: content.period.start.toISOString(), end: content.period.end.toISOString() }
      : null,
    changes,
    ...(left > 0 ? { truncated: left } : {}),
    manageUrl: content.manageUrl,
    unsubscribeUrl: content.unsubscribeUrl,
  };
}

// ---------------------------------------------------------------- slack

// Slack refuses a message with more than 50 blocks; 45 leaves room for the
// footer and for a block or two added here later without recounting.
const MAX_SLACK_BLOCKS = 45;
// Slack's limit for a section's text (and any mrkdwn text object).
const MAX_SLACK_SECTION = 3000;
// Per-piece budgets of one change's section, in escaped characters. Their sum
// with the fixed text (about 100 characters) stays under MAX_SLACK_SECTION, so
// a section is never refused whatever the source says.
const SLACK_KEY = 150;
const SLACK_SUMMARY = 200;
const SLACK_TITLE = 1000;
const SLACK_CITATION = 200;
const SLACK_URL = 600;
const SLACK_DATE = 20;

/** Slack's three control characters as its formatting docs ask: text can then never form `<link>` or `<!channel>`. */
function slackChar(char: string): string {
  return char === "&" ? "&amp;" : char === "<" ? "&lt;" : char === ">" ? "&gt;" : char;
}

function slackText(text: string, max: number): string {
  return escapedWithin(text, max, slackChar);
}

/** A URL to put inside `<url|label>`: http(s) only, short enough, and with nothing that ends the link early. */
function slackUrl(url: string | null | undefined): string | null {
  const safe = safeLink(url);
  if (!safe || safe.length > SLACK_URL) return null;
  return safe.replace(/\|/g, "%7C").replace(/&/g, "&amp;").replace(/</g, "%3C").replace(/>/g, "%3E");
}

function slackLink(url: string | null | undefined, label: string): string {
  const href = slackUrl(url);
  return href ? `<${href}|${label}>` : label;
}

/**
 * A mrkdwn text object. `verbatim` stops Slack's own preprocessing, which
 * would otherwise turn a bare "@channel", "#general" or URL in source text
 * into a mention or link.
 */
function mrkdwn(text: string) {
  return { type: "mrkdwn", text, verbatim: true };
}

function slackChangeText(c: ChangeRecord, content: WebhookContent): string {
  const key = `*${slackLink(content.changeUrl(c.id), slackText(c.subject, SLACK_KEY))}*`;
  const head = `${key}: ${slackText(describeChange(c), SLACK_SUMMARY)} — ${slackText(c.title, SLACK_TITLE)}`;
  const facts = [
    `Effective: ${slackText(c.effectiveAt ?? "not stated", SLACK_DATE)}`,
    c.citation ? `Citation: ${slackText(c.citation, SLACK_CITATION)}` : null,
    safeLink(c.url) ? slackLink(c.url, "Official text") : null,
  ].filter((x): x is string => x !== null);
  return `${head}\n${facts.join(" · ")}`;
}

function slackPayload(content: WebhookContent) {
  const blocks: object[] = [{ type: "section", text: mrkdwn(`*${slackText(content.subject, 300)}*`) }];
  const period = periodLine(content.period);
  const about = [
    content.kind === "digest" ? `Digest · ${countChanges(content.changes.length)}` : null,
    period ? `Period: ${period}` : null,
  ].filter((x): x is string => x !== null);
  if (about.length) blocks.push({ type: "context", elements: [mrkdwn(about.join(" · "))] });
  if (content.changes.length === 0) {
    blocks.push({ type: "section", text: mrkdwn("No changes in this period.") });
  }
  // One slot is kept for the "more" line whenever not every change fits.
  const room = MAX_SLACK_BLOCKS - blocks.length;
  const listed = content.changes.length <= room ? content.changes : content.changes.slice(0, room - 1);
  for (const c of listed) {
    blocks.push({ type: "section", text: mrkdwn(cut(slackChangeText(c, content), MAX_SLACK_SECTION)) });
  }
  const left = content.changes.length - listed.length;
  if (left > 0) {
    blocks.push({
      type: "section",
      text: mrkdwn(moreLine(left)),
    });
  }
  blocks.push({
    type: "context",
    elements: [
      mrkdwn(
        `${slackLink(content.manageUrl, "Manage subscription")} · ${slackLink(content.unsubscribeUrl, "Unsubscribe")}`,
      ),
    ],
  });
  // `text` is what notifications and clients without blocks show.
  return { text: slackText(content.subject, 300), blocks };
}

// ---------------------------------------------------------------- teams

// Teams refuses webhook posts over 28 KB; the card stays under 25 KB of JSON
// so the envelope and Teams' own additions fit.
const MAX_TEAMS_BYTES = 25_000;
// Room kept for the "and N more" line whenever not every change fits.
const TEAMS_MORE_RESERVE = 300;
const TEAMS_KEY = 150;
const TEAMS_TITLE = 500;
const TEAMS_FACT = 200;
const TEAMS_URL = 1000;

// What Adaptive Card markdown (a CommonMark subset, in TextBlock and FactSet
// text) acts on: emphasis, links and images, headings, quotes, code, and `{{`
// for its DATE()/TIME() functions. A backslash before any ASCII punctuation
// shows the character itself.
const TEAMS_MARKDOWN = /[\\`*_[\]()#>!<~{}|]/;

function teamsChar(char: string): string {
  return TEAMS_MARKDOWN.test(char) ? `\\${char}` : char;
}

function teamsText(text: string, max: number): string {
  return escapedWithin(text, max, teamsChar);
}

/** A URL for a markdown link: http(s) only, with the characters that end `(url)` percent-encoded. */
function teamsUrl(url: string | null | undefined): string | null {
  const safe = safeLink(url);
  if (!safe || safe.length > TEAMS_URL) return null;
  return safe.replace(/[()<>\s]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, "0")}`);
}

function teamsLink(url: string | null | undefined, label: string): string {
  const href = teamsUrl(url);
  return href ? `[${label}](${href})` : label;
}

function textBlock(text: string, extra: Record<string, unknown> = {}) {
  return { type: "TextBlock", text, wrap: true, ...extra };
}

function teamsChange(c: ChangeRecord, content: WebhookContent) {
  const facts = [
    { title: "Effective", value: teamsText(c.effectiveAt ?? "not stated", TEAMS_FACT) },
    ...(c.citation ? [{ title: "Citation", value: teamsText(c.citation, TEAMS_FACT) }] : []),
    { title: "Jurisdiction", value: teamsText(c.jurisdiction, TEAMS_FACT) },
  ];
  const official = teamsUrl(c.url);
  return {
    type: "Container",
    separator: true,
    items: [
      textBlock(
        `${teamsLink(content.changeUrl(c.id), `**${teamsText(c.subject, TEAMS_KEY)}**`)}: ${teamsText(describeChange(c), TEAMS_FACT)}`,
      ),
      textBlock(teamsText(c.title, TEAMS_TITLE), { spacing: "None" }),
      { type: "FactSet", facts },
      ...(official ? [textBlock(`[Official text](${official})`, { isSubtle: true, spacing: "Small" })] : []),
    ],
  };
}

function byteLength(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value), "utf8");
}

function teamsPayload(content: WebhookContent) {
  const body: object[] = [textBlock(teamsText(content.subject, 300), { size: "Medium", weight: "Bolder" })];
  const period = periodLine(content.period);
  const about = [
    content.kind === "digest" ? `Digest · ${countChanges(content.changes.length)}` : null,
    period ? `Period: ${period}` : null,
  ].filter((x): x is string => x !== null);
  if (about.length) body.push(textBlock(about.join(" · "), { isSubtle: true, spacing: "None" }));
  if (content.changes.length === 0) body.push(textBlock("No changes in this period."));

  const actions = [
    { type: "Action.OpenUrl", title: "Manage subscription", url: content.manageUrl },
    { type: "Action.OpenUrl", title: "Unsubscribe", url: content.unsubscribeUrl },
  ].filter((a) => safeLink(a.url) !== null);
  const envelope = {
    type: "message",
    attachments: [
      {
        contentType: "application/vnd.microsoft.card.adaptive",
        contentUrl: null,
        content: {
          $schema: "http://adaptivecards.io/schemas/adaptive-card.json",
          type: "AdaptiveCard",
          version: "1.4",
          body,
          actions,
        },
      },
    ],
  };

  // Changes go in while the whole message stays under the limit; the reserve
  // is only needed when some are left out, so the last change may use it.
  let size = byteLength(envelope);
  let listed = 0;
  for (const c of content.changes) {
    const item = teamsChange(c, content);
    const added = byteLength(item) + 1;
    const isLast = listed === content.changes.length - 1;
    if (size + added + (isLast ? 0 : TEAMS_MORE_RESERVE) > MAX_TEAMS_BYTES) break;
    body.push(item);
    size += added;
    listed++;
  }
  const left = content.changes.length - listed;
  if (left > 0) {
    body.push(
      textBlock(moreLine(left), {
        separator: true,
        isSubtle: true,
      }),
    );
  }
  return envelope;
}
