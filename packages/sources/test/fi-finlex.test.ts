import { readFileSync } from "node:fs";
import { join } from "node:path";
import { SourceShapeChangedError } from "@regwatch/core/errors";
import type { HttpRequestOptions, HttpResponse } from "@regwatch/core/http";
import { documentsSnapshotSchema } from "@regwatch/core/schemas";
import { technologiesForText } from "@regwatch/core/taxonomy";
import { describe, expect, it } from "vitest";
import { silentLog } from "../../../test/support/test-http.ts";
import { parseStatuteList } from "../src/fi/finlex/list.ts";
import {
  parseFinlexStatutes,
  parseFinnishDate,
  parseSdkStatute,
  parseSwedishDate,
  readFinlexStatute,
} from "../src/fi/finlex/parse.ts";
import {
  fiFinlexExportControl as source,
  statuteListUrl,
  statuteUrl,
  TITLE_FILTERS,
  yearsToList,
} from "../src/fi/finlex/source.ts";

const fixture = (name: string) => readFileSync(join(import.meta.dirname, "../src/fi/finlex/fixtures", name));
const AMENDMENT = "sdk-amendment-of-500-2024.xml";
const DECREE = "sdk-decree-under-500-2024.xml";
const MALFORMED = "sdk-malformed-unclosed-pykala.xml";
const edited = (name: string, from: string, to: string) => {
  const text = fixture(name).toString("utf8");
  if (!text.includes(from)) throw new Error(`fixture ${name} has no ${from}`);
  return Buffer.from(text.replace(from, to));
};

