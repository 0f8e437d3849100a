import type { ChangeRecord } from "@regwatch/core/schemas";
import { describe, expect, it } from "vitest";
import { CCL_CHANGE as FIXTURE } from "../../../test/support/change-fixture.ts";
import type { Links } from "../src/links.ts";
import { alertMessage, describeChange } from "../src/messages/alert.ts";

const LINKS: Links = {
  confirm: "https://regwatch.example/subscriptions/confirm?token=c",
  unsubscribe: "https://regwatch.example/unsubscribe?token=u1",
  manage: "https://regwatch.example/subscriptions/manage?token=m1",
};

const CCL_CHANGE: ChangeRecord = FIXTURE;

const change = (c: Partial<ChangeRecord>): ChangeRecord => ({ ...CCL_CHANGE, ...c });

const ECL = (subject: string, c: Partial<ChangeRecord> = {}): ChangeRecord =>
  change({
    source: "ca.export-control-list",
    jurisdiction: "CA",
    kind: "modified",
    subject,
    title: `${subject} changed`,
    before: "Quantum computers having 34 qubits",
    after: "Quantum computers having 34 or more qubits",
    technologies: ["quantum"],
    countries: [],
    citation: "SOR/2024-112",
    url: "https://laws-lois.justice.gc.ca/eng/regulations/SOR-89-202/",
    details: { parentKey: subject.includes("(") ? "5506" : null },
    ...c,
  });

const DIFFED = ECL("5506(2)(c)", {
  diff: [
    ["=", "Quantum computers having 34 "],
    ["-", "qubits"],
    ["+", "or more qubits"],
  ],
});

const HOSTILE = [`<script>alert(1)</script>`, `"><img src=x onerror=alert(1)>`, `&amp;`];

/** Every tag in the HTML: only these are ours, and none carries an event handler. */
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
  "th",
  "h2",
  "p",
  "div",
  "a",
  "del",
  "ins",
  "br",
]);

function tagsOf(html: string): string[] {
  return [...html.matchAll(/<\/?([!a-z][a-z0-9]*)/gi)].map((m) => m[1]!.toLowerCase());
}

describe("describeChange", () => {
  it("names the paragraph, the entry or the document and what happened to it", () => {
    expect(describeChange(CCL_CHANGE)).toBe("paragraph c.1.a added");
    expect(describeChange(change({ kind: "removed", subject: "3B904", details: { parentKey: null } }))).toBe(
      "entry removed",
    );
    expect(describeChange(ECL("5506", { kind: "modified" }))).toBe("text amended");
    expect(describeChange(ECL("5506(2)(c)"))).toBe("paragraph (2)(c) amended");
    expect(describeChange(ECL("s.1:Guide", { kind: "added", details: { parentKey: "s.1" } }))).toBe(
      'definition "Guide" added',
    );
    expect(
      describeChange(
        change({
          source: "us.federal-register",
          kind: "published",
          subject: "2024-19633",
          stage: "published",
          details: { documentType: "Rule" },
        }),
      ),
    ).toBe("new final rule published");
    expect(
      describeChange(
        change({ kind: "published", subject: "2024-20000", stage: "public-inspection", details: null }),
      ),
    ).toBe("new document on public inspection");
  });
});

