import type { ChangeRecord } from "@regwatch/core/schemas";
import { describe, expect, it } from "vitest";
import { CCL_CHANGE as FIXTURE } from "../../../../test/support/change-fixture.ts";
import { describeChange } from "../../src/messages/alert.ts";
import { type WebhookContent, webhookBody } from "../../src/webhook/payloads.ts";

const CCL_CHANGE: ChangeRecord = FIXTURE;

const change = (c: Partial<ChangeRecord>): ChangeRecord => ({ ...CCL_CHANGE, ...c });

const DIFFED = change({
  id: "chg-2",
  source: "ca.export-control-list",
  jurisdiction: "CA",
  kind: "modified",
  subject: "5506(2)(c)",
  title: "5506(2)(c) changed",
  before: "Quantum computers having 34 qubits",
  after: "Quantum computers having 34 or more qubits",
  technologies: ["quantum"],
  countries: [],
  citation: "SOR/2024-112",
  diff: [
    ["=", "Quantum computers having 34 "],
    ["-", "qubits"],
    ["+", "or more qubits"],
  ],
  details: { parentKey: "5506" },
});

const many = (n: number, c: Partial<ChangeRecord> = {}): ChangeRecord[] =>
  Array.from({ length: n }, (_, i) => change({ id: `chg-${i}`, subject: `3B001.c.${i}`, ...c }));

const content = (c: Partial<WebhookContent> = {}): WebhookContent => ({
  kind: "immediate",
  deliveryId: "alert.1.chg-1@regwatch.example",
  subject: "[US] CCL 3B001: paragraph c.1.a added — semiconductor manufacturing equipment",
  changes: [CCL_CHANGE],
  changeUrl: (id) => `https://regwatch.example/changes/${encodeURIComponent(id)}`,
  manageUrl: "https://regwatch.example/subscriptions/manage?token=m1",
  unsubscribeUrl: "https://regwatch.example/unsubscribe?token=u1",
  ...c,
});

const HOSTILE_TITLE = "Rule <!channel> <@U123> <script>alert(1)</script> & <https://evil.example|click>";

// biome-ignore lint/suspicious/noExplicitAny: payloads are inspected as parsed JSON
type Json = any;
const parse = (format: "json" | "slack" | "teams", c: WebhookContent): Json =>
  JSON.parse(webhookBody(format, c));

describe("webhookBody json", () => {
  it("lists each change with regwatch's page, the official link and the email's summary", () => {
    const body = parse("json", content({ changes: [CCL_CHANGE, DIFFED] }));
    expect(body).toMatchObject({
      type: "regwatch.alert",
      id: "alert.1.chg-1@regwatch.example",
      subject: content().subject,
      period: null,
      manageUrl: "https://regwatch.example/subscriptions/manage?token=m1",
      unsubscribeUrl: "https://regwatch.example/unsubscribe?token=u1",
    });
    expect(body).not.toHaveProperty("truncated");
    expect(body.changes[0]).toEqual({
      id: "chg-1",
      url: "https://regwatch.example/changes/chg-1",
      officialUrl: "https://www.ecfr.gov/current/title-15/part-774",
      jurisdiction: "US",
      source: "us.ecfr.ccl",
      kind: "added",
      stage: null,
      subject: "3B001.c.1.a",
      title: CCL_CHANGE.title,
      summary: describeChange(CCL_CHANGE),
      technologies: ["semiconductor-manufacturing-equipment", "gaafet"],
      countries: ["CN", "MO"],
      publishedAt: "2024-09-06",
      effectiveAt: "2024-09-06",
      detectedAt: "2024-09-06T12:00:00Z",
      citation: "89 FR 72926",
      wassenaarCategory: "3",
      diff: null,
      before: null,
      after: CCL_CHANGE.after,
      textTruncated: false,
    });
    expect(body.changes[0].summary).toBe("paragraph c.1.a added");
  });

  it("leaves before and after out when the change has a diff", () => {
    const [diffed] = parse("json", content({ changes: [DIFFED] })).changes;
    expect(diffed.diff).toEqual(DIFFED.diff);
    expect(diffed).not.toHaveProperty("before");
    expect(diffed).not.toHaveProperty("after");
  });

  it("says digest and gives the period, also with no changes", () => {
    const period = { start: new Date("2024-09-01T00:00:00Z"), end: new Date("2024-09-08T00:00:00Z") };
    const body = parse("json", content({ kind: "digest", changes: [], period }));
    expect(body.type).toBe("regwatch.digest");
    expect(body.period).toEqual({ start: "2024-09-01T00:00:00.000Z", end: "2024-09-08T00:00:00.000Z" });
    expect(body.changes).toEqual([]);
  });

  it("refuses an immediate alert with no change", () => {
    expect(() => webhookBody("json", content({ changes: [] }))).toThrow(/at least one change/);
  });

  it("lists at most 100 changes and counts the rest in truncated", () => {
    const body = parse("json", content({ kind: "digest", changes: many(150) }));
    expect(body.changes).toHaveLength(100);
    expect(body.truncated).toBe(50);
    expect(body.changes.at(-1).id).toBe("chg-99");
    expect(parse("json", content({ kind: "digest", changes: many(100) }))).not.toHaveProperty("truncated");
  });

  it("cuts a very long text and says so", () => {
    const [long] = parse("json", content({ changes: [change({ after: "x".repeat(200_000) })] })).changes;
    expect(long.after.length).toBeLessThanOrEqual(50_000);
    expect(long.after.endsWith("…")).toBe(true);
    expect(long.textTruncated).toBe(true);
  });

  it("stays near a megabyte of text however large the documents", () => {
    const body = webhookBody(
      "json",
      content({ kind: "digest", changes: many(100, { after: "y".repeat(100_000) }) }),
    );
    expect(body.length).toBeLessThan(1_200_000);
    const parsed = JSON.parse(body);
    expect(parsed.changes).toHaveLength(100);
    expect(parsed.changes.at(-1)).toMatchObject({
      after: null,
      textTruncated: true,
      url: expect.any(String),
    });
  });
});

