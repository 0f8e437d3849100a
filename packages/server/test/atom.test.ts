import type { ChangeRecord } from "@regwatch/core/schemas";
import { SaxesParser } from "saxes";
import { describe, expect, it } from "vitest";
import { CCL_CHANGE as FIXTURE } from "../../../test/support/change-fixture.ts";
import { changesAtom } from "../src/formats/atom.ts";

const ATOM = "http://www.w3.org/2005/Atom";
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})$/;

interface Element {
  name: string;
  uri: string;
  attributes: Record<string, string>;
  children: Element[];
  text: string;
}

/** Parse with saxes, which throws on anything that is not well-formed, namespace-valid XML 1.0. */
function parseXml(xml: string): { declaration: { version?: string; encoding?: string }; root: Element } {
  const parser = new SaxesParser({ xmlns: true });
  const stack: Element[] = [];
  let root: Element | undefined;
  let declaration: { version?: string; encoding?: string } = {};
  parser.on("xmldecl", (d) => {
    declaration = { version: d.version, encoding: d.encoding };
  });
  parser.on("opentag", (tag) => {
    const element: Element = {
      name: tag.local,
      uri: tag.uri,
      attributes: Object.fromEntries(Object.values(tag.attributes).map((a) => [a.local, a.value])),
      children: [],
      text: "",
    };
    if (stack.length) stack[stack.length - 1]!.children.push(element);
    else root = element;
    stack.push(element);
  });
  parser.on("text", (text) => {
    if (stack.length) stack[stack.length - 1]!.text += text;
  });
  parser.on("closetag", () => {
    stack.pop();
  });
  parser.write(xml).close();
  if (!root) throw new Error("no root element");
  return { declaration, root };
}

const children = (e: Element, name: string) => e.children.filter((c) => c.name === name && c.uri === ATOM);
function child(e: Element, name: string): Element {
  const found = children(e, name);
  if (found.length !== 1) throw new Error(`expected one <${name}> in <${e.name}>, found ${found.length}`);
  return found[0]!;
}
const link = (e: Element, rel: string) => children(e, "link").find((l) => l.attributes.rel === rel);

const CCL_CHANGE: ChangeRecord = {
  ...FIXTURE,
  id: "0123456789abcdef0123456789abcdef",
  title: "Equipment designed for dry anisotropic plasma etching",
};

const change = (c: Partial<ChangeRecord>): ChangeRecord => ({ ...CCL_CHANGE, ...c });

const ECL_CHANGE = change({
  id: "ecl-5506-2-c",
  source: "ca.export-control-list",
  jurisdiction: "CA",
  kind: "modified",
  subject: "5506(2)(c)",
  title: "5506(2)(c) changed",
  before: "Quantum computers having 34 qubits",
  after: "Quantum computers having 34 or more qubits",
  technologies: ["quantum"],
  countries: [],
  publishedAt: null,
  effectiveAt: null,
  detectedAt: "2024-10-01T08:30:00Z",
  url: "javascript:alert(1)",
  citation: null,
  details: { parentKey: "5506" },
  diff: [
    ["=", "Quantum computers having 34 "],
    ["-", "qubits"],
    ["+", "or more qubits"],
  ],
});

const changeUrl = (id: string) => `https://regwatch.example/changes/${encodeURIComponent(id)}`;

function render(changes: ChangeRecord[], url = changeUrl): string {
  return changesAtom({
    feedUrl: "https://regwatch.example/feeds/changes.atom",
    siteUrl: "https://regwatch.example/",
    title: "regwatch: export-control changes",
    updated: new Date("2024-10-02T00:00:00Z"),
    changes,
    changeUrl: url,
  });
}

const entries = (xml: string) => children(parseXml(xml).root, "entry");