describe("alertMessage subject", () => {
  it("says for one change the list, the entry, what happened and the technology", () => {
    const { subject } = alertMessage({ changes: [CCL_CHANGE], links: LINKS });
    expect(subject).toBe("[US] CCL 3B001: paragraph c.1.a added — semiconductor manufacturing equipment");
  });

  it("falls back to the title when the change has no technology", () => {
    const { subject } = alertMessage({
      changes: [
        change({
          source: "us.federal-register",
          kind: "published",
          subject: "2024-19633",
          title: "Export Administration Regulations: Implementation of Additional Controls",
          technologies: [],
          stage: "published",
          details: { documentType: "Rule" },
        }),
      ],
      links: LINKS,
    });
    expect(subject).toBe(
      "[US] Federal Register 2024-19633: new final rule published — Export Administration Regulations: Implementation of Additional Controls",
    );
  });

  it("counts several changes, lists three subjects and adds the citation they share", () => {
    const changes = [ECL("5506"), ECL("5506(2)(c)"), ECL("5507"), ECL("5508")];
    expect(alertMessage({ changes: changes.slice(0, 3), links: LINKS }).subject).toBe(
      "[CA] ECL: 3 changes (5506, 5506(2)(c), 5507) — quantum computing and quantum devices — SOR/2024-112",
    );
    expect(alertMessage({ changes, links: LINKS }).subject).toBe(
      "[CA] ECL: 4 changes (5506, 5506(2)(c), 5507, …) — quantum computing and quantum devices — SOR/2024-112",
    );
  });

  it("leaves the citation out when the changes do not share one", () => {
    const { subject } = alertMessage({
      changes: [ECL("5506"), ECL("5507", { citation: "SOR/2024-113" })],
      links: LINKS,
    });
    expect(subject).toBe("[CA] ECL: 2 changes (5506, 5507) — quantum computing and quantum devices");
  });

  it("keeps the subject to 150 characters, cut with an ellipsis", () => {
    const { subject } = alertMessage({
      changes: [change({ technologies: [], title: "Equipment ".repeat(40) })],
      links: LINKS,
    });
    expect(subject.length).toBe(150);
    expect(subject.endsWith("…")).toBe(true);
    expect(subject.startsWith("[US] CCL 3B001: paragraph c.1.a added — Equipment Equipment")).toBe(true);
  });

  it("strips control characters and line breaks from source text in the subject", () => {
    const { subject } = alertMessage({
      changes: [
        change({
          subject: "3B001.c\r\nBcc: victim@example.com",
          technologies: [],
          title: "Etching\u0000 equipment\u001b[31m\u0085\u2028\u202e evil\tthing",
        }),
      ],
      links: LINKS,
    });
    expect(subject).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202e]/);
    expect(subject).toContain("Etching equipment[31m evil thing");
    expect(subject).toContain("paragraph c Bcc: victim@example.com added");
  });
});

describe("alertMessage text part", () => {
  it("shows the redline with markers, the facts and the unsubscribe and manage links", () => {
    const { text } = alertMessage({ changes: [DIFFED], links: LINKS });
    expect(text).toContain("5506: paragraph (2)(c) amended");
    expect(text).toContain("Quantum computers having 34 [-qubits-]{+or more qubits+}");
    expect(text).toContain("Technologies: Quantum computing and quantum devices");
    expect(text).toContain("Jurisdiction: Canada (CA)");
    expect(text).toContain("Effective: 2024-09-06");
    expect(text).toContain("Citation: SOR/2024-112");
    expect(text).toContain("Official text: https://laws-lois.justice.gc.ca/eng/regulations/SOR-89-202/");
    expect(text).toContain(`Unsubscribe: ${LINKS.unsubscribe}`);
    expect(text).toContain(`Manage your subscription: ${LINKS.manage}`);
  });

  it("shows before and after in full when there is no word diff", () => {
    const { text } = alertMessage({ changes: [ECL("5506")], links: LINKS });
    expect(text).toContain("Before:\nQuantum computers having 34 qubits");
    expect(text).toContain("After:\nQuantum computers having 34 or more qubits");
  });

  it("states the health of the change's source when it is known", () => {
    const sources = {
      "ca.export-control-list": {
        title: "Canada Export Control List",
        health: "healthy",
        lastSuccessAt: "2024-09-06T10:15:00Z",
      },
    };
    const { text, html } = alertMessage({ changes: [DIFFED], links: LINKS, sources });
    expect(text).toContain("Source: Canada Export Control List — healthy, last checked 2024-09-06 10:15 UTC");
    expect(html).toContain("Source: Canada Export Control List — healthy, last checked 2024-09-06 10:15 UTC");
    expect(alertMessage({ changes: [DIFFED], links: LINKS }).text).not.toContain("Source:");
  });
});