/** Every mrkdwn text of a Slack payload. */
function slackTexts(body: Json): string[] {
  const texts: string[] = [];
  for (const block of body.blocks) {
    if (block.text) texts.push(block.text.text);
    for (const element of block.elements ?? []) texts.push(element.text);
  }
  return texts;
}

describe("webhookBody slack", () => {
  it("gives the subject as fallback text and one section per change with its link, dates and citation", () => {
    const body = parse("slack", content());
    expect(body.text).toBe(content().subject);
    expect(body.blocks[0]).toEqual({
      type: "section",
      text: { type: "mrkdwn", text: `*${content().subject}*`, verbatim: true },
    });
    const section = body.blocks[1].text.text as string;
    expect(section).toContain(
      "*<https://regwatch.example/changes/chg-1|3B001.c.1.a>*: paragraph c.1.a added — 3B001",
    );
    expect(section).toContain("Effective: 2024-09-06");
    expect(section).toContain("Citation: 89 FR 72926");
    expect(section).toContain("<https://www.ecfr.gov/current/title-15/part-774|Official text>");
    const footer = body.blocks.at(-1);
    expect(footer.type).toBe("context");
    expect(footer.elements[0].text).toContain("<https://regwatch.example/unsubscribe?token=u1|Unsubscribe>");
  });

  it("escapes source text so it cannot form mentions, links or markup", () => {
    const hostile = change({ title: HOSTILE_TITLE, subject: "3B001<!here>", citation: "<@U999>" });
    const body = parse(
      "slack",
      content({ changes: [hostile], subject: `Subject <!everyone> ${HOSTILE_TITLE}` }),
    );
    const all = [body.text, ...slackTexts(body)].join("\n");
    expect(all).toContain("&lt;!channel&gt; &lt;@U123&gt; &lt;script&gt;alert(1)&lt;/script&gt; &amp;");
    for (const forged of [
      "<!channel>",
      "<!here>",
      "<!everyone>",
      "<@U123>",
      "<@U999>",
      "<script",
      "<https://evil",
    ]) {
      expect(all).not.toContain(forged);
    }
    // The only links left are ours.
    for (const link of all.match(/<[^>]*>/g) ?? []) {
      expect(link).toMatch(/^<https:\/\/(regwatch\.example|www\.ecfr\.gov)\//);
    }
    for (const block of body.blocks) {
      for (const text of [block.text, ...(block.elements ?? [])].filter(Boolean))
        expect(text.verbatim).toBe(true);
    }
  });

  it("strips control and invisible characters", () => {
    const body = parse(
      "slack",
      content({ changes: [change({ title: "Bell\u0007 and \u202eright-to-left\u200b" })] }),
    );
    const section = body.blocks[1].text.text as string;
    expect(section).toContain("Bell and right-to-left");
    expect(section).not.toMatch(/[\u0007\u202e\u200b]/);
  });

  it("keeps to 50 blocks and says how many changes were left out", () => {
    const body = parse("slack", content({ kind: "digest", changes: many(150) }));
    expect(body.blocks.length).toBeLessThanOrEqual(50);
    const listed = body.blocks.filter((b: Json) => b.text?.text.includes("|3B001.c.")).length;
    const more = body.blocks.find((b: Json) => b.text?.text.startsWith("…and"));
    expect(listed).toBeGreaterThan(40);
    expect(more.text.text).toBe(`…and ${150 - listed} more changes, not listed here.`);
    expect(body.blocks.at(-1).type).toBe("context");
  });

  it("keeps each section within 3000 characters even when escaping lengthens the text", () => {
    const huge = change({ title: "&<>".repeat(5000), subject: "&".repeat(1000), citation: "<".repeat(1000) });
    for (const text of slackTexts(parse("slack", content({ changes: [huge] })))) {
      expect(text.length).toBeLessThanOrEqual(3000);
      expect(text).not.toMatch(/&(a|am|l|g)?…/);
    }
  });

  it("says so when a digest has no changes", () => {
    const period = { start: new Date("2024-09-01T00:00:00Z"), end: new Date("2024-09-08T00:00:00Z") };
    const texts = slackTexts(parse("slack", content({ kind: "digest", changes: [], period })));
    expect(texts).toContain("No changes in this period.");
    expect(texts).toContain("Digest · 0 changes · Period: 2024-09-01 00:00 UTC – 2024-09-08 00:00 UTC");
  });
});

/** Every text a Teams card shows: TextBlocks and facts. */
function teamsTexts(node: Json): string[] {
  if (Array.isArray(node)) return node.flatMap(teamsTexts);
  if (node === null || typeof node !== "object") return [];
  const own = node.type === "TextBlock" ? [node.text] : [];
  const facts = node.type === "FactSet" ? node.facts.flatMap((f: Json) => [f.title, f.value]) : [];
  return [...own, ...facts, ...Object.values(node).flatMap(teamsTexts)];
}

describe("webhookBody teams", () => {
  it("wraps an Adaptive Card 1.4 in the incoming-webhook message envelope", () => {
    const body = parse("teams", content());
    expect(body.type).toBe("message");
    expect(body.attachments).toHaveLength(1);
    const [attachment] = body.attachments;
    expect(attachment.contentType).toBe("application/vnd.microsoft.card.adaptive");
    expect(attachment.contentUrl).toBeNull();
    expect(attachment.content).toMatchObject({
      $schema: "http://adaptivecards.io/schemas/adaptive-card.json",
      type: "AdaptiveCard",
      version: "1.4",
    });
    expect(attachment.content.actions).toEqual([
      { type: "Action.OpenUrl", title: "Manage subscription", url: content().manageUrl },
      { type: "Action.OpenUrl", title: "Unsubscribe", url: content().unsubscribeUrl },
    ]);
    const texts = teamsTexts(attachment.content.body);
    expect(texts).toContain(
      "[**3B001.c.1.a**](https://regwatch.example/changes/chg-1): paragraph c.1.a added",
    );
    expect(texts).toContain("89 FR 72926");
    expect(texts).toContain("[Official text](https://www.ecfr.gov/current/title-15/part-774)");
  });

  it("escapes markdown in source text so it cannot forge links or formatting", () => {
    const hostile = change({
      title:
        "See [x](http://evil) and ![img](http://evil/p.png) **bold** _it_ `code` # h > q \\ {{DATE(2024-01-01T00:00:00Z)}}",
      citation: "[c](http://evil)",
    });
    const texts = teamsTexts(parse("teams", content({ changes: [hostile] })).attachments[0].content.body);
    const all = texts.join("\n");
    expect(all).toContain("See \\[x\\]\\(http://evil\\)");
    expect(all).toContain("\\*\\*bold\\*\\* \\_it\\_ \\`code\\` \\# h \\> q \\\\ \\{\\{DATE");
    expect(all).not.toContain("](http://evil");
    expect(all).not.toContain("{{");
  });

  it("stays under 25 KB and ends the list with how many were left out", () => {
    const long = many(150, { title: "Equipment ".repeat(40) });
    const body = webhookBody("teams", content({ kind: "digest", changes: long }));
    expect(Buffer.byteLength(body)).toBeLessThanOrEqual(25_000);
    const card = JSON.parse(body).attachments[0].content;
    const listed = card.body.filter((b: Json) => b.type === "Container").length;
    expect(listed).toBeGreaterThan(5);
    expect(card.body.at(-1).text).toBe(`…and ${150 - listed} more changes, not listed here.`);
  });

  it("lists everything when it fits", () => {
    const card = parse("teams", content({ kind: "digest", changes: many(3) })).attachments[0].content;
    expect(card.body.filter((b: Json) => b.type === "Container")).toHaveLength(3);
    expect(JSON.stringify(card)).not.toContain("more, not listed");
  });
});