describe("changesAtom", () => {
  it("writes a well-formed Atom feed with the required feed elements", () => {
    const { declaration, root } = parseXml(render([CCL_CHANGE, ECL_CHANGE]));
    expect(declaration).toEqual({ version: "1.0", encoding: "utf-8" });
    expect(root.name).toBe("feed");
    expect(root.uri).toBe(ATOM);
    expect(child(root, "id").text).toBe("https://regwatch.example/feeds/changes.atom");
    expect(child(root, "title").text).toBe("regwatch: export-control changes");
    expect(child(root, "updated").text).toBe("2024-10-02T00:00:00.000Z");
    expect(child(root, "updated").text).toMatch(RFC3339);
    expect(link(root, "self")?.attributes.href).toBe("https://regwatch.example/feeds/changes.atom");
    expect(link(root, "alternate")?.attributes.href).toBe("https://regwatch.example/");
    expect(child(child(root, "author"), "name").text).toBe("regwatch");
    expect(child(root, "generator").text).toBe("regwatch");
  });

  it("gives every entry an id, title, updated, published and alternate link", () => {
    for (const entry of entries(render([CCL_CHANGE, ECL_CHANGE]))) {
      expect(child(entry, "id").text).toMatch(/^https:\/\/regwatch\.example\/changes\//);
      expect(child(entry, "title").text).not.toBe("");
      expect(child(entry, "updated").text).toMatch(RFC3339);
      expect(child(entry, "published").text).toMatch(RFC3339);
      expect(link(entry, "alternate")?.attributes.href).toBe(child(entry, "id").text);
    }
  });

  it("titles an entry like the alert subject, with the change's own title", () => {
    const [ecl, ccl] = entries(render([CCL_CHANGE, ECL_CHANGE]));
    expect(child(ccl!, "title").text).toBe(
      "[US] CCL 3B001: paragraph c.1.a added — Equipment designed for dry anisotropic plasma etching",
    );
    expect(child(ecl!, "title").text).toBe("[CA] ECL 5506: paragraph (2)(c) amended — 5506(2)(c) changed");
  });

  it("keeps hostile title text intact as text, minus the characters XML cannot hold", () => {
    const hostile = change({
      title: "Rule <script>alert(\"x\")</script> & 'more'\u0001 \ud800end \ufffe",
      citation: "89 FR <b>1</b> & \u0002co",
      after: "Text <script>x</script> & \u0003 \udc00 done",
    });
    const xml = render([hostile]);
    expect(xml).not.toMatch(/[\u0001-\u0003\ufffe]/);
    expect(xml).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/);
    const [entry] = entries(xml);
    expect(child(entry!, "title").text).toBe(
      "[US] CCL 3B001: paragraph c.1.a added — Rule <script>alert(\"x\")</script> & 'more' end",
    );
    expect(child(entry!, "summary").text).toBe("Effective 2024-09-06. Citation: 89 FR <b>1</b> & co.");
    expect(child(entry!, "content").text).toContain(
      "<ins>Text &#60;script&#62;x&#60;/script&#62; &#38;   done</ins>",
    );
  });

  it("fails the test parser on a control character, so the check above has teeth", () => {
    expect(() =>
      parseXml('<feed xmlns="http://www.w3.org/2005/Atom"><title>a\u0001b</title></feed>'),
    ).toThrow();
  });

  it("escapes the HTML redline exactly once: markup survives one parse, source markup stays escaped", () => {
    const xml = render([change({ ...ECL_CHANGE, diff: [...ECL_CHANGE.diff!, ["+", " <script>&"]] })]);
    expect(xml).toContain("&lt;del&gt;qubits&lt;/del&gt;");
    expect(xml).not.toContain("<del>");
    const [entry] = entries(xml);
    const content = child(entry!, "content");
    expect(content.attributes.type).toBe("html");
    expect(content.text).toBe(
      "<p><strong>Changes</strong></p><p>Quantum computers having 34 <del>qubits</del><ins>or more qubits</ins><ins> &#60;script&#62;&#38;</ins></p>",
    );
  });

  it("shows before and after when there is no word diff", () => {
    const [entry] = entries(render([change({ ...ECL_CHANGE, diff: null })]));
    expect(child(entry!, "content").text).toBe(
      "<p><strong>Before</strong></p><p><del>Quantum computers having 34 qubits</del></p>" +
        "<p><strong>After</strong></p><p><ins>Quantum computers having 34 or more qubits</ins></p>",
    );
    const [added] = entries(render([CCL_CHANGE]));
    expect(child(added!, "content").text).toBe(
      "<p><strong>Added text</strong></p><p><ins>Equipment designed for dry anisotropic plasma etching of gate-all-around structures</ins></p>",
    );
  });

  it("keeps entry ids stable across renders and distinct per change", () => {
    const ids = (xml: string) => entries(xml).map((e) => child(e, "id").text);
    const first = ids(render([CCL_CHANGE, ECL_CHANGE]));
    const second = ids(render([ECL_CHANGE, change({ title: "retitled" }), change({ id: "other" })]));
    expect(new Set(first).size).toBe(2);
    expect(second).toEqual(expect.arrayContaining(first));
    expect(render([CCL_CHANGE, ECL_CHANGE])).toBe(render([ECL_CHANGE, CCL_CHANGE]));
  });

  it("orders entries newest detection first, then by id, and adds none", () => {
    const changes = [
      change({ id: "b", detectedAt: "2024-09-01T00:00:00Z" }),
      change({ id: "d", detectedAt: "2024-09-03T00:00:00+02:00" }),
      change({ id: "c", detectedAt: "2024-09-01T00:00:00Z" }),
      change({ id: "a", detectedAt: "2024-09-02T23:00:00Z" }),
    ];
    const order = entries(render(changes)).map((e) => child(e, "id").text.split("/").pop());
    expect(order).toEqual(["a", "d", "b", "c"]);
    expect(entries(render([]))).toEqual([]);
  });

  it("dates published from publishedAt when it is a real date, else from detection", () => {
    const published = (c: Partial<ChangeRecord>) => child(entries(render([change(c)]))[0]!, "published").text;
    expect(published({})).toBe("2024-09-06T00:00:00.000Z");
    expect(published({ publishedAt: null })).toBe("2024-09-06T12:00:00.000Z");
    expect(published({ publishedAt: "2024-02-30" })).toBe("2024-09-06T12:00:00.000Z");
    expect(published({ publishedAt: "soon" })).toBe("2024-09-06T12:00:00.000Z");
  });

  it("links the official text only when it is http(s)", () => {
    const [ecl, ccl] = entries(render([CCL_CHANGE, ECL_CHANGE]));
    expect(link(ccl!, "related")?.attributes.href).toBe("https://www.ecfr.gov/current/title-15/part-774");
    expect(link(ecl!, "related")).toBeUndefined();
  });

  it("tags each entry with its technologies and jurisdiction", () => {
    const [entry] = entries(render([CCL_CHANGE]));
    expect(children(entry!, "category").map((c) => c.attributes)).toEqual([
      { term: "semiconductor-manufacturing-equipment", label: "Semiconductor manufacturing equipment" },
      { term: "gaafet", label: "Gate-all-around field-effect transistors (GAAFET)" },
      { term: "US", label: "United States" },
    ]);
  });

  it("states the effective date and citation in the summary", () => {
    const [ecl, ccl] = entries(render([CCL_CHANGE, ECL_CHANGE]));
    expect(child(ccl!, "summary").attributes.type).toBe("text");
    expect(child(ccl!, "summary").text).toBe("Effective 2024-09-06. Citation: 89 FR 72926.");
    expect(child(ecl!, "summary").text).toBe("Effective date not stated. No citation.");
  });

  it("escapes attribute values, so a query string survives", () => {
    const url = (id: string) => `https://regwatch.example/changes?id=${id}&view="full"`;
    const [entry] = entries(render([CCL_CHANGE], url));
    expect(link(entry!, "alternate")?.attributes.href).toBe(
      `https://regwatch.example/changes?id=${CCL_CHANGE.id}&view=%22full%22`,
    );
  });

  it("refuses a feed or change URL that is not absolute http(s)", () => {
    expect(() => render([CCL_CHANGE], (id) => `/changes/${id}`)).toThrow(/changeUrl/);
    expect(() =>
      changesAtom({
        feedUrl: "feed.atom",
        siteUrl: "https://regwatch.example/",
        title: "t",
        updated: new Date(),
        changes: [],
        changeUrl,
      }),
    ).toThrow(/feedUrl/);
  });
});