describe("fi.finlex.export-control parser", () => {
  it("reads an amendment of 500/2024: id, citation, titles, dates, target, instructions", () => {
    const snapshot = source.parse({ body: fixture(AMENDMENT) });
    expect(documentsSnapshotSchema.parse(snapshot)).toEqual(snapshot);
    if (snapshot.kind !== "documents") throw new Error("expected documents");
    expect(snapshot.source).toBe("fi.finlex.export-control");
    expect(snapshot.warnings).toEqual([]);
    expect(snapshot.documents).toHaveLength(1);
    const doc = snapshot.documents[0]!;
    expect(doc).toMatchObject({
      id: "finlex/sd/2025/1234",
      stage: "published",
      type: "laki",
      title: "Laki kaksikäyttötuotteiden vientivalvonnasta annetun lain muuttamisesta",
      citation: "1234/2025",
      publishedAt: null,
      effectiveAt: "2026-01-01",
      url: "https://www.finlex.fi/fi/laki/alkup/2025/20251234",
      cfrReferences: ["500/2024"],
      countries: [],
    });
    expect(doc.urls).toEqual({
      finlex: "https://www.finlex.fi/fi/laki/alkup/2025/20251234",
      "amends:500/2024": "https://www.finlex.fi/fi/laki/ajantasa/2024/20240500",
    });
    expect(doc.data).toEqual({
      language: "fi",
      titleFi: "Laki kaksikäyttötuotteiden vientivalvonnasta annetun lain muuttamisesta",
      titleSv: "Lag om ändring av lagen om exportkontroll av produkter med dubbla användningsområden",
      titleEn: "Act amending the Act on the export control of dual-use items (500/2024)",
      issuedAt: "2025-12-12",
      signedAt: "Helsingissä 12.12.2025",
      inForceText: "Tämä laki tulee voimaan 1 päivänä tammikuuta 2026.",
      amends: ["500/2024"],
      repeals: [],
      basedOn: [],
      instructions: [
        {
          verb: "muutetaan",
          act: "500/2024",
          text: "muutetaan kaksikäyttötuotteiden vientivalvonnasta annetun lain (500/2024) 2 §:n 2 momentin 1 kohta ja liite, sekä",
        },
        { verb: "lisätään", act: "500/2024", text: "lisätään lakiin uusi 4 a § seuraavasti:" },
      ],
      writesSections: ["2 §", "4 a §"],
      annexes: ["Liite: Kansallinen valvontaluettelo"],
      references: ["HE 99/2025"],
      signatories: [
        { role: "Tasavallan Presidentti", name: "Presidentti Esimerkki" },
        { role: "Ulkomaankauppaministeri", name: "Ministeri Esimerkki" },
      ],
    });
  });

  it("keeps the Finnish text, one line per heading, subsection or point, in NFC", () => {
    const doc = parseSdkStatute({ body: fixture(AMENDMENT) }).document;
    const text = doc.abstract!;
    // The fixture writes one "ä" decomposed (a + U+0308).
    expect(fixture(AMENDMENT).toString("utf8")).toContain("vienneista\u0308");
    expect(text).toBe(text.normalize("NFC"));
    expect(text).toContain("vienneistä.");
    expect(text.split("\n")).toEqual([
      "Eduskunnan päätöksen mukaisesti",
      "muutetaan kaksikäyttötuotteiden vientivalvonnasta annetun lain (500/2024) 2 §:n 2 momentin 1 kohta ja liite, sekä",
      "lisätään lakiin uusi 4 a § seuraavasti:",
      "2 §",
      "Määritelmät",
      "— — —",
      "Lisäksi tässä laissa tarkoitetaan:",
      "1) kansallisella valvontaluettelolla tämän lain liitteenä olevaa luetteloa kvanttitietokoneista ja puolijohteiden valmistuslaitteista;",
      "— — —",
      "4 a §",
      "Ilmoitusvelvollisuus",
      "Toiminnanharjoittajan on ilmoitettava ulkoministeriölle kaikista kansalliseen valvontaluetteloon kuuluvien tuotteiden vienneistä.",
      "Tämä laki tulee voimaan 1 päivänä tammikuuta 2026.",
      "Liite: Kansallinen valvontaluettelo",
    ]);
    // Tagged by the shared keyword rules over title and text (whatever Finnish words they know today).
    expect(doc.technologies).toEqual(technologiesForText(`${doc.title}\n${text}`));
  });

  it("leaves out a decree issued under 500/2024 by what it says, with the reason", () => {
    const snapshot = parseFinlexStatutes([{ body: fixture(DECREE) }, { body: fixture(AMENDMENT) }]);
    expect(snapshot.documents.map((d) => d.citation)).toEqual(["1234/2025"]);
    expect(snapshot.meta).toEqual({
      read: 2,
      excluded: [
        {
          citation: "77/2025",
          title: "Valtioneuvoston asetus vientivalvontaneuvottelukunnasta",
          reason: "asetus issued under 500/2024; amends no followed act",
        },
      ],
    });
    const decree = parseSdkStatute({ body: fixture(DECREE) });
    expect(decree.relevance).toBeNull();
    expect(decree.document).toMatchObject({ effectiveAt: "2025-03-01", cfrReferences: [] });
    expect(decree.document.data).toMatchObject({ issuedAt: "2025-02-20", basedOn: ["500/2024"], amends: [] });
  });

  it("keeps an act that repeals a followed act, and one that carries a followed act's title", () => {
    const repealing = parseSdkStatute({
      body: edited(
        DECREE,
        "Tämä asetus tulee voimaan 1 päivänä maaliskuuta 2025.",
        "Tämä asetus tulee voimaan 1 päivänä maaliskuuta 2025.</saa:MomenttiKooste><saa:MomenttiKooste>Tällä asetuksella kumotaan puolustustarvikkeiden viennistä annettu laki (282/2012).",
      ),
    });
    expect(repealing.relevance).toBe("repeals 282/2012");
    expect(repealing.document.urls["repeals:282/2012"]).toBe(
      "https://www.finlex.fi/fi/laki/ajantasa/2012/20120282",
    );
    const sameTitle = parseSdkStatute({
      body: edited(
        DECREE,
        "<saa:SaadosNimekeKooste>vientivalvontaneuvottelukunnasta",
        "<saa:SaadosNimekeKooste>puolustustarvikkeiden viennistä",
      ),
    });
    expect(sameTitle.relevance).toBe('has the title of a followed act ("puolustustarvikkeiden viennistä")');
  });

  it("keeps a document read twice once, with a warning", () => {
    const snapshot = parseFinlexStatutes([{ body: fixture(AMENDMENT) }, { body: fixture(AMENDMENT) }]);
    expect(snapshot.documents).toHaveLength(1);
    expect(snapshot.warnings).toEqual(["finlex/sd/2025/1234: read twice; the first copy is kept"]);
  });

  it("refuses malformed XML with a clear error", () => {
    expect(() => source.parse({ body: fixture(MALFORMED), url: MALFORMED })).toThrow(SourceShapeChangedError);
    expect(() => source.parse({ body: fixture(MALFORMED), url: MALFORMED })).toThrow(
      /sdk-malformed-unclosed-pykala\.xml: malformed XML/,
    );
  });

  it("refuses a document that is not an SDK statute, or has no number", () => {
    expect(() => source.parse({ body: Buffer.from("<html><body><p>Hei</p></body></html>") })).toThrow(
      /root <html> has no asi:EduskuntaTunniste or saa:Saados; not a Finlex SDK statute \(nor an Akoma Ntoso one\)/,
    );
    expect(() =>
      source.parse({
        body: edited(AMENDMENT, "<asi1:AsiakirjaNroTeksti>1234<", "<asi1:AsiakirjaNroTeksti>12a4<"),
      }),
    ).toThrow(/number "12a4" \/ year "2025" is not a Statute Book number/);
  });

  it("takes no impossible or undated entry into force: a warning and no date instead", () => {
    const bad = parseSdkStatute({
      body: edited(AMENDMENT, "1 päivänä tammikuuta 2026", "31 päivänä kesäkuuta 2026"),
    });
    expect(bad.document.effectiveAt).toBeNull();
    expect(bad.warnings).toEqual([
      '1234/2025: entry into force "Tämä laki tulee voimaan 31 päivänä kesäkuuta 2026." gives no date; left empty',
    ]);
    const byDecree = parseSdkStatute({
      body: edited(
        AMENDMENT,
        "tulee voimaan 1 päivänä tammikuuta 2026.",
        "tulee voimaan valtioneuvoston asetuksella säädettävänä ajankohtana.",
      ),
    });
    expect(byDecree.document.effectiveAt).toBeNull();
    expect(byDecree.warnings).toHaveLength(1);
    const signed = parseSdkStatute({
      body: edited(AMENDMENT, "Helsingissä 12.12.2025", "Helsingissä 12.13.2025"),
    });
    expect(signed.document.data?.issuedAt).toBeNull();
    expect(signed.warnings).toEqual(['1234/2025: signing line "Helsingissä 12.13.2025" has no valid date']);
  });

  it("parses Finnish dates strictly", () => {
    expect(parseFinnishDate("26 päivänä heinäkuuta 1996")).toBe("1996-07-26");
    expect(parseFinnishDate("16.8.2024")).toBe("2024-08-16");
    expect(parseFinnishDate("29 päivänä helmikuuta 2024")).toBe("2024-02-29");
    for (const bad of [
      "29 päivänä helmikuuta 2025",
      "26 päivänä heinäkuu 1996",
      "26. heinäkuuta 1996",
      "26 päivänä Heinäkuuta 1996",
      "32.1.2024",
      "16.08.24",
      "2024-08-16",
      "",
    ])
      expect(parseFinnishDate(bad), bad).toBeNull();
  });
});

