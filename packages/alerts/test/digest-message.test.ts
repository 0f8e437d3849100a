import type { ChangeRecord } from "@regwatch/core/schemas";
import { describe, expect, it } from "vitest";
import { CCL_CHANGE as FIXTURE } from "../../../test/support/change-fixture.ts";
import type { Links } from "../src/links.ts";
import { type DigestInput, type DigestSourceHealth, digestMessage } from "../src/messages/digest.ts";

const LINKS: Links = {
  confirm: "https://regwatch.example/subscriptions/confirm?token=c",
  unsubscribe: "https://regwatch.example/unsubscribe?token=u1",
  manage: "https://regwatch.example/subscriptions/manage?token=m1",
};

const ALL_CHANGES = "https://regwatch.example/changes?from=2026-11-16&to=2026-11-23&tech=quantum";

const CCL_CHANGE: ChangeRecord = {
  ...FIXTURE,
  publishedAt: "2026-11-18",
  effectiveAt: "2026-11-18",
  detectedAt: "2026-11-18T12:00:00Z",
  citation: "91 FR 80210",
  provenance: { ...FIXTURE.provenance, fetchedAt: "2026-11-18T12:00:00Z" },
};

const change = (c: Partial<ChangeRecord>): ChangeRecord => ({ ...CCL_CHANGE, ...c });

const ECL = (id: string, subject: string, c: Partial<ChangeRecord> = {}): ChangeRecord =>
  change({
    id,
    source: "ca.export-control-list",
    jurisdiction: "CA",
    kind: "modified",
    subject,
    title: `${subject} changed`,
    technologies: ["quantum"],
    citation: "SOR/2026-112",
    effectiveAt: null,
    url: "https://laws-lois.justice.gc.ca/eng/regulations/SOR-89-202/",
    details: { parentKey: null },
    ...c,
  });

const FR_RULE = change({
  id: "chg-fr",
  source: "us.federal-register",
  kind: "published",
  subject: "2026-24011",
  title: "Export Administration Regulations: Revisions to License Exception ACA",
  technologies: [],
  stage: "published",
  citation: "91 FR 80311",
  url: "https://www.federalregister.gov/d/2026-24011",
  details: { documentType: "Rule" },
});

/** Seven changes in four jurisdictions (CA, EU, GB, US), several technologies and none. */
const WEEK_CHANGES: ChangeRecord[] = [
  CCL_CHANGE,
  FR_RULE,
  change({
    id: "chg-2",
    subject: "4A906.a",
    title: "4A906 quantum computers amended",
    kind: "modified",
    technologies: ["quantum"],
  }),
  ECL("chg-3", "5506"),
  ECL("chg-4", "5507", { technologies: ["advanced-computing"], title: "5507 computers changed" }),
  change({
    id: "chg-5",
    source: "gb.strategic-export-control-lists",
    jurisdiction: "GB",
    subject: "PL9014",
    title: "PL9014 added",
    technologies: ["quantum"],
    details: { parentKey: null },
  }),
  change({
    id: "chg-6",
    source: "eu.dual-use-annex-i",
    jurisdiction: "EU",
    subject: "3B001.c.1.a",
    title: "EU 3B001 follows the Wassenaar change",
    technologies: [],
  }),
];

const WEEK = { start: new Date("2026-11-16T00:00:00Z"), end: new Date("2026-11-23T00:00:00Z") };

const source = (
  s: Partial<DigestSourceHealth> & Pick<DigestSourceHealth, "id" | "title">,
): DigestSourceHealth => ({
  jurisdiction: "US",
  checks: 7,
  failures: 0,
  changes: 0,
  lastChangeAt: new Date("2026-10-02T14:00:00Z"),
  registeredAt: new Date("2025-03-01T09:00:00Z"),
  health: "healthy",
  healthReason: null,
  unhealthyInPeriod: false,
  ...s,
});

const CCL_SOURCE = source({ id: "us.ecfr.ccl", title: "Commerce Control List (15 CFR 774)" });
const ECL_SOURCE = source({
  id: "ca.export-control-list",
  title: "Canada Export Control List",
  jurisdiction: "CA",
});

