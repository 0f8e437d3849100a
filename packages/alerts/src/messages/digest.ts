import { JURISDICTIONS } from "@regwatch/core/jurisdictions";
import type { ChangeRecord } from "@regwatch/core/schemas";
import { escapeHtml } from "../escape.ts";
import type { Links } from "../links.ts";
import {
  cut,
  describeChange,
  headKey,
  htmlLink,
  listName,
  oneLine,
  safeLink,
  technologyName,
} from "./alert.ts";

export interface DigestSourceHealth {
  id: string;
  title: string;
  jurisdiction: string;
  /** Successful checks (fetches that got through, changed or not) in the period. */
  checks: number;
  /** Failed attempts in the period. */
  failures: number;
  /** Change records of this source in the period (all of them, not only the subscriber's). */
  changes: number;
  /** The last change ever detected in this source, or null. */
  lastChangeAt: Date | null;
  /** When regwatch started watching it. */
  registeredAt: Date;
  /** Health now: healthy | unreachable | stale | quarantined | broken | unknown, and why. */
  health: string;
  healthReason: string | null;
  /** Was it anything but healthy at some point of the period (a transition stored in it)? */
  unhealthyInPeriod: boolean;
}

export interface DigestInput {
  cadence: "daily" | "weekly";
  /** [start, end) */
  period: { start: Date; end: Date };
  /** The subscriber's IANA time zone (validated when the subscription was stored): dates shown in it. */
  timeZone: string;
  /** The subscriber's changes of the period, most important first: past the cap, the last ones are left to `allChangesUrl`. */
  changes: ChangeRecord[];
  sources: DigestSourceHealth[];
  links: Links;
  changeUrl: (id: string) => string;
  /** Every change of the period on the dashboard (filters in the URL), for "and N more". */
  allChangesUrl: string;
}

// Past a couple of hundred lines a digest is not read, it is searched: the
// dashboard does that better.
const MAX_LISTED = 200;
// Gmail clips HTML bodies over 102 KB and hides what follows: here the source
// health attestation and the unsubscribe link. The listed changes' markup
// stays under 80 KB (200 changes with long titles and URLs come close), which
// leaves room for the rest; past it the remaining changes go to the link.
const MAX_LIST_HTML = 80_000;
// Federal Register titles run to ~250 characters; the change's page has it whole.
const MAX_TITLE = 200;
// A health reason is an error message: its start says what went wrong.
const MAX_REASON = 200;
const OTHER_CHANGES = "Other changes";

const JURISDICTION_NAMES: Readonly<Record<string, string>> = JURISDICTIONS;

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
const byText = (a: string, b: string) => a.localeCompare(b, "en");

/** YYYY-MM-DD of an instant in `timeZone` (never the machine's); an unknown zone throws a RangeError. */
function dayFormat(timeZone: string): (d: Date) => string {
  const format = new Intl.DateTimeFormat("en-CA", {
    timeZone,
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
  });
  return (d) => {
    const parts = Object.fromEntries(format.formatToParts(d).map((p) => [p.type, p.value]));
    return `${parts.year}-${parts.month}-${parts.day}`;
  };
}

interface Period {
  first: string;
  last: string;
}

/** For the subject: "2026-11-22", "2026-11-16 – 11-22", "2026-12-28 – 2027-01-03". */
function shortPeriod({ first, last }: Period): string {
  if (first === last) return first;
  return `${first} – ${first.slice(0, 4) === last.slice(0, 4) ? last.slice(5) : last}`;
}

function subjectLine(input: DigestInput, period: Period): string {
  const tag = input.cadence === "daily" ? "[Daily]" : "[Weekly]";
  const n = input.changes.length;
  if (!n) return `${tag} No changes, ${shortPeriod(period)}`;
  const jurisdictions = new Set(input.changes.map((c) => c.jurisdiction)).size;
  return `${tag} ${plural(n, "change")} in ${plural(jurisdictions, "jurisdiction")}, ${shortPeriod(period)}`;
}

/** One listed change: what the alert's subject says of it, then its dates, citation and links. */
interface Item {
  change: ChangeRecord;
  heading: string;
  title: string;
  facts: string[];
  page: string | null;
  official: string | null;
}