// --- Akoma Ntoso, the open data API's format ---------------------------------

const AKN = "akn-amendment-of-500-2024.xml";
const AKN_SV = "akn-amendment-of-500-2024-swe.xml";
const AKN_DECREE = "akn-decree-under-500-2024.xml";
const AKN_UNRELATED = "akn-unrelated-vehicle-tax.xml";
const AKN_NEW_ACT = "akn-new-act-replacing-282-2012.xml";
const AKN_MALFORMED = "akn-malformed-unclosed-section.xml";
const LIST_PAGE = "list-statutes-2025-kaksikayttotuotteiden-vientivalvonnasta.json";

describe("fi.finlex.export-control Akoma Ntoso reader", () => {
  it("reads an amendment of 500/2024: id, citation, dates, target, instructions, addresses", () => {
    const snapshot = source.parse({ body: fixture(AKN), url: statuteUrl(2025, 1234) });
    expect(documentsSnapshotSchema.parse(snapshot)).toEqual(snapshot);
    if (snapshot.kind !== "documents") throw new Error("expected documents");
    expect(snapshot.warnings).toEqual([]);
    expect(snapshot.meta).toEqual({ read: 1, excluded: [] });
    const doc = snapshot.documents[0]!;
    expect(doc).toMatchObject({
      id: "finlex/sd/2025/1234",
      stage: "published",
      type: "laki",
      // docTitle ends with a space in the API's answers; the title does not.
      title: "Laki kaksikäyttötuotteiden vientivalvonnasta annetun lain muuttamisesta",
      citation: "1234/2025",
      publishedAt: "2025-12-15",
      effectiveAt: "2026-01-01",
      url: "https://www.finlex.fi/fi/laki/alkup/2025/20251234",
      cfrReferences: ["500/2024"],
      countries: [],
    });
    expect(doc.urls).toEqual({
      finlex: "https://www.finlex.fi/fi/laki/alkup/2025/20251234",
      akn: "https://opendata.finlex.fi/finlex/avoindata/v1/akn/fi/act/statute/2025/1234/fin@",
      eli: "http://data.finlex.fi/eli/sd/2025/1234/alkup/fin",
      "annex:1":
        "https://opendata.finlex.fi/finlex/avoindata/v1/akn/fi/act/statute/2025/1234/fin@/media/9001.pdf",
      "amends:500/2024": "https://www.finlex.fi/fi/laki/ajantasa/2024/20240500",
    });
    expect(doc.data).toMatchObject({
      language: "fi",
      titleFi: "Laki kaksikäyttötuotteiden vientivalvonnasta annetun lain muuttamisesta",
      titleSv: null,
      titleEn: "Act amending the Act on the export control of dual-use items (500/2024)",
      issuedAt: "2025-12-12",
      // The affectedDocument markup leaves "( 500/2024 )" in the raw text; the instruction reads as printed.
      instructions: [
        {
          verb: "muutetaan",
          act: "500/2024",
          text: "muutetaan kaksikäyttötuotteiden vientivalvonnasta annetun lain (500/2024) 2 §:n 2 momentin 1 kohta ja liite, sekä",
        },
        { verb: "lisätään", act: "500/2024", text: "lisätään lakiin uusi 4 a § seuraavasti:" },
      ],
    });
  });

  it("gives the same statute as the SDK reader does from its SDK XML", () => {
    const akn = readFinlexStatute({ body: fixture(AKN) });
    const sdk = readFinlexStatute({ body: fixture(AMENDMENT) });
    expect(akn.relevance).toBe(sdk.relevance);
    const shared = (d: typeof akn.document) => {
      const { abstract, technologies, publishedAt, urls, ...rest } = d;
      // The SDK file holds both languages; an Akoma Ntoso expression holds one.
      const { titleSv, ...data } = d.data!;
      return { ...rest, data };
    };
    expect(shared(akn.document)).toEqual(shared(sdk.document));
    // The SDK XML has no publication date; the API's Akoma Ntoso has one.
    expect([sdk.document.publishedAt, akn.document.publishedAt]).toEqual([null, "2025-12-15"]);
  });

  it("keeps the Finnish text, one line per heading, subsection or point, in NFC, and tags the 2024 items", () => {
    const doc = readFinlexStatute({ body: fixture(AKN) }).document;
    const text = doc.abstract!;
    expect(fixture(AKN).toString("utf8")).toContain("vienneista\u0308");
    expect(text).toBe(text.normalize("NFC"));
    expect(text.split("\n")).toEqual([
      "Eduskunnan päätöksen mukaisesti",
      "muutetaan kaksikäyttötuotteiden vientivalvonnasta annetun lain (500/2024) 2 §:n 2 momentin 1 kohta ja liite, sekä",
      "lisätään lakiin uusi 4 a § seuraavasti:",
      "2 §",
      "Määritelmät",
      "— — —",
      "Lisäksi tässä laissa tarkoitetaan:",
      "1) kansallisella valvontaluettelolla tämän lain liitteenä olevaa luetteloa kvanttitietokoneista ja puolijohteiden valmistuslaitteista;",
      "— — —",
      "4 a §",
      "Ilmoitusvelvollisuus",
      "Toiminnanharjoittajan on ilmoitettava ulkoministeriölle kaikista kansalliseen valvontaluetteloon kuuluvien tuotteiden vienneistä.",
      "Ilmoitusvelvollisuus koskee erityisesti kvanttitietokoneiden laimennusjäähdyttimiä, GAAFET-rakenteisten piirien suunnitteluohjelmistoja ja ainetta lisäävän valmistuksen laitteita.",
      "Tämä laki tulee voimaan 1 päivänä tammikuuta 2026.",
      "Liite: Kansallinen valvontaluettelo",
    ]);
    // Finnish words of the 2024 plurilateral items: quantum computers and their
    // dilution refrigerators, semiconductor manufacturing equipment, GAAFET, additive manufacturing.
    expect(doc.technologies).toEqual([
      "quantum",
      "semiconductor-manufacturing-equipment",
      "gaafet",
      "additive-manufacturing",
    ]);
  });

  it("reads a Swedish expression: Swedish title and dates, the same English gloss", () => {
    const read = readFinlexStatute({ body: fixture(AKN_SV) });
    expect(read.warnings).toEqual([]);
    expect(read.relevance).toBe("amends 500/2024");
    expect(read.document).toMatchObject({
      id: "finlex/sd/2025/1234",
      type: "lag",
      title: "Lag om ändring av lagen om exportkontroll av produkter med dubbla användningsområden",
      effectiveAt: "2026-01-01",
      publishedAt: "2025-12-15",
      url: "https://www.finlex.fi/sv/laki/alkup/2025/20251234",
      cfrReferences: ["500/2024"],
    });
    expect(read.document.data).toMatchObject({
      language: "sv",
      titleFi: null,
      titleSv: "Lag om ändring av lagen om exportkontroll av produkter med dubbla användningsområden",
      titleEn: "Act amending the Act on the export control of dual-use items (500/2024)",
      signedAt: "Helsingfors den 12 december 2025",
      inForceText: "Denna lag träder i kraft den 1 januari 2026.",
      instructions: [
        {
          verb: "ändras",
          act: "500/2024",
          text: "ändras i lagen om exportkontroll av produkter med dubbla användningsområden (500/2024) 2 § 2 mom. 1 punkten och bilagan, samt",
        },
        { verb: "fogas", act: "500/2024", text: "fogas till lagen en ny 4 a § som följer:" },
      ],
      signatories: [{ role: "Republikens President", name: "Presidentti Esimerkki" }],
    });
  });

  it("reads a new act with chapters: its entry-into-force section, the act it repeals, the known title", () => {
    const read = readFinlexStatute({ body: fixture(AKN_NEW_ACT) });
    expect(read.warnings).toEqual([]);
    expect(read.relevance).toBe('has the title of a followed act ("puolustustarvikkeiden viennistä")');
    expect(read.document).toMatchObject({
      id: "finlex/sd/2026/400",
      title: "Laki puolustustarvikkeiden viennistä",
      publishedAt: "2026-06-02",
      effectiveAt: "2026-07-01",
      cfrReferences: ["282/2012"],
    });
    expect(read.document.urls["repeals:282/2012"]).toBe(
      "https://www.finlex.fi/fi/laki/ajantasa/2012/20120282",
    );
    expect(read.document.data).toMatchObject({
      titleEn: "Act on the export of defence materiel",
      issuedAt: "2026-05-29",
      signedAt: "Helsingissä 29 päivänä toukokuuta 2026",
      amends: [],
      repeals: ["282/2012"],
      instructions: [],
      // 2 § Voimaantulo is the entry into force, not a provision the act writes.
      writesSections: ["1 §"],
      references: ["HE 12/2026", "PuVM 3/2026"],
    });
    expect(read.document.abstract!.split("\n").slice(0, 5)).toEqual([
      "Eduskunnan päätöksen mukaisesti säädetään:",
      "1 luku",
      "Yleiset säännökset",
      "1 §",
      "Soveltamisala",
    ]);
  });

  it("leaves out a decree issued under 500/2024 and an unrelated act, by what they say, with the reason", () => {
    const snapshot = parseFinlexStatutes(
      [AKN_DECREE, AKN_UNRELATED, AKN_NEW_ACT, AKN].map((name) => ({ body: fixture(name), url: name })),
    );
    expect(snapshot.warnings).toEqual([]);
    expect(snapshot.documents.map((d) => d.citation)).toEqual(["1234/2025", "400/2026"]);
    expect(snapshot.meta).toEqual({
      read: 4,
      excluded: [
        {
          citation: "77/2025",
          title: "Valtioneuvoston asetus vientivalvontaneuvottelukunnasta",
          reason: "asetus issued under 500/2024; amends no followed act",
        },
        {
          citation: "1301/2025",
          title: "Laki ajoneuvoverolain muuttamisesta",
          reason: "neither a followed act nor amends or repeals one",
        },
      ],
    });
    const decree = readFinlexStatute({ body: fixture(AKN_DECREE) }).document;
    expect(decree).toMatchObject({ type: "asetus", effectiveAt: "2025-03-01", cfrReferences: [] });
    expect(decree.data).toMatchObject({ issuedAt: "2025-02-20", basedOn: ["500/2024"], titleEn: null });
    // An older statute gives its publication date only as the Statute Book issue's date.
    const unrelated = readFinlexStatute({ body: fixture(AKN_UNRELATED) }).document;
    expect(unrelated).toMatchObject({ publishedAt: "2025-12-22", cfrReferences: ["1281/2003"] });
  });

  it("refuses malformed XML with a clear error", () => {
    expect(() => source.parse({ body: fixture(AKN_MALFORMED), url: AKN_MALFORMED })).toThrow(
      SourceShapeChangedError,
    );
    expect(() => source.parse({ body: fixture(AKN_MALFORMED), url: AKN_MALFORMED })).toThrow(
      /akn-malformed-unclosed-section\.xml: malformed XML: end tag <\/hcontainer> does not match <section>/,
    );
  });

  it("refuses what is not a Statute Book original: another namespace, a consolidated text, a later version, a proposal", () => {
    const cases: [string, string, RegExp][] = [
      [
        'xmlns="http://docs.oasis-open.org/legaldocml/ns/akn/3.0"',
        'xmlns="http://example.org/akn"',
        /is not in the Akoma Ntoso 3\.0 namespace/,
      ],
      [
        '<FRBRuri value="/akn/fi/act/statute/2025/1234"/>',
        '<FRBRuri value="/akn/fi/act/statute-consolidated/2025/1234"/>',
        /is a statute-consolidated, not a Statute Book original/,
      ],
      [
        '<FRBRuri value="/akn/fi/act/statute/2025/1234/fin@"/>',
        '<FRBRuri value="/akn/fi/act/statute/2025/1234/fin@20260001"/>',
        /is a later version \(@20260001\), not the original text/,
      ],
      ['<FRBRnumber value="1234"/>', '<FRBRnumber value="1243"/>', /FRBRnumber "1243" disagrees/],
      ['<FRBRlanguage language="fin"/>', '<FRBRlanguage language="swe"/>', /FRBRlanguage "swe" disagrees/],
      ['<act contains="originalVersion" name="main">', '<doc name="main">', /expected one <act>/],
      [
        "<docTitle>Laki kaksikäyttötuotteiden vientivalvonnasta annetun lain muuttamisesta </docTitle>",
        "<docTitle> </docTitle>",
        /1234\/2025 has no preface\/docTitle/,
      ],
    ];
    for (const [from, to, error] of cases) {
      let body = edited(AKN, from, to);
      if (to.startsWith("<doc ")) body = Buffer.from(body.toString("utf8").replace("</act>", "</doc>"));
      expect(() => readFinlexStatute({ body }), to).toThrow(SourceShapeChangedError);
      expect(() => readFinlexStatute({ body }), to).toThrow(error);
    }
  });

  it("warns, and leaves empty, what it cannot take: an impossible date, unknown markup, a disagreeing signature", () => {
    const badDate = readFinlexStatute({
      body: edited(
        AKN,
        '<FRBRdate date="2025-12-15" name="datePublished"/>',
        '<FRBRdate date="2025-02-30" name="datePublished"/>',
      ),
    });
    // The work's date is read first; the expression's (valid) one is not a fallback for a bad one.
    expect(badDate.document.publishedAt).toBeNull();
    expect(badDate.warnings).toEqual(['1234/2025: datePublished "2025-02-30" is not a date; left empty']);
    const unknown = readFinlexStatute({
      body: edited(AKN, "<p>Toiminnanharjoittajan", "<p><blink>!</blink>Toiminnanharjoittajan"),
    });
    expect(unknown.warnings).toEqual(["1234/2025: unknown element(s) <blink> read as text"]);
    expect(unknown.document.abstract).toContain("\n!Toiminnanharjoittajan on ilmoitettava");
    const signed = readFinlexStatute({
      body: edited(AKN, "Helsingissä 12.12.2025", "Helsingissä 11.12.2025"),
    });
    expect(signed.warnings).toEqual(["1234/2025: signed 2025-12-11, but dateIssued is 2025-12-12"]);
    const undated = readFinlexStatute({
      body: edited(
        AKN,
        "tulee voimaan 1 päivänä tammikuuta 2026.",
        "tulee voimaan valtioneuvoston asetuksella säädettävänä ajankohtana.",
      ),
    });
    expect(undated.document.effectiveAt).toBeNull();
    expect(undated.warnings).toEqual([
      '1234/2025: entry into force "Tämä laki tulee voimaan valtioneuvoston asetuksella säädettävänä ajankohtana." gives no date; left empty',
    ]);
  });

  it("keeps script-like text as text", () => {
    const read = readFinlexStatute({
      body: edited(
        AKN,
        "<p>Toiminnanharjoittajan",
        "<p>&lt;script&gt;alert(1)&lt;/script&gt; Toiminnanharjoittajan",
      ),
    });
    expect(read.document.abstract).toContain("\n<script>alert(1)</script> Toiminnanharjoittajan");
  });

  it("parses Swedish dates strictly", () => {
    expect(parseSwedishDate("31 december 2005")).toBe("2005-12-31");
    expect(parseSwedishDate("16.8.2024")).toBe("2024-08-16");
    for (const bad of ["31 juni 2025", "1 January 2026", "den 1 januari 2026", "1 Januari 2026"])
      expect(parseSwedishDate(bad), bad).toBeNull();
  });
});

