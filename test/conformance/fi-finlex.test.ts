import { basename } from "node:path";
import { documentsSnapshotSchema } from "@regwatch/core/schemas";
import { describe, expect, it } from "vitest";
import { parseFinlexStatutes, parseSdkStatute } from "../../packages/sources/src/fi/finlex/parse.ts";
import { fiFinlexExportControl as source } from "../../packages/sources/src/fi/finlex/source.ts";
import { readSample, sampleFiles } from "./samples-dir.ts";

// Every Finlex SDK XML statute in the samples, read at run time; a missing directory throws (nothing is skipped).
// The two Semantic Finlex JSON-LD consolidated snapshots are another format, not read here. The
// open data API's Akoma Ntoso (what the fetch downloads) has no real sample yet: its reader is tested
// on hand-written fixtures in packages/sources/test/fi-finlex.test.ts; here the source's own parse,
// which tells the two formats apart by their root element, must still read the SDK files unchanged.
const files = sampleFiles("fi", /^finlex-sdk-xml-.*\.xml$/);
const inputs = files.map((path) => ({ body: readSample(path), url: basename(path) }));

const EXPECTED = [
  {
    id: "finlex/sd/1996/562",
    citation: "562/1996",
    title: "Laki kaksikäyttötuotteiden vientivalvonnasta",
    titleEn: "Act on the export control of dual-use items",
    issuedAt: "1996-07-26",
    effectiveAt: "1996-08-01",
    amends: [],
    repeals: [],
    firstLine: "Eduskunnan päätöksen mukaisesti säädetään:",
  },
  {
    id: "finlex/sd/2011/226",
    citation: "226/2011",
    title: "Laki kaksikäyttötuotteiden vientivalvonnasta annetun lain muuttamisesta",
    titleEn: "Act amending the Act on the export control of dual-use items (562/1996)",
    issuedAt: "2011-03-11",
    effectiveAt: "2011-04-01",
    amends: ["562/1996"],
    // Voimaantulo: "Tällä lailla kumotaan kaksikäyttötuotteiden vientivalvonnasta annettu valtioneuvoston asetus (924/2000)."
    repeals: ["924/2000"],
    firstLine: "Eduskunnan päätöksen mukaisesti",
  },
  {
    id: "finlex/sd/2012/282",
    citation: "282/2012",
    title: "Laki puolustustarvikkeiden viennistä",
    titleEn: "Act on the export of defence materiel",
    issuedAt: "2012-06-08",
    effectiveAt: "2012-06-30",
    amends: [],
    // 39 §: "Tällä lailla kumotaan puolustustarvikkeiden maastaviennistä ja kauttakuljetuksesta annettu laki (242/1990)."
    repeals: ["242/1990"],
    firstLine: "Eduskunnan päätöksen mukaisesti säädetään:",
  },
  {
    id: "finlex/sd/2014/745",
    citation: "745/2014",
    title: "Laki puolustustarvikkeiden viennistä annetun lain muuttamisesta",
    titleEn: "Act amending the Act on the export of defence materiel (282/2012)",
    issuedAt: "2014-09-19",
    effectiveAt: "2015-01-01",
    amends: ["282/2012"],
    repeals: [],
    firstLine: "Eduskunnan päätöksen mukaisesti",
  },
  {
    id: "finlex/sd/2024/500",
    citation: "500/2024",
    title: "Laki kaksikäyttötuotteiden vientivalvonnasta",
    titleEn: "Act on the export control of dual-use items",
    // Signed "Helsingissä 16.8.2024" (the short form), in force 15.9.2024 (SOURCES.md [C]).
    issuedAt: "2024-08-16",
    effectiveAt: "2024-09-15",
    amends: [],
    // 24 §: "Tällä lailla kumotaan kaksikäyttötuotteiden vientivalvonnasta annettu laki (562/1996)."
    repeals: ["562/1996"],
    firstLine: "Eduskunnan päätöksen mukaisesti säädetään:",
  },
];