function digest(input: Partial<DigestInput> = {}) {
  return digestMessage({
    cadence: "weekly",
    period: WEEK,
    timeZone: "UTC",
    changes: WEEK_CHANGES,
    sources: [CCL_SOURCE, ECL_SOURCE],
    links: LINKS,
    changeUrl: (id) => `https://regwatch.example/changes/${id}`,
    allChangesUrl: ALL_CHANGES,
    ...input,
  });
}

const ALLOWED_TAGS = new Set([
  "!doctype",
  "html",
  "head",
  "meta",
  "title",
  "body",
  "table",
  "tr",
  "td",
  "h2",
  "h3",
  "p",
  "ul",
  "li",
  "b",
  "span",
  "a",
  "br",
]);

function tagsOf(html: string): string[] {
  return [...html.matchAll(/<\/?([!a-z][a-z0-9]*)/gi)].map((m) => m[1]!.toLowerCase());
}

/** The positions of `needles` in `haystack`, each required to be there. */
function positions(haystack: string, needles: string[]): number[] {
  return needles.map((n) => {
    const at = haystack.indexOf(n);
    expect(at, n).toBeGreaterThanOrEqual(0);
    return at;
  });
}

const ascending = (xs: number[]) => xs.every((x, i) => i === 0 || xs[i - 1]! < x);

describe("digestMessage subject", () => {
  it("counts the changes and their jurisdictions over the week, the year shown once", () => {
    expect(digest().subject).toBe("[Weekly] 7 changes in 4 jurisdictions, 2026-11-16 – 11-22");
  });

  it("gives a daily digest its one date", () => {
    const { subject } = digest({
      cadence: "daily",
      period: { start: new Date("2026-11-22T00:00:00Z"), end: new Date("2026-11-23T00:00:00Z") },
      changes: WEEK_CHANGES.slice(0, 4),
    });
    expect(subject).toBe("[Daily] 4 changes in 2 jurisdictions, 2026-11-22");
  });

  it("says so when nothing changed", () => {
    expect(digest({ changes: [] }).subject).toBe("[Weekly] No changes, 2026-11-16 – 11-22");
  });

  it("uses the singular for one change in one jurisdiction", () => {
    expect(digest({ changes: [CCL_CHANGE] }).subject).toBe(
      "[Weekly] 1 change in 1 jurisdiction, 2026-11-16 – 11-22",
    );
  });

  it("shows the month when it changes and the year when it changes", () => {
    const week = (start: string, end: string) => ({ start: new Date(start), end: new Date(end) });
    expect(
      digest({ changes: [], period: week("2026-11-30T00:00:00Z", "2026-12-07T00:00:00Z") }).subject,
    ).toBe("[Weekly] No changes, 2026-11-30 – 12-06");
    expect(
      digest({ changes: [], period: week("2026-12-28T00:00:00Z", "2027-01-04T00:00:00Z") }).subject,
    ).toBe("[Weekly] No changes, 2026-12-28 – 2027-01-03");
  });

  it("dates the period in the subscriber's time zone, not the machine's", () => {
    const period = { start: new Date("2026-11-16T05:00:00Z"), end: new Date("2026-11-23T05:00:00Z") };
    const newYork = digest({ changes: [], period, timeZone: "America/New_York" });
    expect(newYork.subject).toBe("[Weekly] No changes, 2026-11-16 – 11-22");
    expect(newYork.text).toContain("from 2026-11-16 to 2026-11-22 (dates in America/New_York)");
    expect(digest({ changes: [], period, timeZone: "UTC" }).subject).toBe(
      "[Weekly] No changes, 2026-11-16 – 11-23",
    );
    expect(digest({ changes: [], period, timeZone: "Pacific/Kiritimati" }).subject).toBe(
      "[Weekly] No changes, 2026-11-16 – 11-23",
    );
  });
});