describe("fi.finlex.export-control statute list", () => {
  it("reads a list page: year, number, language, version and status of each expression", () => {
    expect(parseStatuteList(fixture(LIST_PAGE))).toEqual([
      {
        docType: "statute",
        year: 2025,
        number: 1234,
        language: "fin",
        version: "",
        status: "NEW",
        uri: "https://opendata.finlex.fi/finlex/avoindata/v1/akn/fi/act/statute/2025/1234/fin@",
      },
      expect.objectContaining({ docType: "statute", number: 1234, language: "swe" }),
      expect.objectContaining({
        docType: "statute-consolidated",
        year: 2024,
        number: 500,
        version: "20251234",
      }),
    ]);
  });

  it("refuses a list that is not an array of akn_uri and status", () => {
    expect(() => parseStatuteList(Buffer.from("<AknXmlList/>"), "list")).toThrow(/list: not JSON/);
    expect(() => parseStatuteList(Buffer.from('{"items": []}'), "list")).toThrow(/expected a JSON array/);
    expect(() => parseStatuteList(Buffer.from('[{"akn_uri": 5, "status": "NEW"}]'), "list")).toThrow(
      /item 0 has no akn_uri and status strings/,
    );
    expect(() =>
      parseStatuteList(Buffer.from('[{"akn_uri": "https://example.org/x", "status": "NEW"}]'), "list"),
    ).toThrow(/item 0 akn_uri "https:\/\/example.org\/x" is not a Finnish act's/);
  });
});

// --- fetch and backfill, against a fake Finlex API ----------------------------

const DUAL_USE = "kaksikäyttötuotteiden vientivalvonnasta";
const DEFENCE = "puolustustarvikkeiden viennistä";
const aknUri = (year: number, number: number, lang = "fin") =>
  `https://opendata.finlex.fi/finlex/avoindata/v1/akn/fi/act/statute/${year}/${number}/${lang}@`;

/**
 * The API as the fetch sees it: lists filtered by year and title, paged, with
 * an ETag that changes with their content; statutes by year and number. The
 * year's unrelated act and the decree are served too, so that a request for
 * them would be seen.
 */
function fakeFinlex(lists: Record<string, unknown[]>, statutes: Record<string, Buffer | "304" | "empty">) {
  const asked: { url: string; options: HttpRequestOptions }[] = [];
  const respond = (
    url: string,
    status: number,
    body: Uint8Array,
    headers: Record<string, string> = {},
  ): HttpResponse => ({
    url,
    status,
    notModified: status === 304,
    contentType: "application/json",
    headers,
    body,
    sha256: "x",
    fetchedAt: "2025-11-12T10:00:00Z",
  });
  const http = {
    async get(url: string, options: HttpRequestOptions = {}) {
      asked.push({ url, options });
      const u = new URL(url);
      if (u.pathname === "/finlex/avoindata/v1/akn/fi/act/statute/list") {
        const q = u.searchParams;
        const all = lists[`${q.get("startYear")}|${q.get("titleContains")}`] ?? [];
        const [page, limit] = [Number(q.get("page")), Number(q.get("limit"))];
        const etag = `"${q.get("startYear")}-${JSON.stringify(all).length}-${page}"`;
        if (options.headers?.["if-none-match"] === etag) return respond(url, 304, new Uint8Array(), { etag });
        return respond(url, 200, Buffer.from(JSON.stringify(all.slice((page - 1) * limit, page * limit))), {
          etag,
        });
      }
      const m = /\/akn\/fi\/act\/statute\/(\d{4})\/(\d+)\/fin@$/.exec(u.pathname);
      const answer = m ? statutes[`${m[2]}/${m[1]}`] : undefined;
      if (answer === undefined) throw new Error(`unexpected ${url}`);
      if (answer === "304") return respond(url, 304, new Uint8Array());
      if (answer === "empty") return respond(url, 200, Buffer.from('<?xml version="1.0"?><AknXmlList/>'));
      return respond(url, 200, answer);
    },
  };
  return { http, asked, urls: () => asked.map((a) => a.url) };
}

const STATUTES = {
  "1234/2025": fixture(AKN),
  "77/2025": fixture(AKN_DECREE),
  "1301/2025": fixture(AKN_UNRELATED),
};
const LISTS = { [`2025|${DUAL_USE}`]: JSON.parse(fixture(LIST_PAGE).toString("utf8")) as unknown[] };
const NOW = new Date("2025-12-16T07:00:00Z");

describe("fi.finlex.export-control definition and fetch", () => {
  it("is a Finnish documents source", () => {
    expect(source).toMatchObject({
      id: "fi.finlex.export-control",
      jurisdiction: "FI",
      kind: "documents",
      officialUrl: "https://www.finlex.fi/fi/laki/ajantasa/2024/20240500",
      parserVersion: "fi.finlex.export-control/2",
    });
    expect(source.expectations.minEntries).toBe(0);
    expect(source.backfill).toBeTypeOf("function");
    expect(TITLE_FILTERS).toEqual([DUAL_USE, DEFENCE]);
    expect(statuteListUrl(2025, DUAL_USE)).toBe(
      "https://opendata.finlex.fi/finlex/avoindata/v1/akn/fi/act/statute/list?format=json&langAndVersion=fin%40" +
        "&startYear=2025&endYear=2025&titleContains=kaksik%C3%A4ytt%C3%B6tuotteiden%20vientivalvonnasta&page=1&limit=10",
    );
    expect(yearsToList(new Date("2026-01-05T00:00:00Z"))).toEqual([2025, 2026]);
    expect(yearsToList(NOW)).toEqual([2025]);
  });

  it("lists by the followed acts' titles, then fetches only the new Finnish original", async () => {
    const api = fakeFinlex(LISTS, STATUTES);
    const result = await source.fetch({ http: api.http, log: silentLog, now: NOW, state: {} });
    expect(api.urls()).toEqual([
      statuteListUrl(2025, DUAL_USE),
      statuteListUrl(2025, DEFENCE),
      aknUri(2025, 1234),
    ]);
    // Neither the decree under 500/2024 nor the unrelated act is asked for; nor the Swedish
    // expression or the consolidated version the list also names.
    expect(api.urls().some((u) => /\/(77|1301)\/fin@$/.test(u))).toBe(false);
    const list = new URL(api.asked[0]!.url).searchParams;
    expect([list.get("titleContains"), list.get("langAndVersion")]).toEqual([DUAL_USE, "fin@"]);
    expect(api.asked[0]!.options).toEqual({ conditional: false, headers: { accept: "application/json" } });
    expect(api.asked[2]!.options).toEqual({ conditional: true, headers: { accept: "application/xml" } });
    expect(result.artifacts.map((a) => a.response.url)).toEqual([aknUri(2025, 1234)]);
    expect(result.state).toEqual({
      lists: {
        [statuteListUrl(2025, DUAL_USE)]: { etag: expect.stringMatching(/^"2025-/) },
        [statuteListUrl(2025, DEFENCE)]: { etag: '"2025-2-1"' },
      },
      fetched: { "1234/2025": "NEW" },
      pending: {},
    });
    // What was fetched parses to the amendment, kept.
    const snapshot = source.parse({
      body: result.artifacts[0]!.response.body,
      url: result.artifacts[0]!.response.url,
    });
    if (snapshot.kind !== "documents") throw new Error("expected documents");
    expect(snapshot.documents.map((d) => d.id)).toEqual(["finlex/sd/2025/1234"]);
  });

  it("asks nothing more when the lists have not changed (304)", async () => {
    const api = fakeFinlex(LISTS, STATUTES);
    const first = await source.fetch({ http: api.http, log: silentLog, now: NOW, state: {} });
    const again = fakeFinlex(LISTS, STATUTES);
    const result = await source.fetch({ http: again.http, log: silentLog, now: NOW, state: first.state });
    expect(again.urls()).toEqual([statuteListUrl(2025, DUAL_USE), statuteListUrl(2025, DEFENCE)]);
    expect(again.asked[0]!.options.headers).toEqual({
      accept: "application/json",
      "if-none-match": (first.state.lists as Record<string, { etag: string }>)[
        statuteListUrl(2025, DUAL_USE)
      ]!.etag,
    });
    expect(result.artifacts).toEqual([]);
    expect(result.state).toEqual(first.state);
  });

  it("fetches a statute once: again only when the list says it changed", async () => {
    const state = { lists: {}, fetched: { "1234/2025": "NEW" }, pending: {} };
    const same = fakeFinlex(LISTS, STATUTES);
    const unchanged = await source.fetch({ http: same.http, log: silentLog, now: NOW, state });
    expect(same.urls()).toHaveLength(2);
    expect(unchanged.artifacts).toEqual([]);
    const modified = (LISTS[`2025|${DUAL_USE}`] as { akn_uri: string; status: string }[]).map((i) => ({
      ...i,
      status: "MODIFIED",
    }));
    const api = fakeFinlex({ [`2025|${DUAL_USE}`]: modified }, { ...STATUTES, "1234/2025": "304" });
    const result = await source.fetch({ http: api.http, log: silentLog, now: NOW, state });
    expect(api.urls()[2]).toBe(aknUri(2025, 1234));
    // The statute itself had not changed (304): nothing to parse, the new status remembered.
    expect(result.artifacts).toEqual([]);
    expect(result.state.fetched).toEqual({ "1234/2025": "MODIFIED" });
  });

  it("asks a listed statute the API does not serve yet again on the next run", async () => {
    const api = fakeFinlex(LISTS, { ...STATUTES, "1234/2025": "empty" });
    const first = await source.fetch({ http: api.http, log: silentLog, now: NOW, state: {} });
    expect(first.artifacts).toEqual([]);
    expect(first.state).toMatchObject({ fetched: {}, pending: { "1234/2025": "NEW" } });
    const later = fakeFinlex(LISTS, STATUTES);
    const second = await source.fetch({ http: later.http, log: silentLog, now: NOW, state: first.state });
    // The lists answer 304; the pending statute is asked anyway.
    expect(later.urls()).toEqual([
      statuteListUrl(2025, DUAL_USE),
      statuteListUrl(2025, DEFENCE),
      aknUri(2025, 1234),
    ]);
    expect(second.artifacts).toHaveLength(1);
    expect(second.state).toMatchObject({ fetched: { "1234/2025": "NEW" }, pending: {} });
  });

  it("reads last year's lists too in January, and every page of a long list", async () => {
    const many = Array.from({ length: 12 }, (_, i) => ({ akn_uri: aknUri(2025, 1100 + i), status: "NEW" }));
    const statutes = Object.fromEntries(many.map((_, i) => [`${1100 + i}/2025`, fixture(AKN)]));
    const api = fakeFinlex({ [`2025|${DUAL_USE}`]: many }, statutes);
    const result = await source.fetch({
      http: api.http,
      log: silentLog,
      now: new Date("2026-01-05T07:00:00Z"),
      state: {},
    });
    expect(api.urls().slice(0, 5)).toEqual([
      statuteListUrl(2025, DUAL_USE),
      statuteListUrl(2025, DUAL_USE, 2),
      statuteListUrl(2025, DEFENCE),
      statuteListUrl(2026, DUAL_USE),
      statuteListUrl(2026, DEFENCE),
    ]);
    expect(result.artifacts.map((a) => a.response.url)).toEqual(many.map((m) => m.akn_uri));
  });

  it("refuses a list that ignores the title filter instead of downloading the Statute Book", async () => {
    const all = Array.from({ length: 60 }, (_, i) => ({ akn_uri: aknUri(2025, i + 1), status: "NEW" }));
    const api = fakeFinlex({ [`2025|${DUAL_USE}`]: all }, {});
    await expect(source.fetch({ http: api.http, log: silentLog, now: NOW, state: {} })).rejects.toThrow(
      /more than 50 statutes of 2025 titled "kaksikäyttötuotteiden vientivalvonnasta"; the title filter or the paging seems not applied/,
    );
    expect(api.urls().every((u) => u.includes("/statute/list?"))).toBe(true);
  });

  it("refuses a list that is not the JSON it expects", async () => {
    const http = {
      get: async (url: string) => ({
        url,
        status: 200,
        notModified: false,
        contentType: "text/html",
        headers: {},
        body: Buffer.from("<html>Huoltokatko</html>"),
        sha256: "x",
        fetchedAt: "2025-12-16T07:00:00Z",
      }),
    };
    await expect(source.fetch({ http, log: silentLog, now: NOW, state: {} })).rejects.toThrow(
      SourceShapeChangedError,
    );
  });

  it("backfills by years, oldest statute first, each step with its cursor", async () => {
    const lists = {
      [`2024|${DUAL_USE}`]: [{ akn_uri: aknUri(2024, 500), status: "NEW" }],
      [`2025|${DUAL_USE}`]: JSON.parse(fixture(LIST_PAGE).toString("utf8")) as unknown[],
    };
    const api = fakeFinlex(lists, { ...STATUTES, "500/2024": fixture(AKN_NEW_ACT) });
    const steps = [];
    for await (const step of source.backfill!(
      { http: api.http, log: silentLog, now: NOW, state: {} },
      "2024-06-01",
    ))
      steps.push(step);
    expect(api.urls().filter((u) => u.includes("/list?"))).toEqual([
      statuteListUrl(2024, DUAL_USE),
      statuteListUrl(2024, DEFENCE),
      statuteListUrl(2025, DUAL_USE),
      statuteListUrl(2025, DEFENCE),
    ]);
    expect(steps.map((s) => [s.artifact.response.url, s.index, s.total])).toEqual([
      [aknUri(2024, 500), 1, 2],
      [aknUri(2025, 1234), 2, 2],
    ]);
    expect(
      api.asked.filter((a) => !a.url.includes("/list?")).every((a) => a.options.conditional === false),
    ).toBe(true);
    expect(steps[1]!.state).toEqual({
      lists: {},
      fetched: { "500/2024": "NEW", "1234/2025": "NEW" },
      pending: {},
    });
    await expect(async () => {
      for await (const _ of source.backfill!(
        { http: api.http, log: silentLog, now: NOW, state: {} },
        "last year",
      ));
    }).rejects.toThrow(/backfill since "last year" is not an ISO date/);
  });
});
