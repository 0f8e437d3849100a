import { readFileSync } from "node:fs";
import { join } from "node:path";
import { crc32, deflateRawSync } from "node:zlib";
import { SourceShapeChangedError } from "@regwatch/core/errors";
import type { Entry } from "@regwatch/core/schemas";
import { listTagger } from "@regwatch/core/taxonomy";
import { diffLists } from "@regwatch/diff/diff-snapshots";
import { entryHash } from "@regwatch/diff/entry-hash";
import { describe, expect, it } from "vitest";
import { recordContext } from "../../../test/support/record-context.ts";
import { startSourceServer } from "../../../test/support/source-server.ts";
import { silentLog, testHttpClient } from "../../../test/support/test-http.ts";
import { currentConsolidation, formexUrls, readConsolidations } from "../src/eu/annex-i/consolidations.ts";
import { formexStructure, readFormexSteps } from "../src/eu/annex-i/formex.ts";
import { CONSOLIDATIONS_URL, euCellarAnnexI as source } from "../src/eu/annex-i/source.ts";
import { readZip } from "../src/eu/annex-i/zip.ts";
import { runSteps } from "../src/steps.ts";

const fixture = (name: string) => readFileSync(join(import.meta.dirname, "../src/eu/annex-i/fixtures", name));
const challenge = () =>
  readFileSync(join(import.meta.dirname, "../src/eu/cellar-acts/fixtures/html-challenge.html"));
const BEFORE = "cons-2021R0821-20241108.xml";
const AFTER = "cons-2021R0821-20251115.xml";
const COSMETIC = "cons-2021R0821-20241108-cosmetic.xml";

const parseBody = (body: Uint8Array, contentType: string | null = null) => {
  const snapshot = source.parse({ body, contentType });
  if (snapshot.kind !== "list") throw new Error("expected a list");
  return snapshot;
};
const parse = (name: string) => parseBody(fixture(name));
const byKey = (name: string) => new Map(parse(name).entries.map((e) => [e.key, e]));
const ctx = recordContext(source, { detectedAt: "2025-11-20T08:00:00.000Z" });
const diff = (before: Entry[], after: Entry[]) =>
  diffLists(
    before.map((e) => ({ ...e, hash: entryHash(e) })),
    after,
    ctx,
  );

/** A zip as Cellar would send a package [I]: stored or deflated members, a central directory. */
function zip(members: { name: string; data: Uint8Array; store?: boolean }[]): Buffer {
  const parts: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const m of members) {
    const packed = m.store ? Buffer.from(m.data) : deflateRawSync(m.data);
    const method = m.store ? 0 : 8;
    const crc = crc32(m.data);
    const name = Buffer.from(m.name);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(method, 8);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(packed.length, 18);
    local.writeUInt32LE(m.data.length, 22);
    local.writeUInt16LE(name.length, 26);
    parts.push(local, name, packed);
    const entry = Buffer.alloc(46);
    entry.writeUInt32LE(0x02014b50, 0);
    entry.writeUInt16LE(20, 4);
    entry.writeUInt16LE(20, 6);
    entry.writeUInt16LE(method, 10);
    entry.writeUInt32LE(crc, 16);
    entry.writeUInt32LE(packed.length, 20);
    entry.writeUInt32LE(m.data.length, 24);
    entry.writeUInt16LE(name.length, 28);
    entry.writeUInt32LE(offset, 42);
    central.push(entry, name);
    offset += 30 + name.length + packed.length;
  }
  const directory = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(members.length, 8);
  end.writeUInt16LE(members.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...parts, directory, end]);
}

const DOC_DESCRIPTOR = Buffer.from(
  '<?xml version="1.0" encoding="UTF-8"?><DOC><FMX><DOC.MAIN.PUB><REF.PHYS FILE="CL2021R0821EN0040010.0001.xml"/></DOC.MAIN.PUB></FMX></DOC>',
);