describe("digestMessage changes", () => {
  it("groups by jurisdiction code, then technology name, other changes last", () => {
    const { text, html } = digest();
    for (const part of [text, html]) {
      const order = positions(part, [
        "Canada (CA)",
        "Advanced computing and supercomputers",
        "ECL 5507: text amended",
        "Quantum computing and quantum devices",
        "ECL 5506: text amended",
        "European Union (EU)",
        "Other changes",
        "United Kingdom (GB)",
        "United States (US)",
      ]);
      expect(ascending(order), part.slice(0, 20)).toBe(true);
      const us = part.slice(part.indexOf("United States (US)"));
      const usOrder = positions(us, [
        "Quantum computing and quantum devices",
        "CCL 4A906: paragraph a amended",
        "Semiconductor manufacturing equipment",
        "CCL 3B001: paragraph c.1.a added",
        "Other changes",
        "Federal Register 2026-24011: new final rule published",
      ]);
      expect(ascending(usOrder)).toBe(true);
    }
  });

  it("lists a change with several technologies once, under its first", () => {
    const { text, html } = digest();
    const heading = "CCL 3B001: paragraph c.1.a added";
    expect(text.split(heading)).toHaveLength(2);
    expect(html.split(heading)).toHaveLength(2);
    expect(text).not.toContain("Gate-all-around");
    const semiconductors = text.indexOf("Semiconductor manufacturing equipment\n");
    expect(text.indexOf(heading)).toBeGreaterThan(semiconductors);
  });

  it("shows each change as one line, then its dates, citation and links", () => {
    const { text, html } = digest();
    expect(text).toContain(
      [
        "- CCL 3B001: paragraph c.1.a added — 3B001 gained paragraph c.1.a: Equipment designed for dry anisotropic plasma etching",
        "  Effective: 2026-11-18 · Citation: 91 FR 80210",
        "  On regwatch: https://regwatch.example/changes/chg-1",
        "  Official text: https://www.ecfr.gov/current/title-15/part-774",
      ].join("\n"),
    );
    // No effective date known: only the citation.
    expect(text).toContain("- ECL 5506: text amended — 5506 changed\n  Citation: SOR/2026-112\n");
    expect(html).toContain(
      '<a href="https://regwatch.example/changes/chg-1" style="color:#0b5394">On regwatch</a> · <a href="https://www.ecfr.gov/current/title-15/part-774" style="color:#0b5394">Official text</a>',
    );
  });

  it("names the subscriber's period and time zone and how many changes matched", () => {
    // Midnight to midnight in Paris (UTC+1 in November).
    const period = { start: new Date("2026-11-15T23:00:00Z"), end: new Date("2026-11-22T23:00:00Z") };
    const { text, html } = digest({ period, timeZone: "Europe/Paris" });
    expect(text.split("\n").slice(0, 3)).toEqual([
      "regwatch weekly digest",
      "Changes regwatch detected from 2026-11-16 to 2026-11-22 (dates in Europe/Paris).",
      "7 changes in 4 jurisdictions matched your subscription.",
    ]);
    expect(html).toContain("7 changes in 4 jurisdictions matched your subscription.");
  });

  it("says clearly that nothing matched, and still attests the sources", () => {
    const { text, html } = digest({ changes: [] });
    for (const part of [text, html]) {
      expect(part).toContain("No changes matched your subscription in this period.");
      expect(part).toContain("Source health");
      expect(part).toContain("Nothing changed in CCL, ECL since 2026-10-02.");
    }
    expect(text).not.toContain("On regwatch");
  });

  it("lists 200 changes and links the rest on the dashboard", () => {
    const changes = Array.from({ length: 250 }, (_, i) =>
      change({ id: `chg-${i}`, subject: `3B001.c.${i}`, title: `3B001 paragraph c.${i}` }),
    );
    const { subject, text, html } = digest({ changes });
    expect(subject).toBe("[Weekly] 250 changes in 1 jurisdiction, 2026-11-16 – 11-22");
    expect(text).toContain("CCL 3B001: paragraph c.199 added");
    expect(text).not.toContain("CCL 3B001: paragraph c.200 added");
    expect(text.match(/^- CCL /gm)).toHaveLength(200);
    expect(text).toContain(`… and 50 more changes: ${ALL_CHANGES}`);
    expect(html).toContain(
      `<a href="${ALL_CHANGES.replaceAll("&", "&#38;")}" style="color:#0b5394">… and 50 more changes</a>`,
    );
    expect(html.match(/<li style/g)).toHaveLength(200);
    expect(digest({ changes: changes.slice(0, 200) }).text).not.toContain("more change");
  });

  it("lists fewer than 200 long changes rather than let Gmail clip the health section and footer", () => {
    const long = "Equipment & \"tools\" <for> 'etching' ".repeat(8);
    const changes = Array.from({ length: 200 }, (_, i) =>
      change({
        id: `chg-${i}-${"x".repeat(40)}`,
        subject: `3B001.c.${i}`,
        title: long,
        url: `https://www.ecfr.gov/current/title-15/part-774?q=${"&a=1".repeat(20)}`,
      }),
    );
    const { text, html } = digest({ changes });
    expect(html.length).toBeLessThan(102_000);
    expect(html).toContain("Source health");
    expect(html).toContain(LINKS.unsubscribe);
    const listed = html.match(/<li style/g)!.length;
    expect(listed).toBeLessThan(200);
    expect(text).toContain(`… and ${200 - listed} more changes: ${ALL_CHANGES}`);
    expect(text.match(/^- CCL /gm)).toHaveLength(listed);
  });
});