describe("Finland: Finlex SDK XML of the export-control acts and their amendments, the real files", () => {
  it("has the seven SDK XML statutes of the manifest", () => {
    expect(files.map((f) => basename(f))).toEqual([
      "finlex-sdk-xml-laki-1996-562-kaksikayttotuotteiden-vientivalvonnasta-alkup.xml",
      "finlex-sdk-xml-laki-2011-226-muutos-kaksikayttotuotteiden-vientivalvonnasta.xml",
      "finlex-sdk-xml-laki-2012-282-puolustustarvikkeiden-viennista.xml",
      "finlex-sdk-xml-laki-2014-745-muutos-puolustustarvikkeiden-viennista.xml",
      "finlex-sdk-xml-laki-2024-500-kaksikayttotuotteiden-vientivalvonnasta.xml",
      "finlex-sdk-xml-vna-2013-311-puolustustarvikkeiden-vienti-lupaharkinta.xml",
      "finlex-sdk-xml-vna-2020-70-puolustustarvikkeiden-vienti-lupaharkinta.xml",
    ]);
  });

  const snapshot = parseFinlexStatutes(inputs);
  const stamped = { source: source.id, ...snapshot };

  it("keeps exactly the five acts, valid against the schema, without warnings", () => {
    expect(documentsSnapshotSchema.parse(stamped)).toEqual(stamped);
    expect(snapshot.warnings).toEqual([]);
    expect(snapshot.documents.map((d) => d.id)).toEqual(EXPECTED.map((e) => e.id));
    expect(snapshot.documents.length).toBeLessThanOrEqual(source.expectations.maxEntries);
    for (const doc of snapshot.documents) {
      for (const field of source.expectations.requiredFields)
        expect(doc[field as keyof typeof doc], `${doc.id} ${field}`).toBeTruthy();
    }
    console.log(
      `fi.finlex: read ${snapshot.meta.read} SDK XML statutes, kept ${snapshot.documents.length} ` +
        `(${snapshot.documents.map((d) => d.citation).join(", ")}), excluded ${snapshot.meta.excluded.length} ` +
        `(${snapshot.meta.excluded.map((e) => `${e.citation}: ${e.reason}`).join("; ")})`,
    );
  });

  it.each(EXPECTED.map((e) => [e.citation, e] as const))(
    "reads %s: citation, title, dates, target",
    (_, e) => {
      const doc = snapshot.documents.find((d) => d.id === e.id)!;
      expect(doc).toMatchObject({
        stage: "published",
        type: "laki",
        title: e.title,
        citation: e.citation,
        publishedAt: null,
        effectiveAt: e.effectiveAt,
        cfrReferences: [...e.amends, ...e.repeals],
      });
      expect(doc.data).toMatchObject({
        language: "fi",
        titleFi: e.title,
        titleSv: null,
        titleEn: e.titleEn,
        issuedAt: e.issuedAt,
        amends: e.amends,
        repeals: e.repeals,
        basedOn: [],
      });
      const text = doc.abstract!;
      expect(text).toBe(text.normalize("NFC"));
      expect(text.split("\n")[0]).toBe(e.firstLine);
    },
  );

  it("reads the amending instructions of 226/2011 (to 562/1996) and 745/2014 (to 282/2012)", () => {
    const a226 = snapshot.documents.find((d) => d.citation === "226/2011")!;
    expect(a226.data?.instructions).toEqual([
      {
        verb: "kumotaan",
        act: "562/1996",
        text: "kumotaan kaksikäyttötuotteiden vientivalvonnasta annetun lain (562/1996) 10 §, sellaisena kun se on laeissa 891/2000 ja 581/2003,",
      },
      { verb: "muutetaan", act: "562/1996", text: "muutetaan 1 ja 3—6 §, 7 §:n 1 ja 4 momentti ja 8 §," },
      {
        verb: "lisätään",
        act: "562/1996",
        text: "lisätään lakiin uusi 3 a, 3 b, 4 a, 4 b ja 7 a—7 d § seuraavasti:",
      },
    ]);
    expect(a226.data?.writesSections).toEqual([
      "1 §",
      "3 §",
      "3 a §",
      "3 b §",
      "4 §",
      "4 a §",
      "4 b §",
      "5 §",
      "6 §",
      "7 §",
      "7 a §",
      "7 b §",
      "7 c §",
      "7 d §",
      "8 §",
    ]);
    const a745 = snapshot.documents.find((d) => d.citation === "745/2014")!;
    expect(a745.data?.instructions).toEqual([
      {
        verb: "muutetaan",
        act: "282/2012",
        text: "muutetaan puolustustarvikkeiden viennistä annetun lain (282/2012) 25 §:n 1 momentin 1 kohta ja 2 momentti sekä 26 ja 36 § seuraavasti:",
      },
    ]);
    expect(a745.data?.writesSections).toEqual(["25 §", "26 §", "36 §"]);
    expect(a745.urls["amends:282/2012"]).toBe("https://www.finlex.fi/fi/laki/ajantasa/2012/20120282");
  });

  it("keeps 500/2024's annex title (the national control list) and its preparatory works", () => {
    const act = snapshot.documents.find((d) => d.citation === "500/2024")!;
    expect(act.data?.annexes).toEqual(["Liite: Kansallinen valvontaluettelo"]);
    expect(act.data?.references).toContain("HE 47/2024");
    expect(act.abstract).toMatch(/\nLiite: Kansallinen valvontaluettelo$/);
  });

  it("leaves out the two licensing decrees: issued under 282/2012, they amend no followed act", () => {
    expect(snapshot.meta).toEqual({
      read: 7,
      excluded: [
        {
          citation: "311/2013",
          title:
            "Valtioneuvoston asetus puolustustarvikkeiden vientiä koskevan lupaharkinnan yleisistä edellytyksistä",
          reason: "asetus issued under 282/2012; amends no followed act",
        },
        {
          citation: "70/2020",
          title:
            "Valtioneuvoston asetus puolustustarvikkeiden vientiä koskevan lupaharkinnan yleisistä edellytyksistä",
          reason: "asetus issued under 282/2012; amends no followed act",
        },
      ],
    });
    // 70/2020 repeals its predecessor decree 311/2013, which this source does not follow.
    const d70 = parseSdkStatute(inputs.find((i) => i.url.includes("vna-2020-70"))!);
    expect(d70.document).toMatchObject({ effectiveAt: "2020-02-24", cfrReferences: ["311/2013"] });
    expect(d70.document.data).toMatchObject({
      issuedAt: "2020-02-13",
      basedOn: ["282/2012"],
      repeals: ["311/2013"],
    });
  });

  it("gives the same documents one file at a time through the source's own parse", () => {
    const one = inputs.flatMap((input) => {
      const s = source.parse(input);
      if (s.kind !== "documents") throw new Error("expected documents");
      return s.documents;
    });
    expect(one).toEqual(snapshot.documents);
  });
});