interface Topic {
  name: string;
  items: Item[];
}

interface JurisdictionGroup {
  name: string;
  topics: Topic[];
}

function item(c: ChangeRecord, input: DigestInput, titles: Record<string, { title: string }>): Item {
  const facts: string[] = [];
  if (c.effectiveAt) facts.push(`Effective: ${oneLine(c.effectiveAt)}`);
  if (c.citation) facts.push(`Citation: ${oneLine(c.citation)}`);
  return {
    change: c,
    heading: `${listName(c.source, titles)} ${oneLine(headKey(c))}: ${describeChange(c)}`,
    title: cut(oneLine(c.title), MAX_TITLE),
    facts,
    page: safeLink(input.changeUrl(c.id)),
    official: safeLink(c.url),
  };
}

function jurisdictionName(code: string): string {
  const name = JURISDICTION_NAMES[code];
  return name ? `${name} (${code})` : oneLine(code);
}

/** By jurisdiction code, then by the name of the change's first technology, "Other changes" last. */
function groupItems(items: readonly Item[]): JurisdictionGroup[] {
  const byCode = new Map<string, Map<string, Item[]>>();
  for (const it of items) {
    const first = it.change.technologies[0];
    const topic = first ? technologyName(first) : OTHER_CHANGES;
    const topics = byCode.get(it.change.jurisdiction) ?? new Map<string, Item[]>();
    byCode.set(it.change.jurisdiction, topics.set(topic, [...(topics.get(topic) ?? []), it]));
  }
  const topicOrder = (a: string, b: string) =>
    (a === OTHER_CHANGES ? 1 : 0) - (b === OTHER_CHANGES ? 1 : 0) || byText(a, b);
  return [...byCode.keys()]
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    .map((code) => {
      const topics = byCode.get(code)!;
      return {
        name: jurisdictionName(code),
        topics: [...topics.keys()].sort(topicOrder).map((name) => ({ name, items: topics.get(name)! })),
      };
    });
}

/** What the sources did in the period: the attestation that they were watched. */
interface HealthReport {
  checked: string | null;
  unchanged: string[];
  unhealthy: string[];
  /** Said when no source needs attention. */
  allFine: string | null;
}

function problems(s: DigestSourceHealth): string[] {
  const out: string[] = [];
  if (s.checks === 0) out.push("not checked in this period");
  const health = oneLine(s.health) || "unknown";
  const reason = s.healthReason ? cut(oneLine(s.healthReason), MAX_REASON) : "";
  if (health !== "healthy") out.push(reason ? `${health} (${reason})` : health);
  else if (s.unhealthyInPeriod) out.push("not healthy at some point in this period, healthy now");
  if (out.length && s.failures > 0) out.push(plural(s.failures, "failed attempt"));
  return out;
}

function healthReport(
  sources: readonly DigestSourceHealth[],
  titles: Record<string, { title: string }>,
  day: (d: Date) => string,
): HealthReport {
  const sorted = [...sources].sort((a, b) => byText(oneLine(a.title), oneLine(b.title)));
  const checked = sorted
    .filter((s) => s.checks > 0)
    .map((s) => {
      const failed = s.failures > 0 ? `, ${plural(s.failures, "failed attempt")}` : "";
      return `${oneLine(s.title)} (${plural(s.checks, "check")}${failed})`;
    });

  // Sources sharing a date share a sentence; sentences go from the oldest date.
  const quiet = new Map<string, { date: string; names: string[] }>();
  for (const s of sorted.filter((s) => s.checks > 0 && s.changes === 0)) {
    const date = day(s.lastChangeAt ?? s.registeredAt);
    const since = s.lastChangeAt ? `since ${date}` : `since regwatch began watching on ${date}`;
    const entry = quiet.get(since) ?? { date, names: [] };
    entry.names.push(listName(s.id, titles));
    quiet.set(since, entry);
  }
  const unchanged = [...quiet.entries()]
    .sort(([sa, a], [sb, b]) => byText(a.date, b.date) || byText(sa, sb))
    .map(([since, { names }]) => `Nothing changed in ${names.sort(byText).join(", ")} ${since}.`);

  const unhealthy = sorted.flatMap((s) => {
    const found = problems(s);
    return found.length ? [`${oneLine(s.title)} (${oneLine(s.jurisdiction)}): ${found.join("; ")}`] : [];
  });

  const allFine =
    unhealthy.length > 0
      ? null
      : sources.length === 0
        ? "No sources were reported for this period."
        : sources.length === 1
          ? "The source was checked and healthy throughout the period."
          : `All ${sources.length} sources were checked and healthy throughout the period.`;
  return {
    checked: checked.length ? `Checked in this period: ${checked.join(", ")}.` : null,
    unchanged,
    unhealthy,
    allFine,
  };
}

