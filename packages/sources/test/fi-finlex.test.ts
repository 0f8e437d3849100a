import { readFileSync } from "node:fs";
import { join } from "node:path";
import { SourceShapeChangedError } from "@regwatch/core/errors";
import { documentsSnapshotSchema } from "@regwatch/core/schemas";
import { technologiesForText } from "@regwatch/core/taxonomy";
import { describe, expect, it } from "vitest";
import { silentLog } from "../../../test/support/test-http.ts";
import { parseFinlexStatutes, parseFinnishDate, parseSdkStatute } from "../src/fi/finlex/parse.ts";
import { fiFinlexExportControl as source } from "../src/fi/finlex/source.ts";

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
      /not a Finlex SDK statute/,
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

describe("fi.finlex.export-control definition", () => {
  it("is a Finnish documents source", () => {
    expect(source).toMatchObject({
      id: "fi.finlex.export-control",
      jurisdiction: "FI",
      kind: "documents",
      officialUrl: "https://www.finlex.fi/fi/laki/ajantasa/2024/20240500",
    });
    expect(source.expectations.minEntries).toBe(0);
  });

  it("says plainly that fetching is not built yet", async () => {
    const http = { get: () => Promise.reject(new Error("no request expected")) };
    await expect(
      source.fetch({ http, log: silentLog, now: new Date("2025-10-28T12:00:00Z"), state: {} }),
    ).rejects.toThrow(/fetch is not implemented yet: .*statute\/list.*startYear=2025.*Akoma Ntoso/);
  });
});
