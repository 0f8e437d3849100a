import { basename } from "node:path";
import { documentsSnapshotSchema } from "@regwatch/core/schemas";
import { describe, expect, it } from "vitest";
import {
  children,
  inlineText,
  type Mark,
  readCommentaries,
  readMetadata,
  readXmlSteps,
} from "../../packages/sources/src/gb/eco-schedules/clml.ts";
import { gbEcoSchedules } from "../../packages/sources/src/gb/eco-schedules/source.ts";
import {
  effectsToDocuments,
  parseChangesFeed,
  parseEcoEffects,
} from "../../packages/sources/src/gb/legislation-effects/parse.ts";
import { runSteps } from "../../packages/sources/src/steps.ts";
import type { XmlElement } from "../../packages/sources/src/xml/parse-xml.ts";
import { readSample, sampleFiles } from "./samples-dir.ts";

// legislation.gov.uk's real feeds and CLML, read at run time from
// ../shared/samples/uk (a missing directory throws: nothing is skipped). They
// are about other items (the Data Protection Act 2018, 2026 SIs), so they test
// the readers, not the Order's content.
const feeds = sampleFiles("uk", /^legislation-gov-uk-changes-feed-.*\.feed$/);
const logs = sampleFiles("uk", /^legislation-gov-uk-publication-log-feed-.*\.feed$/);
const clml = sampleFiles("uk", /^legislation-gov-uk-clml-.*\.xml$/);
const pick = (files: string[], part: string) => {
  const found = files.find((f) => basename(f).includes(part));
  if (!found) throw new Error(`no sample named like ${part}`);
  return found;
};
const input = (path: string) => ({ body: readSample(path), url: basename(path) });

// An independent count: the raw text's effects and their flags, by pattern, no XML reader.
function rawEffects(path: string) {
  const text = readSample(path).toString("utf8");
  const effects = text.match(/<ukm:Effect\s[^>]*>/g) ?? [];
  const attr = (tag: string, name: string) => new RegExp(`\\s${name}="([^"]*)"`).exec(tag)?.[1] ?? null;
  return effects.map((tag) => ({
    id: attr(tag, "EffectId"),
    applied: attr(tag, "Applied"),
    requiresApplied: attr(tag, "RequiresApplied"),
    type: attr(tag, "Type"),
  }));
}

describe("legislation.gov.uk changes feeds (real samples)", () => {
  it("finds the samples", () => {
    expect(feeds).toHaveLength(2);
    expect(logs).toHaveLength(2);
    expect(clml).toHaveLength(2);
  });

  it("reads every effect of each feed with its Applied and RequiresApplied flags", () => {
    for (const path of feeds) {
      const feed = parseChangesFeed(input(path));
      const raw = rawEffects(path);
      expect(raw.length, path).toBeGreaterThan(0);
      expect(feed.warnings, path).toEqual([]);
      expect(
        feed.effects.map((e) => ({
          id: e.id,
          applied: String(e.applied),
          requiresApplied: String(e.requiresApplied),
          type: e.type,
        })),
        path,
      ).toEqual(raw);
    }
  });

  it("reads the paging of the Data Protection Act 2018 feed (affected direction)", () => {
    const path = pick(feeds, "affected-ukpga-2018-12");
    const feed = parseChangesFeed(input(path));
    expect(feed).toMatchObject({
      page: 1,
      morePages: 756,
      totalPages: 757,
      totalResults: 2271,
      itemsPerPage: 3,
      startIndex: 1,
      next: "http://www.legislation.gov.uk/changes/affected/ukpga/2018/12/data.feed?results-count=3&sort=modified&page=2",
      updated: "2026-09-26T15:28:09.700931+01:00",
    });
    expect(feed.effects).toHaveLength(feed.itemsPerPage!);
    for (const e of feed.effects) {
      expect(e).toMatchObject({
        applied: false,
        requiresApplied: true,
        type: "word substituted",
        affectedCitation: "2018 c. 12",
        affectingCitation: "S.I. 2026/386",
        modified: "2026-09-25T14:19:14Z",
        inForce: [
          { date: "2026-09-30", qualification: "wholly in force", applied: false, prospective: null },
        ],
      });
    }
    expect(feed.effects.map((e) => e.affectedProvisions)).toEqual([
      "s. 65 heading",
      "s. 67 heading",
      "Pt. 5 heading",
    ]);
    expect(feed.effects[2]!.affectedSections).toEqual([
      { label: "Pt. 5", uri: "http://www.legislation.gov.uk/id/ukpga/2018/12/part/5", upTo: null },
    ]);
  });

  it("makes one document of one instrument's effects, citing the item it amends", () => {
    const path = pick(feeds, "affected-ukpga-2018-12");
    const { effects } = parseChangesFeed(input(path));
    const { documents, warnings } = effectsToDocuments(
      effects,
      "http://www.legislation.gov.uk/id/ukpga/2018/12",
    );
    expect(warnings).toEqual([]);
    expect(documents).toHaveLength(1);
    expect(documents[0]).toMatchObject({
      id: "uksi/2026/386",
      citation: "S.I. 2026/386",
      type: "UK Statutory Instrument",
      title:
        "The Data (Use and Access) Act 2025 (Consequential Amendments and Transitional Provision) Regulations 2026",
      effectiveAt: "2026-09-30",
      cfrReferences: ["2018 c. 12"],
      abstract:
        "Effects on Data Protection Act 2018 (2018 c. 12): s. 65 heading word substituted; s. 67 heading word substituted; Pt. 5 heading word substituted.",
    });
    // Ordered by their row in the instrument (188, 189, 190), whatever the feed's order.
    expect((documents[0]!.data!.effects as { id: string }[]).map((e) => e.id)).toEqual([
      "key-afc4da5af850ada1378557cf240207e0",
      "key-bc33c98719db379d14790ed66d2ab742",
      "key-f0336bebef2174085eb863038bf1be55",
    ]);
    expect(documentsSnapshotSchema.safeParse({ source: "x", kind: "documents", documents }).success).toBe(
      true,
    );
  });

  it("gives no Export Control Order document for feeds about other items", () => {
    for (const path of feeds) {
      const snapshot = parseEcoEffects(input(path));
      expect(snapshot.documents, path).toEqual([]);
      expect(snapshot.meta.ecoEffects, path).toBe(0);
      expect(snapshot.meta.effects, path).toBe(rawEffects(path).length);
    }
  });

  it("reads the affecting-direction feed (trimmed by the sample's source: counts are not the page size)", () => {
    const path = pick(feeds, "affecting-uksi-2026");
    const feed = parseChangesFeed(input(path));
    expect(feed).toMatchObject({ page: 1, morePages: 293, totalPages: 294, totalResults: 14663 });
    expect(feed.effects.map((e) => [e.type, e.applied, e.affectedCitation, e.affectingCitation])).toEqual([
      ["revoked", true, "S.I. 2016/518", "S.I. 2026/298"],
      ["word omitted", true, "S.I. 2013/3109", "S.I. 2026/528"],
    ]);
    const docs = effectsToDocuments(feed.effects, "http://www.legislation.gov.uk/id/uksi/2016/518").documents;
    expect(docs.map((d) => [d.id, d.effectiveAt, d.cfrReferences])).toEqual([
      ["uksi/2026/298", "2026-04-07", ["S.I. 2016/518"]],
    ]);
  });

  it("refuses publication-log feeds instead of reading them as having no effects", () => {
    for (const path of logs) {
      expect(() => parseChangesFeed(input(path)), path).toThrow(
        /carries no <ukm:Effect>; not a changes feed/,
      );
    }
  });
});