describe("alertMessage HTML part", () => {
  it("escapes hostile source text everywhere and has no tags but its own", () => {
    const [script, img, amp] = HOSTILE;
    const hostile = HOSTILE.join(" ");
    const { html, text } = alertMessage({
      changes: [
        change({ kind: "modified", subject: hostile, title: hostile, before: hostile, after: `${hostile}!` }),
        change({
          kind: "modified",
          subject: "3B001.d",
          title: hostile,
          before: hostile,
          after: hostile,
          citation: hostile,
          diff: [
            ["=", script!],
            ["-", img!],
            ["+", amp!],
          ],
        }),
      ],
      links: LINKS,
      sources: { "us.ecfr.ccl": { title: hostile, health: "healthy", lastSuccessAt: null } },
    });
    for (const tag of tagsOf(html)) expect(ALLOWED_TAGS.has(tag), tag).toBe(true);
    expect(html).not.toMatch(/<[^>]*\son[a-z]+\s*=/i);
    expect(html).toContain("&#60;script&#62;alert(1)&#60;/script&#62;");
    expect(html).toContain("&#34;&#62;&#60;img src=x onerror=alert(1)&#62;");
    expect(html).toContain("&#38;amp;");
    expect(html).not.toContain("<script");
    expect(html).not.toContain("<img");
    // The plain-text part carries the text as it is: it is not HTML.
    expect(text).toContain(script);
  });

  it("marks removed words with <del> and added words with <ins> for a modified change", () => {
    const { html } = alertMessage({ changes: [DIFFED], links: LINKS });
    expect(html).toMatch(/<del style="[^"]*line-through[^"]*">qubits<\/del>/);
    expect(html).toMatch(/<ins style="[^"]*underline[^"]*">or more qubits<\/ins>/);
    expect(html).toMatch(/<del style="[^"]*background-color:#[0-9a-f]{6}/);
  });

  it("puts the dates and the citation in a label/value table", () => {
    const { html } = alertMessage({ changes: [CCL_CHANGE], links: LINKS });
    expect(html).toMatch(/<th[^>]*>Effective<\/th><td[^>]*>2024-09-06<\/td>/);
    expect(html).toMatch(/<th[^>]*>Citation<\/th><td[^>]*>89 FR 72926<\/td>/);
    expect(html).not.toMatch(/<style|<link|<img|<script|src=/i);
  });

  it("drops links that are not http(s) and escapes those that are", () => {
    const links: Links = {
      ...LINKS,
      unsubscribe: "javascript:alert(1)",
      manage: 'https://regwatch.example/manage?token=a"b<c',
    };
    const { html, text } = alertMessage({
      changes: [change({ url: "data:text/html,<script>alert(1)</script>" })],
      links,
    });
    expect(html).not.toContain("javascript:");
    expect(html).not.toContain("data:text");
    expect(text).not.toContain("javascript:");
    expect(text).not.toContain("data:text");
    expect(text).not.toContain("Official text:");
    expect(html).toContain('href="https://regwatch.example/manage?token=a%22b%3Cc"');
    for (const [, href] of html.matchAll(/href="([^"]*)"/g)) expect(href).toMatch(/^https?:\/\//);
  });

  it("cuts a huge text at about 10,000 characters with a link to the official text", () => {
    const paragraph = "word ".repeat(4_000); // 20 KB
    const { text, html } = alertMessage({
      changes: [change({ kind: "modified", before: "x", after: paragraph, diff: [["+", paragraph]] })],
      links: LINKS,
    });
    expect(text).toContain(`… (continues: see the official text): ${CCL_CHANGE.url}`);
    expect(text.length).toBeLessThan(12_000);
    expect(html).toContain(
      `<a href="${CCL_CHANGE.url}" style="color:#0b5394">… (continues: see the official text)</a>`,
    );
    expect(html.length).toBeLessThan(14_000);
    const shown = /<ins[^>]*>([^<]*)<\/ins>/g;
    const longest = Math.max(...[...html.matchAll(shown)].map((m) => m[1]!.length));
    expect(longest).toBe(10_000);
  });

  it("keeps a message of many huge changes under Gmail's 102 KB clipping, footer included", () => {
    const paragraph = "word ".repeat(4_000);
    const changes = Array.from({ length: 12 }, (_, i) =>
      change({
        subject: `3B001.c.${i}`,
        kind: "modified",
        before: "x",
        after: paragraph,
        diff: [["+", paragraph]],
      }),
    );
    const { html } = alertMessage({ changes, links: LINKS });
    expect(html.length).toBeLessThan(102_000);
    expect(html).toContain("3B001: paragraph c.11 amended");
    expect(html).toContain(LINKS.unsubscribe);
  });

  it("shows a short text whole, without the continuation note", () => {
    const { text, html } = alertMessage({ changes: [DIFFED], links: LINKS });
    expect(text).not.toContain("continues");
    expect(html).not.toContain("continues");
  });
});