describe("digestMessage source health", () => {
  it("groups the sources where nothing changed by the date of their last change, in the subscriber's zone", () => {
    const { text } = digest({
      timeZone: "America/New_York",
      sources: [
        // 02:00 UTC on the 3rd is still the 2nd in New York.
        { ...CCL_SOURCE, lastChangeAt: new Date("2026-10-03T02:00:00Z") },
        ECL_SOURCE,
        source({ id: "us.federal-register", title: "Federal Register", lastChangeAt: null }),
        source({
          id: "gb.strategic-export-control-lists",
          title: "UK Strategic Export Control Lists",
          changes: 2,
        }),
      ],
    });
    expect(text).toContain(
      "Nothing changed in Federal Register since regwatch began watching on 2025-03-01.\nNothing changed in CCL, ECL since 2026-10-02.",
    );
    expect(text).not.toContain("Nothing changed in UK");
    expect(text).toContain(
      "Checked in this period: Canada Export Control List (7 checks), Commerce Control List (15 CFR 774) (7 checks), Federal Register (7 checks), UK Strategic Export Control Lists (7 checks).",
    );
  });

  it("lists the unhealthy sources with the reason, and those not checked or unhealthy during the period", () => {
    const { text, html } = digest({
      sources: [
        CCL_SOURCE,
        source({
          id: "us.federal-register",
          title: "Federal Register",
          checks: 30,
          failures: 4,
          health: "unreachable",
          healthReason: "HTTP 503 from www.federalregister.gov",
          unhealthyInPeriod: true,
        }),
        { ...ECL_SOURCE, unhealthyInPeriod: true, failures: 1 },
        source({
          id: "jp.meti-end-user-list",
          title: "METI End User List",
          jurisdiction: "JP",
          checks: 0,
          health: "stale",
        }),
      ],
    });
    expect(text).toContain(
      [
        "Unhealthy:",
        "- Canada Export Control List (CA): not healthy at some point in this period, healthy now; 1 failed attempt",
        "- Federal Register (US): unreachable (HTTP 503 from www.federalregister.gov); 4 failed attempts",
        "- METI End User List (JP): not checked in this period; stale",
      ].join("\n"),
    );
    expect(text).toContain("Federal Register (30 checks, 4 failed attempts)");
    expect(text).not.toContain("METI End User List (0 checks");
    expect(text).not.toContain("healthy throughout");
    expect(html).toContain(
      "<li>Federal Register (US): unreachable (HTTP 503 from www.federalregister.gov); 4 failed attempts</li>",
    );
    expect(text).not.toMatch(/^- Commerce Control List/m);
  });

  it("says every source was fine when none needs attention", () => {
    const { text, html } = digest();
    expect(text).toContain("All 2 sources were checked and healthy throughout the period.");
    expect(html).toContain("All 2 sources were checked and healthy throughout the period.");
    expect(text).not.toContain("Unhealthy");
    expect(digest({ sources: [CCL_SOURCE] }).text).toContain(
      "The source was checked and healthy throughout the period.",
    );
  });
});