describe("legislation.gov.uk CLML (real samples)", () => {
  const tree = (path: string) => runSteps(readXmlSteps(input(path), basename(path)));

  it("reads the metadata of an SI as made", () => {
    const meta = readMetadata(tree(pick(clml, "2019-1434")));
    expect(meta).toMatchObject({
      idUri: "http://www.legislation.gov.uk/id/uksi/2019/1434",
      documentUri: "http://www.legislation.gov.uk/uksi/2019/1434/made",
      title: "The Data Protection Act 2018 (Commencement No. 3) Regulations 2019",
      modified: "2019-10-31",
      valid: null,
      status: "final",
      made: "2019-10-30",
      versions: [],
      unappliedEffects: 0,
    });
  });

  it("reads the point in time, versions and unapplied effects of a revised table of contents", () => {
    const meta = readMetadata(tree(pick(clml, "2019-419")));
    expect(meta).toMatchObject({
      idUri: "http://www.legislation.gov.uk/id/uksi/2019/419",
      modified: "2025-03-04",
      valid: "2020-12-31",
      restrictStartDate: "2020-12-31",
      restrictEndDate: "2025-02-27",
      status: "revised",
      made: "2019-02-28",
      versions: ["2019-03-29", "2025-02-27"],
      unappliedEffects: 3,
    });
  });

  it("takes commentary references out of the words and resolves them", () => {
    const root = tree(pick(clml, "2019-419"));
    const commentaries = readCommentaries(root);
    expect([...commentaries.values()].map((c) => [c.type, c.citations])).toEqual([
      ["M", ["2018 c. 16"]],
      ["M", ["2018 c. 12"]],
      ["M", ["2006 c. 51", "2008 c. 7"]],
    ]);
    const find = (el: XmlElement, name: string): XmlElement | undefined => {
      for (const c of el.children) {
        if (typeof c === "string") continue;
        if (c.name === name) return c;
        const found = find(c, name);
        if (found) return found;
      }
      return undefined;
    };
    const enacting = find(root, "EnactingText")!;
    const marks: Mark[] = [];
    const text = children(children(enacting, "Para")[0], "Text")
      .map((t) => inlineText(t, marks))
      .join(" ");
    expect(text).toContain("European Union (Withdrawal) Act 2018 , section 211(2)");
    expect(text).not.toMatch(/c2371/);
    expect(marks.map((m) => m.ref)).toEqual(["c23719971", "c23719981", "c23719991"]);
    expect(marks.every((m) => commentaries.has(m.ref))).toBe(true);
  });

  it("refuses CLML that holds no Schedule 2 or 3 (the samples are other instruments)", () => {
    for (const path of clml) {
      expect(() => gbEcoSchedules.parse(input(path)), path).toThrow(/no Schedule 2 or 3 in the document/);
    }
  });
});
