import { readFileSync } from "node:fs";
import { join } from "node:path";
import { SourceShapeChangedError } from "@regwatch/core/errors";
import type { HttpClient, HttpRequestOptions, HttpResponse } from "@regwatch/core/http";
import type { Entry } from "@regwatch/core/schemas";
import { listTagger, technologiesForKey, technologiesForText } from "@regwatch/core/taxonomy";
import { diffLists } from "@regwatch/diff/diff-snapshots";
import { entryHash } from "@regwatch/diff/entry-hash";
import { describe, expect, it } from "vitest";
import { recordContext } from "../../../test/support/record-context.ts";
import { silentLog } from "../../../test/support/test-http.ts";
import { parseEcoSchedules } from "../src/gb/eco-schedules/parse.ts";
import { contentsUrl, gbEcoSchedules as source } from "../src/gb/eco-schedules/source.ts";

const BEFORE = "eco-schedules-2022-12-14.xml";
const AFTER = "eco-schedules-2024-04-01.xml";
const COSMETIC = "eco-schedules-2024-04-01-cosmetic.xml";
const fixture = (name: string) =>
  readFileSync(join(import.meta.dirname, "../src/gb/eco-schedules/fixtures", name));
const text = (name: string) => fixture(name).toString("utf8");
const parseBody = (body: Buffer) => {
  const snapshot = source.parse({ body });
  if (snapshot.kind !== "list") throw new Error("expected a list");
  return snapshot;
};
const parse = (name: string) => parseBody(fixture(name));
const byKey = (entries: Entry[]) => new Map(entries.map((e) => [e.key, e]));

function diff(oldName: string, newName: string) {
  const next = parse(newName);
  const described = source.describe(next, { url: null, asOf: null });
  const ctx = recordContext(source, {
    effectiveAt: described.effectiveAt,
    citationsByDate: described.citationsByDate,
  });
  const before = parse(oldName).entries.map((e) => ({ ...e, hash: entryHash(e) }));
  return diffLists(before, next.entries, ctx);
}

// A table of contents as the probe reads it: metadata only (hand-written, CLML form of the 2019/419 sample).
const contents = (
  modified: string,
  valid: string,
  idUri = "http://www.legislation.gov.uk/id/uksi/2008/3231",
) =>
  Buffer.from(`<?xml version="1.0" encoding="UTF-8"?>
<Legislation xmlns="http://www.legislation.gov.uk/namespaces/legislation" DocumentURI="http://www.legislation.gov.uk/uksi/2008/3231/contents" IdURI="${idUri}" RestrictStartDate="${valid}"><ukm:Metadata xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dct="http://purl.org/dc/terms/" xmlns:atom="http://www.w3.org/2005/Atom" xmlns:ukm="http://www.legislation.gov.uk/namespaces/metadata">
<dc:title>The Export Control Order 2008</dc:title><dc:modified>${modified}</dc:modified><dct:valid>${valid}</dct:valid>
<atom:link rel="http://purl.org/dc/terms/hasVersion" href="http://www.legislation.gov.uk/uksi/2008/3231/contents/made" title="made"/>
<atom:link rel="http://purl.org/dc/terms/hasVersion" href="http://www.legislation.gov.uk/uksi/2008/3231/contents/2022-12-14" title="2022-12-14"/>
<atom:link rel="http://purl.org/dc/terms/hasVersion" href="http://www.legislation.gov.uk/uksi/2008/3231/contents/2024-04-01" title="2024-04-01"/>
<atom:link rel="http://purl.org/dc/terms/hasVersion" href="http://www.legislation.gov.uk/uksi/2008/3231/contents/2025-12-16" title="2025-12-16"/>
<ukm:SecondaryMetadata><ukm:DocumentClassification><ukm:DocumentStatus Value="revised"/></ukm:DocumentClassification><ukm:Made Date="2008-12-15"/></ukm:SecondaryMetadata>
</ukm:Metadata><Contents><ContentsTitle>The Export Control Order 2008</ContentsTitle></Contents></Legislation>`);

const HTML_ERROR = Buffer.from(
  "<!DOCTYPE html>\n<html lang='en'><head><title>Service unavailable - legislation.gov.uk</title></head><body><p>Please try later.</p></body></html>",
);

function response(url: string, body: Buffer, extra: Partial<HttpResponse> = {}): HttpResponse {
  return {
    url,
    status: 200,
    notModified: false,
    contentType: "application/xml",
    headers: {},
    body,
    sha256: "x",
    fetchedAt: "2024-05-11T06:17:00Z",
    ...extra,
  };
}