describe("digestMessage safety", () => {
  it("escapes source text in the HTML, keeps it as text in the text part, and has no tags but its own", () => {
    const hostile = `<script>alert(1)</script> "><img src=x onerror=alert(1)>`;
    const { text, html } = digest({
      changes: [change({ title: hostile, citation: hostile, subject: `3B001.${hostile}` })],
      sources: [
        source({ id: "us.ecfr.ccl", title: hostile, health: "broken", healthReason: hostile }),
        source({ id: "xx.evil", title: hostile, jurisdiction: hostile, unhealthyInPeriod: true }),
      ],
      timeZone: "UTC",
    });
    for (const tag of tagsOf(html)) expect(ALLOWED_TAGS.has(tag), tag).toBe(true);
    expect(html).not.toMatch(/<[^>]*\son[a-z]+\s*=/i);
    expect(html).not.toContain("<script");
    expect(html).not.toContain("<img");
    expect(html).toContain("&#60;script&#62;alert(1)&#60;/script&#62;");
    expect(text).toContain(`— ${hostile}`);
    expect(text).toContain(`Citation: ${hostile}`);
  });

  it("keeps line breaks and control characters in source text from forging lines", () => {
    const { text } = digest({
      changes: [change({ title: "Etching\r\nOn regwatch: https://evil.example\u202e" })],
      sources: [
        source({ id: "us.ecfr.ccl", title: "CCL\nUnhealthy:", health: "broken", healthReason: "a\nb" }),
      ],
    });
    expect(text).toContain("— Etching On regwatch: https://evil.example\n");
    expect(text).toContain("- CCL Unhealthy: (US): broken (a b)");
    expect(text).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202e]/);
  });

  it("drops links that are not http(s) and escapes those that are", () => {
    const { text, html } = digest({
      changes: [
        change({ url: "javascript:alert(1)" }),
        change({ id: "chg-2", url: " data:text/html,<b>x</b>" }),
      ],
      changeUrl: (id) =>
        id === "chg-2" ? "javascript:alert(2)" : `https://regwatch.example/changes/${id}"x`,
      links: { ...LINKS, unsubscribe: "javascript:alert(3)" },
      allChangesUrl: "javascript:alert(4)",
    });
    for (const part of [text, html]) {
      expect(part).not.toContain("javascript:");
      expect(part).not.toContain("data:text");
    }
    expect(text).not.toContain("Official text:");
    expect(text).not.toContain("Unsubscribe:");
    expect(html).toContain('href="https://regwatch.example/changes/chg-1%22x"');
    for (const [, href] of html.matchAll(/href="([^"]*)"/g)) expect(href).toMatch(/^https?:\/\//);
  });

  it("ends with the unsubscribe and manage links, never the confirm link", () => {
    const { text, html } = digest();
    expect(
      text.endsWith(`Unsubscribe: ${LINKS.unsubscribe}\nManage your subscription: ${LINKS.manage}`),
    ).toBe(true);
    expect(html).toContain(`<a href="${LINKS.unsubscribe}" style="color:#0b5394">Unsubscribe</a>`);
    expect(html).toContain(`<a href="${LINKS.manage}" style="color:#0b5394">Manage your subscription</a>`);
    expect(html).not.toContain("confirm");
    expect(html).toContain('<meta name="color-scheme" content="light dark">');
    expect(html).toContain("max-width:640px");
  });
});