interface Digest {
  label: string;
  subject: string;
  intro: string;
  summary: string;
  groups: JurisdictionGroup[];
  more: { count: number; url: string | null } | null;
  health: HealthReport;
  links: { unsubscribe: string | null; manage: string | null };
}

function build(input: DigestInput): Digest {
  const day = dayFormat(input.timeZone);
  const period = { first: day(input.period.start), last: day(new Date(input.period.end.getTime() - 1)) };
  const titles = Object.fromEntries(input.sources.map((s) => [s.id, { title: s.title }]));
  const items = input.changes.map((c) => item(c, input, titles));

  let listed = 0;
  let size = 0;
  for (const it of items) {
    if (listed === MAX_LISTED) break;
    size += htmlItem(it).length;
    if (size > MAX_LIST_HTML) break;
    listed++;
  }

  const n = items.length;
  const jurisdictions = new Set(input.changes.map((c) => c.jurisdiction)).size;
  const dates =
    period.first === period.last ? `on ${period.first}` : `from ${period.first} to ${period.last}`;
  return {
    label: `${input.cadence} digest`,
    subject: subjectLine(input, period),
    intro: `Changes regwatch detected ${dates} (dates in ${oneLine(input.timeZone)}).`,
    summary: n
      ? `${plural(n, "change")} in ${plural(jurisdictions, "jurisdiction")} matched your subscription.`
      : "No changes matched your subscription in this period.",
    groups: groupItems(items.slice(0, listed)),
    more: listed < n ? { count: n - listed, url: safeLink(input.allChangesUrl) } : null,
    health: healthReport(input.sources, titles, day),
    links: { unsubscribe: safeLink(input.links.unsubscribe), manage: safeLink(input.links.manage) },
  };
}

function moreLine(more: NonNullable<Digest["more"]>): string {
  return `… and ${plural(more.count, "more change")}`;
}

function textPart(d: Digest): string {
  const out: string[] = [`regwatch ${d.label}`, d.intro, d.summary, ""];
  for (const g of d.groups) {
    out.push(g.name, "=".repeat(g.name.length), "");
    for (const t of g.topics) {
      out.push(t.name, "-".repeat(t.name.length), "");
      for (const it of t.items) {
        out.push(`- ${it.heading} — ${it.title}`);
        if (it.facts.length) out.push(`  ${it.facts.join(" · ")}`);
        if (it.page) out.push(`  On regwatch: ${it.page}`);
        if (it.official) out.push(`  Official text: ${it.official}`);
        out.push("");
      }
    }
  }
  if (d.more) out.push(d.more.url ? `${moreLine(d.more)}: ${d.more.url}` : `${moreLine(d.more)}.`, "");
  out.push("----", "", "Source health", "");
  if (d.health.checked) out.push(d.health.checked);
  out.push(...d.health.unchanged);
  if (d.health.unhealthy.length) out.push("", "Unhealthy:", ...d.health.unhealthy.map((u) => `- ${u}`));
  if (d.health.allFine) out.push(d.health.allFine);
  out.push("", "----", "", `You receive this because you subscribed to the regwatch ${d.label}.`);
  if (d.links.unsubscribe) out.push(`Unsubscribe: ${d.links.unsubscribe}`);
  if (d.links.manage) out.push(`Manage your subscription: ${d.links.manage}`);
  return out.join("\n");
}

const MUTED_STYLE = "font-size:13px;color:#555555";
const SECTION_STYLE = "padding:16px 0;border-top:1px solid #dddddd";
const H2_STYLE = "margin:0 0 8px 0;font-size:18px;line-height:1.3;color:#1b1b1b";
const H3_STYLE = "margin:12px 0 6px 0;font-size:15px;line-height:1.3;color:#333333";
const LIST_STYLE = "margin:0;padding:0 0 0 20px";