describe("gb.legislation.eco-schedules parser", () => {
  it("keys each schedule, its definitions, list entries and their paragraphs by the numbers CLML gives them", () => {
    const snapshot = parse(BEFORE);
    expect(snapshot.source).toBe("gb.legislation.eco-schedules");
    expect(snapshot.warnings).toEqual([]);
    expect(snapshot.entries.map((e) => [e.key, e.parentKey])).toEqual([
      ["Sch.2", null],
      ["Sch.2.note", "Sch.2"],
      ["ML1", "Sch.2"],
      ["ML1.nb", "ML1"],
      ["ML1.a", "ML1"],
      ["ML1.b", "ML1"],
      ["ML1.b.1", "ML1.b"],
      ["ML1.b.2", "ML1.b"],
      ["ML1.b.2.a", "ML1.b.2"],
      ["ML1.b.2.b", "ML1.b.2"],
      ["ML1.c", "ML1"],
      ["ML1.d", "ML1"],
      ["ML1.d.1", "ML1.d"],
      ["ML1.d.2", "ML1.d"],
      ["ML1.note", "ML1"],
      ["ML4", "Sch.2"],
      ["ML4.a", "ML4"],
      ["ML4.b", "ML4"],
      ["ML4.b.technical-note", "ML4.b"],
      ["Sch.3", null],
      ["Sch.3.note", "Sch.3"],
      ["Sch.3.def", "Sch.3"],
      ["Sch.3.def.ammunition", "Sch.3.def"],
      ["Sch.3.def.development", "Sch.3.def"],
      ["Sch.3.def.digital-computer", "Sch.3.def"],
      ["PL9002", "Sch.3"],
      ["PL9002.a", "PL9002"],
      ["PL9002.b", "PL9002"],
      ["PL9002.b.note", "PL9002.b"],
      ["PL9009", "Sch.3"],
      ["PL9009.a", "PL9009"],
      ["PL9009.b", "PL9009"],
    ]);
  });

  it("gives entries their group title as heading and their own words only", () => {
    const entries = byKey(parse(BEFORE).entries);
    expect(entries.get("Sch.3")).toMatchObject({
      heading: "UK CONTROLLED DUAL-USE GOODS, SOFTWARE AND TECHNOLOGY",
      text: "",
      data: { schedule: "3", reference: "Articles 2 and 4" },
    });
    expect(entries.get("ML1")?.heading).toBe("Smooth-bore weapons");
    expect(entries.get("ML1")?.text).toBe(
      "Smooth-bore weapons with a calibre of less than 20 mm, other arms and automatic weapons with a calibre of 12,7 mm (calibre 0,50 inches) or less and accessories, as follows, and “specially designed” components therefor:",
    );
    expect(entries.get("ML1.b.2.b")).toMatchObject({
      heading: null,
      text: "Semi-automatic or pump-action type;",
    });
    // A definition's own lettered list stays in the definition.
    expect(entries.get("Sch.3.def.digital-computer")?.text).toBe(
      "“digital computer” means equipment which can, in the form of one or more discrete variables, perform all of the following— a. Accept data; b. Store data or instructions in fixed or alterable (writable) storage devices;",
    );
    expect(entries.get("Sch.3.def")).toMatchObject({ heading: "Definitions", text: "In this Schedule:" });
  });

  it("reads a note's own lettered list as the note's, not as the entry's paragraphs", () => {
    const entries = byKey(parse(BEFORE).entries);
    expect(entries.get("ML1.note")?.text).toBe(
      "Note: ML1 does not control: a. Smooth-bore weapons used for hunting or sporting purposes; b. Weapons specially designed for dummy ammunition and which are incapable of firing any projectile.",
    );
    expect(entries.get("ML1.a")?.text).toBe(
      "Rifles and combination guns, handguns, machine, sub-machine and volley guns;",
    );
    expect(entries.has("ML1.a#2")).toBe(false);
  });

  it("files a note under what it names, not where it stands", () => {
    const entries = byKey(parse(AFTER).entries);
    // Standing at the end of ML4, about ML4.b (it names ML4.a too, only as what ML4.b handles).
    expect(entries.get("ML4.b.technical-note")?.parentKey).toBe("ML4.b");
    expect(entries.get("PL9002.b.note")?.text).toBe(
      "Note: PL9002.b. does not control mixtures prepared for use in fireworks.",
    );
    expect(entries.get("PL9013.b.1.technical-note")?.parentKey).toBe("PL9013.b.1");
    expect(entries.get("PL9014.a.note")?.parentKey).toBe("PL9014.a");
    // A note naming another entry ("specified in PL9010.a.") stays where it stands.
    expect(entries.get("ML1.nb")?.parentKey).toBe("ML1");
  });

  it("takes amendment markers out of the words and keeps what their commentaries say", () => {
    const entries = parse(AFTER).entries;
    const all = entries.map((e) => `${e.heading ?? ""} ${e.text}`).join("\n");
    expect(all).not.toMatch(/\[F\d|F\d\]|c\d{4}/);
    const map = byKey(entries);
    expect(map.get("PL9009.b")?.text).toBe(
      "Equipment for the remote piloting or autonomous control of aircraft specified by PL9009.a.",
    );
    expect(map.get("PL9009.b")?.data).toEqual({
      schedule: "3",
      inForce: "2024-04-01",
      amendments: [
        {
          kind: "Substitution",
          type: "F",
          note: "Words in Sch. 3 entry PL9009.b substituted (1.4.2024) by The Export Control (Amendment) Regulations 2024 (S.I. 2024/346), regs. 1, 2(3)(b)",
        },
      ],
    });
    expect(map.get("PL9013")?.data?.amendments).toEqual([
      {
        kind: "Addition",
        type: "F",
        note: "Sch. 3 entries PL9013-PL9015 inserted (1.4.2024) by The Export Control (Amendment) Regulations 2024 (S.I. 2024/346), regs. 1, 2(3)(c)",
      },
    ]);
    // A bare commentary reference is kept too.
    expect(map.get("ML1.nb")?.data?.amendments).toMatchObject([{ kind: "CommentaryRef", type: "F" }]);
  });

  it("writes the words in NFC with whitespace collapsed", () => {
    const decomposed = text(BEFORE)
      .replace("Sound suppressors", "Sound suppresso\u0301rs")
      .replace("Detachable cartridge magazines", "Detachable\n\t  cartridge\u00a0magazines");
    const entries = byKey(parseBody(Buffer.from(decomposed)).entries);
    expect(entries.get("ML1.d.2")?.text).toBe("Sound suppressórs or moderators.");
    expect(entries.get("ML1.d.1")?.text).toBe("Detachable cartridge magazines;");
  });

  it("records the version: its date, the item's versions and the instruments behind the amendments", () => {
    const before = parse(BEFORE);
    expect(before.meta).toMatchObject({
      versionDate: "2022-12-14",
      valid: "2023-07-13",
      modified: "2023-08-02",
      versions: ["2022-12-14", "2023-07-13"],
      schedules: [
        { number: "2", title: "Military Goods, Software and Technology", inForce: "2022-12-14" },
        {
          number: "3",
          title: "UK CONTROLLED DUAL-USE GOODS, SOFTWARE AND TECHNOLOGY",
          inForce: "2022-12-14",
        },
      ],
    });
    const after = parse(AFTER);
    expect(after.meta.versionDate).toBe("2024-04-01");
    expect(after.meta.amendments).toContainEqual({ date: "2024-04-01", citation: "S.I. 2024/346" });
    expect(source.versionDate?.(after, { url: null, asOf: null })).toBe("2024-04-01");
    expect(source.describe(after, { url: null, asOf: null })).toMatchObject({
      publishedAt: null,
      effectiveAt: "2024-04-01",
      citation: null,
      url: "https://www.legislation.gov.uk/uksi/2008/3231/schedules/2024-04-01",
    });
    expect(source.citedAs).toEqual(["S.I. 2008/3231", "Export Control Order 2008"]);
  });

  it("diffs S.I. 2024/346 into the three new entries and the two amended provisions", () => {
    const records = diff(BEFORE, AFTER);
    expect(records.map((r) => `${r.kind} ${r.subject}`).sort()).toEqual([
      "added PL9013",
      "added PL9014",
      "added PL9015",
      "modified ML4.b.technical-note",
      "modified PL9009.b",
    ]);
    for (const r of records) {
      expect(r.effectiveAt).toBe("2024-04-01");
      expect(r.citation).toBe("S.I. 2024/346");
    }
    const pl9013 = records.find((r) => r.subject === "PL9013")!;
    expect(pl9013.details?.entries).toContain("PL9013.b.1.technical-note");
  });

  it("gives the same entries and hashes for a re-served body (commentaries renumbered, whitespace, entities)", () => {
    const after = parse(AFTER).entries;
    const cosmetic = parse(COSMETIC).entries;
    expect(cosmetic).toEqual(after);
    expect(cosmetic.map(entryHash)).toEqual(after.map(entryHash));
    expect(diff(AFTER, COSMETIC)).toEqual([]);
  });

  it("tags PL9013, PL9014 and PL9015 through the taxonomy", () => {
    const entries = parse(AFTER).entries;
    const tags = listTagger(byKey(entries), source.id);
    expect(tags("PL9014")).toContain("quantum");
    expect(tags("PL9014.b")).toContain("quantum");
    expect(tags("PL9015")).toContain("additive-manufacturing");
    expect(tags("PL9015.c")).toContain("additive-manufacturing");
    for (const key of ["PL9013", "PL9013.a", "PL9013.b.1", "PL9013.d.2"]) {
      expect(tags(key), key).toEqual(
        expect.arrayContaining([
          "semiconductor-manufacturing-equipment",
          "quantum",
          "advanced-semiconductors",
        ]),
      );
    }
    // By number in this list's own numbering (the crosswalk), and by the entries' own words.
    expect(technologiesForKey("PL9014.a", source.id)).toEqual(["quantum"]);
    expect(technologiesForKey("PL9015", source.id)).toEqual(["additive-manufacturing"]);
    expect(technologiesForKey("PL9013.b", source.id)).toContain("semiconductor-manufacturing-equipment");
    const words = byKey(entries);
    expect(technologiesForText(words.get("PL9013.a")!.text)).toContain(
      "semiconductor-manufacturing-equipment",
    );
    expect(technologiesForText(words.get("PL9013.b")!.text)).toContain(
      "semiconductor-manufacturing-equipment",
    );
    expect(technologiesForText(words.get("PL9013.c")!.text)).toContain("quantum");
    expect(technologiesForText(words.get("PL9013.d.2")!.text)).toContain("quantum");
    expect(technologiesForText(words.get("PL9014.a")!.text)).toContain("quantum");
    expect(technologiesForText(words.get("PL9015")!.text)).toContain("additive-manufacturing");
    // The older national entries are not tagged.
    expect(tags("PL9009.b")).toEqual([]);
  });

  it("leaves out provisions not in force at the point in time, and says which", () => {
    const prospective = text(AFTER).replace(
      '<P2 id="schedule-3-PL9015-c">',
      '<P2 id="schedule-3-PL9015-c" Status="Prospective">',
    );
    const snapshot = parseBody(Buffer.from(prospective));
    expect(snapshot.entries.some((e) => e.key === "PL9015.c")).toBe(false);
    expect(snapshot.meta.prospective).toEqual(["PL9015.c"]);
  });

  it("refuses malformed XML and an HTML page served with 200, with a clear error", () => {
    const truncated = fixture(AFTER).subarray(0, 4000);
    expect(() => source.parse({ body: truncated })).toThrow(SourceShapeChangedError);
    expect(() => source.parse({ body: truncated })).toThrow(/malformed XML/);
    expect(() => source.parse({ body: HTML_ERROR, url: "https://www.legislation.gov.uk/x" })).toThrow(
      /HTML page \("Service unavailable - legislation.gov.uk"\), not XML/,
    );
    // XML served with an HTML content type is still read as the XML it is.
    const asHtml = parseEcoSchedules({ body: fixture(AFTER), contentType: "text/html; charset=utf-8" });
    expect(asHtml.entries).toEqual(parse(AFTER).entries);
    expect(() => source.parse({ body: Buffer.from("<feed/>") })).toThrow(
      /expected CLML <Legislation>, found <feed>/,
    );
  });

  it("refuses another item, a body without both schedules, and schedules it cannot read", () => {
    const other = text(BEFORE).replace(
      'IdURI="http://www.legislation.gov.uk/id/uksi/2008/3231" NumberOfProvisions',
      'IdURI="http://www.legislation.gov.uk/id/uksi/2019/419" NumberOfProvisions',
    );
    expect(() => parseBody(Buffer.from(other))).toThrow(/expected the Export Control Order 2008/);
    const onlyThree = text(BEFORE).replace(/<Schedule [^>]*id="schedule-2"[\s\S]*?<\/Schedule>/, "");
    expect(parseEcoSchedules({ body: Buffer.from(onlyThree) }).meta.missingSchedules).toEqual(["2"]);
    expect(() => parseBody(Buffer.from(onlyThree))).toThrow(/lacks Schedule 2/);
    const unnumbered = text(BEFORE).replace(/<Pnumber>(ML|PL)\d+<\/Pnumber>/g, "");
    expect(() => parseBody(Buffer.from(unnumbered))).toThrow(/hold no numbered entry/);
  });
});

