import { escapeHtml } from "../escape.ts";
import { oneLine } from "./alert.ts";

/** The transitions an operator is told about, by what they must do. */
export type OperatorTransition = "failing" | "stale" | "quarantined" | "recovered";

export interface OperatorNotice {
  transition: OperatorTransition;
  sourceId: string;
  sourceTitle: string;
  fromHealth: string;
  toHealth: string;
  at: Date;
  reason: string | null;
  /** For a quarantine or a parse failure: the refused snapshot, with a link to its kept bytes. */
  kept: { sha256: string; url: string | null; takenAt: Date; reason: string | null; link: string } | null;
  /** The service's page of sources (or its JSON), to see the rest. */
  sourcesLink: string;
}

// Health values that mean "runs fail"; "stale" and "quarantined" have their own wording.
const FAILING = new Set(["unreachable", "broken"]);

/**
 * What a health transition means to an operator, or null when it is not worth
 * an email: a source's first success (unknown → healthy) is not a recovery,
 * and nothing is said about a source going back to unknown.
 */
export function operatorTransition(fromHealth: string, toHealth: string): OperatorTransition | null {
  if (toHealth === "healthy") return fromHealth === "unknown" ? null : "recovered";
  if (toHealth === "quarantined") return "quarantined";
  if (toHealth === "stale") return "stale";
  if (FAILING.has(toHealth)) return "failing";
  return null;
}

// Subjects stay on one line and under ~150 characters, like the alerts'.
const MAX_SUBJECT = 150;

function instant(d: Date): string {
  return `${d.toISOString().slice(0, 16).replace("T", " ")} UTC`;
}

const HEADLINES: Record<OperatorTransition, (n: OperatorNotice) => string> = {
  failing: (n) => `${n.sourceId} is failing (${n.toHealth})`,
  stale: (n) => `${n.sourceId} is stale`,
  quarantined: (n) => `${n.sourceId} quarantined a snapshot`,
  recovered: (n) => `${n.sourceId} recovered (was ${n.fromHealth})`,
};

const ADVICE: Record<OperatorTransition, string> = {
  failing:
    "Scheduled runs keep retrying with backoff; you get one more email when the source recovers, none per failed attempt.",
  stale:
    "regwatch may be behind this source: no successful run for several scheduled runs, or the source served an older version than the one held.",
  quarantined:
    "No change records were made from the refused snapshot, and the accepted list is unchanged. Look at the kept bytes: if the source really changed this much, ingest it with `regwatch ingest --force`; if not, the next run may bring a good version.",
  recovered:
    "Runs get through again. Changes published while it was unhealthy are picked up by the runs that follow.",
};

/** One email per health transition, to `ADMIN_EMAIL`. */
export function operatorMessage(n: OperatorNotice): { subject: string; text: string; html: string } {
  const headline = HEADLINES[n.transition](n);
  const reason = n.reason ? oneLine(n.reason) : null;
  const subjectLine = oneLine(
    `[regwatch] ${headline}${reason && n.transition !== "recovered" ? `: ${reason}` : ""}`,
  );
  const subject =
    subjectLine.length > MAX_SUBJECT ? `${subjectLine.slice(0, MAX_SUBJECT - 1)}…` : subjectLine;
  const facts: [string, string][] = [
    ["Source", `${oneLine(n.sourceTitle)} (${n.sourceId})`],
    ["Health", `${n.fromHealth} → ${n.toHealth}`],
    ["At", instant(n.at)],
  ];
  if (reason) facts.push(["Why", reason]);
  if (n.kept) {
    facts.push(["Kept bytes", n.kept.link], ["SHA-256", n.kept.sha256], ["Taken", instant(n.kept.takenAt)]);
    if (n.kept.url) facts.push(["Fetched from", n.kept.url]);
  }
  facts.push(["Source page", n.sourcesLink]);
  const text = [headline, "", ...facts.map(([l, v]) => `${l}: ${v}`), "", ADVICE[n.transition]].join("\n");
  const rows = facts
    .map(([l, v]) => {
      const value = /^https?:\/\//.test(v)
        ? `<a href="${escapeHtml(v)}" style="color:#0b5394">${escapeHtml(v)}</a>`
        : escapeHtml(v);
      return `<tr><th style="padding:2px 16px 2px 0;color:#555555;font-weight:normal;text-align:left;vertical-align:top;white-space:nowrap">${escapeHtml(l)}</th><td style="padding:2px 0;color:#1b1b1b;vertical-align:top;word-break:break-all">${value}</td></tr>`;
    })
    .join("");
  const html = `<!doctype html><html><head><meta charset="utf-8"><meta name="color-scheme" content="light dark"><title>${escapeHtml(subject)}</title></head>
<body style="margin:0;padding:16px;font-family:Arial,Helvetica,sans-serif;font-size:15px;line-height:1.5;color:#1b1b1b;background-color:#ffffff">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="max-width:640px"><tr><td>
<h2 style="margin:0 0 12px 0;font-size:18px">${escapeHtml(headline)}</h2>
<table role="presentation" cellpadding="0" cellspacing="0" style="font-size:14px;border-collapse:collapse">${rows}</table>
<p style="margin:12px 0 0 0;color:#333333">${escapeHtml(ADVICE[n.transition])}</p>
</td></tr></table></body></html>`;
  return { subject, text, html };
}