function htmlItem(it: Item): string {
  const meta = [
    ...it.facts.map(escapeHtml),
    it.page ? htmlLink(it.page, "On regwatch") : null,
    it.official ? htmlLink(it.official, "Official text") : null,
  ]
    .filter(Boolean)
    .join(" · ");
  return `<li style="margin:0 0 10px 0"><b>${escapeHtml(it.heading)}</b> — ${escapeHtml(it.title)}${meta ? `<br><span style="${MUTED_STYLE}">${meta}</span>` : ""}</li>`;
}

function htmlGroup(g: JurisdictionGroup): string {
  const topics = g.topics
    .map(
      (t) =>
        `<h3 style="${H3_STYLE}">${escapeHtml(t.name)}</h3>\n<ul style="${LIST_STYLE}">${t.items.map(htmlItem).join("\n")}</ul>`,
    )
    .join("\n");
  return `<tr><td style="${SECTION_STYLE}">\n<h2 style="${H2_STYLE}">${escapeHtml(g.name)}</h2>\n${topics}\n</td></tr>`;
}

function htmlHealth(h: HealthReport): string {
  const paragraph = (text: string) => `<p style="margin:0 0 8px 0">${escapeHtml(text)}</p>`;
  const unhealthy = h.unhealthy.length
    ? `<p style="margin:12px 0 4px 0"><b>Unhealthy</b></p>\n<ul style="${LIST_STYLE}">${h.unhealthy.map((u) => `<li>${escapeHtml(u)}</li>`).join("")}</ul>`
    : "";
  const lines = [h.checked, ...h.unchanged].filter((l): l is string => l !== null).map(paragraph);
  if (h.allFine) lines.push(paragraph(h.allFine));
  return `<tr><td style="${SECTION_STYLE}">\n<h2 style="${H2_STYLE}">Source health</h2>\n${lines.join("\n")}${unhealthy}\n</td></tr>`;
}

function htmlPart(d: Digest): string {
  const footer = [
    d.links.unsubscribe ? htmlLink(d.links.unsubscribe, "Unsubscribe") : null,
    d.links.manage ? htmlLink(d.links.manage, "Manage your subscription") : null,
  ]
    .filter(Boolean)
    .join(" · ");
  const more = d.more
    ? `<tr><td style="padding:0 0 16px 0">${d.more.url ? htmlLink(d.more.url, moreLine(d.more)) : escapeHtml(`${moreLine(d.more)}.`)}</td></tr>`
    : "";
  return `<!doctype html><html><head><meta charset="utf-8"><meta name="color-scheme" content="light dark"><meta name="supported-color-schemes" content="light dark"><title>${escapeHtml(d.subject)}</title></head>
<body style="margin:0;padding:16px;font-family:Arial,Helvetica,sans-serif;font-size:15px;line-height:1.5;color:#1b1b1b;background-color:#ffffff">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="max-width:640px">
<tr><td style="padding:0 0 12px 0;${MUTED_STYLE}">regwatch · ${escapeHtml(d.label)}</td></tr>
<tr><td style="padding:0 0 16px 0"><p style="margin:0 0 4px 0">${escapeHtml(d.intro)}</p><p style="margin:0;font-weight:bold">${escapeHtml(d.summary)}</p></td></tr>
${d.groups.map(htmlGroup).join("\n")}
${more}
${htmlHealth(d.health)}
<tr><td style="padding:16px 0 0 0;border-top:1px solid #dddddd;${MUTED_STYLE}">You receive this because you subscribed to the regwatch ${escapeHtml(d.label)}.<br>${footer}</td></tr>
</table></body></html>`;
}

/**
 * The daily or weekly digest of one subscriber: the period's changes that
 * matched the subscription, by jurisdiction and technology, then the health of
 * every watched source. Sent even with no changes: it attests that the
 * sources were watched.
 */
export function digestMessage(input: DigestInput): { subject: string; text: string; html: string } {
  const d = build(input);
  return { subject: d.subject, text: textPart(d), html: htmlPart(d) };
}