describe("gb.legislation.eco-schedules fetch", () => {
  function client(routes: Record<string, () => HttpResponse>) {
    const asked: { url: string; options?: HttpRequestOptions }[] = [];
    const http: HttpClient = {
      async get(url, options) {
        asked.push({ url, options });
        const route = routes[url];
        if (!route) throw new Error(`unexpected ${url}`);
        return route();
      },
    };
    return { http, asked };
  }
  const SCHEDULES = "https://www.legislation.gov.uk/uksi/2008/3231/schedules/data.xml";
  const now = new Date("2024-05-11T06:17:00Z");

  it("probes the contents' metadata and fetches the schedules only when the item moved", async () => {
    let modified = "2024-05-10";
    const { http, asked } = client({
      [contentsUrl()]: () =>
        response(contentsUrl(), contents(modified, "2024-04-01"), { headers: { etag: `"t-${modified}"` } }),
      [SCHEDULES]: () => response(SCHEDULES, fixture(AFTER)),
    });
    const first = await source.fetch({ http, log: silentLog, now, state: {} });
    expect(asked.map((a) => a.url)).toEqual([contentsUrl(), SCHEDULES]);
    expect(asked[0]!.options).toEqual({ conditional: false, headers: {} });
    // The schedules are asked conditionally through the client's own validators.
    expect(asked[1]!.options?.conditional).not.toBe(false);
    expect(first.artifacts.map((a) => a.asOf)).toEqual(["2024-04-01"]);
    expect(first.state).toEqual({
      contentsEtag: '"t-2024-05-10"',
      modified: "2024-05-10",
      valid: "2024-04-01",
    });

    asked.length = 0;
    const again = await source.fetch({ http, log: silentLog, now, state: first.state });
    expect(asked.map((a) => a.url)).toEqual([contentsUrl()]);
    expect(asked[0]!.options?.headers).toEqual({ "if-none-match": '"t-2024-05-10"' });
    expect(again.artifacts).toEqual([]);

    modified = "2024-06-03";
    asked.length = 0;
    const moved = await source.fetch({ http, log: silentLog, now, state: first.state });
    expect(asked.map((a) => a.url)).toEqual([contentsUrl(), SCHEDULES]);
    expect(moved.state).toMatchObject({ modified: "2024-06-03" });
  });

  it("stops at a 304 on the probe, keeping the cursor", async () => {
    const { http, asked } = client({
      [contentsUrl()]: () => response(contentsUrl(), Buffer.alloc(0), { status: 304, notModified: true }),
    });
    const state = { contentsEtag: '"t1"', modified: "2024-05-10", valid: "2024-04-01" };
    const result = await source.fetch({ http, log: silentLog, now, state });
    expect(asked).toHaveLength(1);
    expect(result).toEqual({ artifacts: [], state });
  });

  it("fails clearly on an HTML page or another item behind the probe", async () => {
    const html = client({
      [contentsUrl()]: () => response(contentsUrl(), HTML_ERROR, { contentType: "text/html" }),
    });
    await expect(source.fetch({ http: html.http, log: silentLog, now, state: {} })).rejects.toThrow(
      /answered with an HTML page/,
    );
    const other = client({
      [contentsUrl()]: () =>
        response(
          contentsUrl(),
          contents("2024-05-10", "2024-04-01", "http://www.legislation.gov.uk/id/uksi/2019/419"),
        ),
    });
    await expect(source.fetch({ http: other.http, log: silentLog, now, state: {} })).rejects.toThrow(
      /contents of http:\/\/www.legislation.gov.uk\/id\/uksi\/2019\/419, expected/,
    );
  });

  it("backfills every dated version since a date, oldest first, up to today", async () => {
    const asked: string[] = [];
    const http: HttpClient = {
      async get(url) {
        asked.push(url);
        return url === contentsUrl()
          ? response(url, contents("2024-05-10", "2024-04-01"))
          : response(url, fixture(AFTER));
      },
    };
    const steps = [];
    for await (const step of source.backfill!({ http, log: silentLog, now, state: {} }, "2023-01-01"))
      steps.push(step);
    expect(asked).toEqual([
      contentsUrl(),
      "https://www.legislation.gov.uk/uksi/2008/3231/schedules/2024-04-01/data.xml",
    ]);
    expect(steps.map((s) => [s.artifact.asOf, s.index, s.total])).toEqual([["2024-04-01", 1, 1]]);
  });
});