describe("eu.cellar.annex-i parser", () => {
  it("keys Annex I Wassenaar-style, with categories, subcategories, sections and definitions", () => {
    const snapshot = parse(BEFORE);
    expect(snapshot.source).toBe("eu.cellar.annex-i");
    expect(snapshot.warnings).toEqual([]);
    expect(snapshot.entries.map((e) => [e.key, e.parentKey])).toEqual([
      ["sec.general-notes-to-annex-i", null],
      ["sec.definitions-of-terms-used-in-this-annex", null],
      ["def:Accuracy", "sec.definitions-of-terms-used-in-this-annex"],
      ["def:Additive manufacturing", "sec.definitions-of-terms-used-in-this-annex"],
      ["def:Additive manufacturing.nb", "def:Additive manufacturing"],
      ["cat.1", null],
      ["cat.1.A", "cat.1"],
      ["1A001", "cat.1.A"],
      ["1A001.a", "1A001"],
      ["1A001.b", "1A001"],
      ["cat.3", null],
      ["cat.3.A", "cat.3"],
      ["cat.3.A.note.1", "cat.3.A"],
      ["3A001", "cat.3.A"],
      ["3A001.a", "3A001"],
      ["3A001.a.note.1", "3A001.a"],
      ["3A001.a.1", "3A001.a"],
      ["3A001.a.1.a", "3A001.a.1"],
      ["3A001.a.1.b", "3A001.a.1"],
      ["3A001.a.1.c", "3A001.a.1"],
      ["3A001.a.1.c.note", "3A001.a.1.c"],
      ["3A001.a.2", "3A001.a"],
      ["3A001.b", "3A001"],
      ["3A001.b.1", "3A001.b"],
      ["3A001.b.2", "3A001.b"],
      ["3A001.b.3", "3A001.b"],
      ["3A001.b.technical-note", "3A001.b"],
      ["3A001.nb", "3A001"],
      ["cat.3.B", "cat.3"],
      ["3B001", "cat.3.B"],
      ["3B001.a", "3B001"],
      ["3B001.a.1", "3B001.a"],
      ["3B001.a.1.note", "3B001.a.1"],
      ["3B001.b", "3B001"],
      ["3B001.c", "3B001"],
      ["3B001.c.1", "3B001.c"],
      ["3B001.c.1.a", "3B001.c.1"],
      ["3B001.c.1.b", "3B001.c.1"],
      ["cat.4", null],
      ["cat.4.note.1", "cat.4"],
      ["cat.4.A", "cat.4"],
      ["4A003", "cat.4.A"],
      ["4A003.a", "4A003"],
      ["4A003.b", "4A003"],
      ["cat.5", null],
      ["cat.5.part.2", "cat.5"],
      ["cat.5.A2", "cat.5.part.2"],
      ["5A002", "cat.5.A2"],
      ["5A002.a", "5A002"],
    ]);
  });

  it("keeps the text as printed: headings, superscripts, quote marks, notes as their own entries", () => {
    const entries = byKey(BEFORE);
    expect(entries.get("cat.3")).toMatchObject({ heading: "CATEGORY 3 — ELECTRONICS", text: "" });
    expect(entries.get("3A001")).toMatchObject({
      heading: "Electronic items as follows:",
      text: "",
      data: { category: "3" },
    });
    expect(entries.get("3A001.a.1.c")?.text).toBe(
      "A fluence (integrated flux) of neutrons (1 MeV equivalent) of 5 × 10^13 n/cm^2 or higher on silicon;",
    );
    expect(entries.get("3A001.a.2")?.text).toBe(
      "‘Microprocessor microcircuits’ rated for operation at an ambient temperature above 398 K (125 °C);",
    );
    expect(entries.get("cat.5")?.heading).toBe("CATEGORY 5 — TELECOMMUNICATIONS AND “INFORMATION SECURITY”");
    expect(entries.get("3A001.a.note.1")).toMatchObject({
      heading: null,
      text: "Integrated circuits include monolithic integrated circuits, hybrid integrated circuits and multichip integrated circuits.",
      data: { note: "Note 1" },
    });
    // A note's own numbered list stays in the note, not among the paragraphs.
    expect(entries.get("3A001.b.technical-note")).toMatchObject({
      text: "1. For the purposes of 3A001.b, the parameter peak saturated power output may also be referred to as product output power.\n2. The operating frequency is the range between the lowest and the highest frequency.",
      data: { note: "Technical Notes" },
    });
    expect(entries.get("sec.general-notes-to-annex-i")?.text).toMatch(
      /^1\. For control of goods .*\n2\. The object/s,
    );
    expect(entries.get("def:Accuracy")?.text).toMatch(/^‘Accuracy’ \(2 6\), usually measured/);
    // Annex II is not the list.
    expect([...entries.values()].some((e) => e.text.includes("EU001"))).toBe(false);
  });

  it("puts a note under the paragraph it names, not under the one it happens to follow", () => {
    const entries = byKey(BEFORE);
    // It stands after 3A001.a.1.c, inside 3A001.a.1, and names 3A001.a.1.c.
    expect(entries.get("3A001.a.1.c.note")?.text).toBe(
      "3A001.a.1.c. does not apply to Metal Insulator Semiconductors (MIS).",
    );
    // A pointer to another paragraph ("see …") and another entry's number do not move a note.
    const moved = fixture(BEFORE)
      .toString("utf8")
      .replace("3A001.a.1.c. does not apply", "See also 3A001.a.1.c. It does not apply");
    expect(parseBody(Buffer.from(moved)).entries.map((e) => e.key)).toContain("3A001.a.1.note");
  });

  it("records the consolidation: its date, CELEX, the amending acts it names", () => {
    const snapshot = parse(AFTER);
    expect(snapshot.meta).toMatchObject({
      celex: "32021R0821",
      consolidatedCelex: "02021R0821-20251115",
      versionDate: "2025-11-15",
      producedOn: "2025-12-01",
      language: "EN",
      annexTitle: "ANNEX I",
      annexSubtitle: "LIST OF DUAL-USE ITEMS REFERRED TO IN ARTICLE 3 OF THIS REGULATION",
      member: null,
      counts: { categories: 4, entries: 7, paragraphs: 23, notes: 8 },
    });
    expect(snapshot.meta.amendments.map((a) => [a.celex, a.date])).toEqual([
      ["32024R2547", "2024-09-05"],
      ["32025R2003", "2025-09-08"],
    ]);
    expect(snapshot.meta.amendments[1]?.title).toMatch(
      /^Commission Delegated Regulation \(EU\) 2025\/2003 of 8/,
    );
    expect(source.versionDate?.(snapshot, { url: null, asOf: null })).toBe("2025-11-15");
    expect(source.describe(snapshot, { url: null, asOf: "2025-11-15" })).toEqual({
      publishedAt: null,
      effectiveAt: "2025-11-15",
      // Left to the pipeline, which links the delegated regulation in force that day.
      citation: null,
      url: "http://data.europa.eu/eli/reg/2021/821/2025-11-15",
    });
    expect(source.citedAs).toEqual(["Regulation (EU) 2021/821", "32021R0821"]);
  });

  it("gives zero records for a re-serialized version (whitespace, attribute order, references, page markers)", () => {
    expect(diff(parse(BEFORE).entries, parse(COSMETIC).entries)).toEqual([]);
  });

  it("diffs the whole list into exactly the entries a delegated regulation changed", () => {
    const records = diff(parse(BEFORE).entries, parse(AFTER).entries);
    expect(records.map((r) => `${r.kind} ${r.subject}`).sort()).toEqual([
      "added 1A907",
      "added 4A906",
      "modified 3A001.a.2",
      "removed 3A001.b.3",
    ]);
    const modified = records.find((r) => r.subject === "3A001.a.2")!;
    expect(modified.before).toContain("398 K (125 °C)");
    expect(modified.after).toContain("423 K (150 °C)");
    // The new entry's paragraphs come with it.
    expect(records.find((r) => r.subject === "4A906")?.after).toContain("34 or more, but fewer than 100");
  });

  it("tags the plurilateral and semiconductor entries with the right technologies", () => {
    const after = parse(AFTER);
    const tags = listTagger(new Map(after.entries.map((e) => [e.key, e])));
    expect(tags("4A906")).toEqual(["quantum"]);
    expect(tags("4A906.a")).toEqual(["quantum"]);
    expect(tags("3B001.c.1.a")).toEqual(["semiconductor-manufacturing-equipment"]);
    expect(tags("3A001.a.1.a")).toContain("advanced-semiconductors");
    expect(tags("5A002.a")).toEqual(["cryptography"]);
    const records = diff(parse(BEFORE).entries, after.entries);
    expect(records.find((r) => r.subject === "4A906")).toMatchObject({
      technologies: ["quantum"],
      wassenaarCategory: "4",
    });
    // 1A907's subject is not known to us (its wording here is a placeholder): no tag is claimed for it.
    expect(records.find((r) => r.subject === "1A907")?.wassenaarCategory).toBe("1");
  });

  it("reads the zip Cellar sends, picking the act among its members", () => {
    const xml = fixture(BEFORE);
    const body = zip([
      { name: "CL2021R0821EN0040010.0001.doc.xml", data: DOC_DESCRIPTOR, store: true },
      { name: "CL2021R0821EN0040010.0001.xml", data: xml },
    ]);
    const snapshot = parseBody(body, "application/zip");
    expect(snapshot.meta.member).toBe("CL2021R0821EN0040010.0001.xml");
    expect(snapshot.entries).toEqual(parse(BEFORE).entries);
    expect(readZip(body).map((m) => [m.name, m.data.length])).toEqual([
      ["CL2021R0821EN0040010.0001.doc.xml", DOC_DESCRIPTOR.length],
      ["CL2021R0821EN0040010.0001.xml", xml.length],
    ]);
  });

  it("refuses a damaged, truncated or ambiguous zip", () => {
    const xml = fixture(BEFORE);
    const good = zip([{ name: "act.xml", data: xml, store: true }]);
    const damaged = Buffer.from(good);
    damaged[40] = damaged[40]! ^ 0xff;
    expect(() => parseBody(damaged)).toThrow(/fails its CRC-32 check/);
    expect(() => parseBody(good.subarray(0, good.length - 30))).toThrow(/not a complete zip archive/);
    const two = zip([
      { name: "a.xml", data: xml },
      { name: "b.xml", data: xml },
    ]);
    expect(() => parseBody(two)).toThrow(
      /2 members with an ACT or CONS.ACT root \(a.xml, b.xml\); expected one/,
    );
    expect(() => readZip(zip([{ name: "big.xml", data: xml }]), "zip", 1000)).toThrow(/more than 1000 bytes/);
  });

  it("refuses an HTML challenge page served with 200, naming it", () => {
    expect(() => parseBody(challenge(), "text/html")).toThrow(
      /answered with an HTML page \(a JavaScript\/bot challenge\) instead of the document/,
    );
    expect(() => parseBody(challenge(), "application/zip")).toThrow(SourceShapeChangedError);
  });

  it("refuses malformed XML, entity tricks, other acts and a missing Annex I with a clear error", () => {
    const text = fixture(BEFORE).toString("utf8");
    expect(() => parseBody(fixture(BEFORE).subarray(0, 4000))).toThrow(/malformed XML/);
    expect(() =>
      parseBody(Buffer.from(text.replace("<CONS.ACT ", '<!DOCTYPE CONS.ACT [<!ENTITY x "y">]>\n<CONS.ACT '))),
    ).toThrow(/declares XML entities/);
    expect(() =>
      parseBody(Buffer.from(text.replaceAll('CONSLEG.REF="2021R0821"', 'CONSLEG.REF="2009R0810"'))),
    ).toThrow(/the consolidation is of 2009R0810, expected 2021R0821/);
    expect(() => parseBody(Buffer.from(text.replace("<P>ANNEX I</P>", "<P>ANNEX IA</P>")))).toThrow(
      /0 annexes titled "ANNEX I" \(annexes: ANNEX IA, ANNEX II\); expected one/,
    );
    const act =
      '<ACT><BIB.INSTANCE><LG.DOC>EN</LG.DOC></BIB.INSTANCE><ENACTING.TERMS><ARTICLE IDENTIFIER="001"><TI.ART>Article 1</TI.ART></ARTICLE></ENACTING.TERMS></ACT>';
    expect(() => parseBody(Buffer.from(act))).toThrow(
      /found an act as published \(<ACT>\), expected a consolidated version/,
    );
    expect(() => parseBody(Buffer.from("<DOC/>"))).toThrow(/root <DOC> is not a Formex act/);
    expect(() =>
      parseBody(Buffer.from(text.replace(/<NO\.P>(\d[A-E]\d{3})<\/NO\.P>/g, "<NO.P>x</NO.P>"))),
    ).toThrow(/holds no numbered entries/);
  });

  it("reads paragraphs written flat, and headings written as paragraphs, by Wassenaar's alternating labels", () => {
    const np = (label: string, text: string) => `<NP><NO.P>${label}</NO.P><TXT>${text}</TXT></NP>`;
    const contents = [
      "<P>CATEGORY 3 — ELECTRONICS</P>",
      "<P>3B Test, Inspection and Production Equipment</P>",
      "<P>3B001 Equipment for the manufacturing of semiconductor devices, as follows:</P>",
      np("a.", "Equipment designed for epitaxial growth as follows:"),
      np("1.", "Equipment producing a layer of any material;"),
      np("a.", "first sub-item;"),
      np("b.", "second sub-item;"),
      "<P>Note: 3B001.a.1 includes atomic layer epitaxy equipment.</P>",
      np("2.", "Metal organic chemical vapour deposition reactors;"),
      np("b.", "Not used;"),
      np("c.", "Equipment designed for dry etching;"),
    ].join("\n");
    const text = fixture(BEFORE)
      .toString("utf8")
      .replace(
        /<CONS\.ANNEX>\s*<TITLE>\s*<TI><P>ANNEX I<\/P>[\s\S]*?<\/CONS\.ANNEX>/,
        `<CONS.ANNEX><TITLE><TI><P>ANNEX I</P></TI></TITLE><CONTENTS>${contents}</CONTENTS></CONS.ANNEX>`,
      );
    const snapshot = parseBody(Buffer.from(text));
    expect(snapshot.warnings).toEqual([]);
    expect(snapshot.entries.map((e) => [e.key, e.parentKey])).toEqual([
      ["cat.3", null],
      ["cat.3.B", "cat.3"],
      ["3B001", "cat.3.B"],
      ["3B001.a", "3B001"],
      ["3B001.a.1", "3B001.a"],
      ["3B001.a.1.a", "3B001.a.1"],
      ["3B001.a.1.b", "3B001.a.1"],
      ["3B001.a.1.note", "3B001.a.1"],
      ["3B001.a.2", "3B001.a"],
      ["3B001.b", "3B001"],
      ["3B001.c", "3B001"],
    ]);
  });

  it("reads the generic outline of a consolidated act", () => {
    const doc = runSteps(readFormexSteps({ body: fixture(BEFORE) }));
    expect(formexStructure(doc)).toMatchObject({
      root: "CONS.ACT",
      celex: "32021R0821",
      language: "EN",
      articles: 2,
      divisions: 2,
      annexes: ["ANNEX I", "ANNEX II"],
      consolidation: { ref: "2021R0821", startDate: "2024-11-08", endDate: null, producedOn: "2024-11-20" },
    });
  });
});

describe("eu.cellar.annex-i probe and fetch", () => {
  const JSON_TYPE = "application/sparql-results+json";

  it("reads the consolidations probe and picks the version in force", () => {
    const { versions, warnings } = readConsolidations(fixture("sparql-consolidations.json"), JSON_TYPE);
    expect(versions.map((v) => v.celex)).toEqual([
      "02021R0821-20210909",
      "02021R0821-20241108",
      "02021R0821-20251115",
      "02021R0821-20261231",
    ]);
    expect(warnings).toEqual([]);
    // A consolidation dated ahead is not the law yet.
    expect(currentConsolidation(versions, "2025-11-20")?.celex).toBe("02021R0821-20251115");
    expect(currentConsolidation(versions, "2021-01-01")).toBeNull();
    expect(formexUrls(versions[1]!)).toEqual([
      "https://publications.europa.eu/resource/consolidation/2021R0821%2F20241108.ENG.fmx4",
      "https://publications.europa.eu/resource/celex/02021R0821-20241108.ENG.fmx4",
    ]);
  });

  it("refuses a probe answer naming another act, or not SPARQL JSON", () => {
    const other = Buffer.from(
      JSON.stringify({
        head: { vars: ["celex"] },
        results: { bindings: [{ celex: { type: "literal", value: "02009R0810-20200202" } }] },
      }),
    );
    expect(() => readConsolidations(other, JSON_TYPE)).toThrow(
      /"02009R0810-20200202" is not a consolidated version of 2021R0821/,
    );
    expect(() => readConsolidations(challenge(), "text/html")).toThrow(/HTML page/);
    expect(() => readConsolidations(Buffer.from('{"head":'), JSON_TYPE)).toThrow(/malformed SPARQL JSON/);
  });

  it("probes first and fetches the Formex only when a newer version is in force, falling back across addresses", async () => {
    let formexAsked = 0;
    const server = await startSourceServer((url) => {
      if (url.pathname === "/webapi/rdf/sparql")
        return () => ({
          headers: { "content-type": JSON_TYPE },
          body: fixture("sparql-consolidations.json"),
        });
      // The consolidation/ form is unknown here (404): the celex/ form answers, with a zip.
      if (url.pathname === "/resource/celex/02021R0821-20251115.ENG.fmx4")
        return (req) => {
          formexAsked++;
          if (req.headers["if-none-match"] === '"v1"') return { status: 304 };
          return {
            headers: { "content-type": "application/zip", etag: '"v1"' },
            body: zip([{ name: "CL2021R0821EN0050010.0001.xml", data: fixture(AFTER) }]),
          };
        };
      return undefined;
    });
    try {
      const http = testHttpClient({ "https://publications.europa.eu": server.origin });
      const now = new Date("2025-11-20T06:20:00Z");
      const first = await source.fetch({ http, log: silentLog, now, state: {} });
      expect(server.requests.map((r) => r.path.split("?")[0])).toEqual([
        "/webapi/rdf/sparql",
        "/resource/consolidation/2021R0821%2F20251115.ENG.fmx4",
        "/resource/celex/02021R0821-20251115.ENG.fmx4",
      ]);
      expect(new URL(`http://x${server.requests[0]!.path}`).searchParams.get("query")).toContain(
        "32021R0821",
      );
      expect(first.artifacts.map((a) => a.asOf)).toEqual(["2025-11-15"]);
      expect(first.state).toEqual({ lastCelex: "02021R0821-20251115" });
      const { response } = first.artifacts[0]!;
      const snapshot = parseBody(response.body, response.contentType);
      expect(snapshot.meta.consolidatedCelex).toBe("02021R0821-20251115");

      // Next run: the probe alone.
      server.requests.length = 0;
      const again = await source.fetch({ http, log: silentLog, now, state: first.state });
      expect(server.requests.map((r) => r.path.split("?")[0])).toEqual(["/webapi/rdf/sparql"]);
      expect(again.artifacts).toEqual([]);
      expect(formexAsked).toBe(1);
    } finally {
      await server.close();
    }
  });

  it("asks for the Formex conditionally: a 304 gives nothing to parse, the probe is never conditional", async () => {
    const server = await startSourceServer((url) => {
      if (url.pathname === "/webapi/rdf/sparql")
        return () => ({
          headers: { "content-type": JSON_TYPE },
          body: fixture("sparql-consolidations.json"),
        });
      if (url.pathname === "/resource/consolidation/2021R0821%2F20251115.ENG.fmx4")
        return (req) =>
          req.headers["if-none-match"] === '"v1"' ? { status: 304 } : { body: fixture(AFTER) };
      return undefined;
    });
    try {
      const validators = { get: async () => ({ etag: '"v1"', lastModified: null }) };
      const http = testHttpClient({ "https://publications.europa.eu": server.origin }, { validators });
      const now = new Date("2025-11-20T06:20:00Z");
      const result = await source.fetch({
        http,
        log: silentLog,
        now,
        state: { lastCelex: "02021R0821-20241108" },
      });
      expect(result.artifacts).toEqual([]);
      expect(result.state).toEqual({ lastCelex: "02021R0821-20251115" });
      expect(server.requests.map((r) => r.headers["if-none-match"])).toEqual([undefined, '"v1"']);
    } finally {
      await server.close();
    }
  });

  it("backfills every version since a date, skipping one Cellar no longer serves", async () => {
    const served: Record<string, string> = {
      "/resource/consolidation/2021R0821%2F20241108.ENG.fmx4": BEFORE,
      "/resource/consolidation/2021R0821%2F20251115.ENG.fmx4": AFTER,
    };
    const server = await startSourceServer((url) => {
      if (url.pathname === "/webapi/rdf/sparql")
        return () => ({
          headers: { "content-type": JSON_TYPE },
          body: fixture("sparql-consolidations.json"),
        });
      const name = served[url.pathname];
      return name
        ? () => ({ headers: { "content-type": "application/xml" }, body: fixture(name) })
        : undefined;
    });
    try {
      const http = testHttpClient({ "https://publications.europa.eu": server.origin });
      const steps = [];
      for await (const step of source.backfill!(
        { http, log: silentLog, now: new Date("2025-11-20T06:20:00Z"), state: {} },
        "2021-01-01",
      ))
        steps.push(step);
      // 2021-09-09 is answered by neither address; 2026-12-31 is not in force yet.
      expect(steps.map((s) => [s.artifact.asOf, s.index, s.total, s.state])).toEqual([
        ["2024-11-08", 2, 3, { lastCelex: "02021R0821-20241108" }],
        ["2025-11-15", 3, 3, { lastCelex: "02021R0821-20251115" }],
      ]);
    } finally {
      await server.close();
    }
  });

  it("asks with the probe's URL and declares sane expectations", () => {
    expect(CONSOLIDATIONS_URL).toMatch(/^https:\/\/publications\.europa\.eu\/webapi\/rdf\/sparql\?query=/);
    expect(source).toMatchObject({ id: "eu.cellar.annex-i", jurisdiction: "EU", kind: "list" });
    expect(source.expectations.minEntries).toBeLessThan(source.expectations.maxEntries);
  });
});
