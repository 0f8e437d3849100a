import { SourceShapeChangedError, SourceUnavailableError } from "@regwatch/core/errors";
import type { HttpClient, HttpResponse } from "@regwatch/core/http";
import { documentsSnapshotSchema } from "@regwatch/core/schemas";
import { describe, expect, it } from "vitest";
import { silentLog } from "../../../test/support/test-http.ts";
import {
  actType,
  citationOf,
  parseActRef,
  parseSlashDate,
  readNormattivaAkn,
  removeAmendmentBrackets,
} from "../src/it/normattiva/akn.ts";
import { aknExportUrl, parseSearchAnswer, relevance, uamaDecrees } from "../src/it/normattiva/parse.ts";
import {
  ADVANCED_SEARCH_URL,
  type PostingHttpClient,
  itNormattivaExportControl as source,
  UPDATED_SEARCH_URL,
} from "../src/it/normattiva/source.ts";
import { fixtureFiles } from "./fixture-files.ts";

const { fixture, edited } = fixtureFiles("it/normattiva");
const AMENDING = "akn-dlgs-2025-901-amends-221-2017.xml";
const CONSOLIDATED = "akn-dlgs-2017-221-vigente-abridged.xml";
const SEARCH = "search-avanzata-emanazione-2025-06-18.json";
const UPDATED = "search-aggiornati-221-2017-updated.json";
const URN_221 = "urn:nir:stato:decreto.legislativo:2017-12-15;221";
const URN_901 = "urn:nir:stato:decreto.legislativo:2025-06-18;901";
const documentsOf = (body: Uint8Array) => {
  const snapshot = source.parse({ body });
  if (snapshot.kind !== "documents") throw new Error("expected documents");
  return snapshot;
};

describe("it.normattiva.export-control: the Akoma Ntoso reader", () => {
  it("reads an act amending D.Lgs. 221/2017 into one document", () => {
    const snapshot = documentsOf(fixture(AMENDING));
    expect(documentsSnapshotSchema.parse(snapshot)).toEqual(snapshot);
    expect(snapshot.source).toBe("it.normattiva.export-control");
    expect(snapshot.warnings).toEqual([]);
    expect(snapshot.meta).toEqual({ read: 1, excluded: [] });
    const doc = snapshot.documents[0]!;
    expect(doc).toMatchObject({
      id: URN_901,
      stage: "published",
      type: "decreto legislativo",
      title:
        "Disposizioni integrative e correttive del decreto legislativo 15 dicembre 2017, n. 221, in materia di prodotti a duplice uso.",
      citation: "D.Lgs. 901/2025",
      publishedAt: "2025-06-30",
      effectiveAt: "2025-07-01",
      url: "https://www.normattiva.it/eli/id/2025/06/30/25G00901/CONSOLIDATED/20250701",
      // The followed act first, then everything else it amends, then the UAMA decree it names.
      cfrReferences: ["D.Lgs. 221/2017", "L. 185/1990", "Decreto 1325/BIS/371"],
      technologies: [
        "quantum",
        "semiconductor-manufacturing-equipment",
        "advanced-semiconductors",
        "additive-manufacturing",
      ],
      countries: [],
    });
    expect(doc.urls).toEqual({
      normattiva: `https://www.normattiva.it/uri-res/N2Ls?${URN_901}`,
      eli: "https://www.normattiva.it/eli/id/2025/06/30/25G00901/CONSOLIDATED/20250701",
      akn: "https://www.normattiva.it/do/atto/caricaAKN?dataGU=20250630&codiceRedaz=25G00901&dataVigenza=20250701",
    });
    expect(doc.data).toMatchObject({
      language: "it",
      titleEn: "Act amending D.Lgs. 221/2017 (Italian dual-use export control framework)",
      guCode: "25G00901",
      guNumber: "149",
      inForceOn: "2025-07-01",
      exportKind: "monovigente",
      articles: 3,
      insertions: 1,
      amendmentMarks: 1,
      amends: ["D.Lgs. 221/2017"],
      amendedHow: [`activeModifications: ${URN_221}#9`],
      uamaDecrees: ["Decreto 1325/BIS/371"],
    });
    expect((doc.data!.modifies as { citation: string }[]).map((m) => m.citation)).toEqual([
      "D.Lgs. 221/2017",
      "D.Lgs. 221/2017",
      "L. 185/1990",
    ]);
  });

  it("keeps the text one line per heading or paragraph, NFC, with the ((…)) brackets of <ins> taken out", () => {
    expect(fixture(AMENDING).toString("utf8")).toContain("e\u0300 disciplinata");
    const act = readNormattivaAkn({ body: fixture(AMENDING) });
    const lines = act.text.split("\n");
    expect(lines[0]).toBe("Art. 1. Modifiche al decreto legislativo 15 dicembre 2017, n. 221");
    expect(lines[1]).toBe(
      '1. All\'articolo 9, comma 1, del decreto legislativo 15 dicembre 2017, n. 221, le parole: "entro sessanta giorni" sono sostituite dalle seguenti: "entro sessanta giorni e, per i prodotti dell\'elenco nazionale di controllo, entro novanta giorni".',
    );
    // The lettered points written on their own lines inside one <p> stay on their own lines.
    expect(lines).toContain("a) apparecchiature per la fabbricazione additiva;");
    expect(act.text).not.toMatch(/\(\(|\)\)/);
    expect(act.text).toBe(act.text.normalize("NFC"));
    expect(act.text).toContain("\u00e8 disciplinata anche");
    expect(act.preamble.split("\n")[0]).toBe("IL PRESIDENTE DELLA REPUBBLICA");
    expect(act.articles.map((a) => a.num)).toEqual(["Art. 1.", "Art. 2.", "Art. 3."]);
  });

  it("reads D.Lgs. 221/2017 itself: the gloss of its name, the acts that amended it", () => {
    const snapshot = documentsOf(fixture(CONSOLIDATED));
    const doc = snapshot.documents[0]!;
    expect(doc).toMatchObject({
      id: URN_221,
      citation: "D.Lgs. 221/2017",
      publishedAt: "2018-01-17",
      effectiveAt: "2018-02-01",
      cfrReferences: [],
    });
    expect(doc.title).toMatch(/^Attuazione della delega al Governo .* materiali proliferanti\.$/);
    expect(doc.data?.titleEn).toMatch(
      /^Legislative Decree 221\/2017 on export authorisations for dual-use items/,
    );
    expect(doc.data?.amendedBy).toEqual([
      { urn: URN_901, citation: "D.Lgs. 901/2025", date: "2025-06-18" },
      {
        urn: "urn:nir:ministero_degli_affari_esteri:circolare:2025-07-02;7",
        citation: "circolare 7/2025",
        date: "2025-07-02",
      },
    ]);
    expect(doc.data?.lifecycle).toEqual([
      { date: "2018-01-17", citation: "D.Lgs. 221/2017" },
      { date: "2025-06-30", citation: "D.Lgs. 901/2025" },
      { date: "2025-07-02", citation: "circolare 7/2025" },
    ]);
  });

  it("leaves out an act that only cites 221/2017, with why", () => {
    const citing = edited(
      AMENDING,
      [/<activeModifications>[\s\S]*<\/activeModifications>/, ""],
      ["sono sostituite dalle seguenti", "restano ferme, come"],
      ["e' inserito il seguente", "si legge il seguente"],
      ["Modifiche al decreto", "Rinvio al decreto"],
    );
    const snapshot = documentsOf(citing);
    expect(snapshot.documents).toEqual([]);
    expect(snapshot.meta.excluded).toEqual([
      {
        urn: URN_901,
        citation: "D.Lgs. 901/2025",
        title: expect.stringMatching(/^Disposizioni integrative/),
        reason: "cites D.Lgs. 221/2017 without amending it",
      },
    ]);
  });

  it("keeps an amending act whose export has no activeModifications yet, by its amending paragraph", () => {
    const act = readNormattivaAkn({
      body: edited(AMENDING, [/<activeModifications>[\s\S]*<\/activeModifications>/, ""]),
    });
    expect(relevance(act)).toMatchObject({
      is: null,
      amends: [expect.objectContaining({ citation: "D.Lgs. 221/2017" })],
      how: ["amending paragraph names D.Lgs. 221/2017"],
    });
  });

  it("refuses Normattiva's HTML error page served where XML was expected", () => {
    const parse = () => source.parse({ body: fixture("html-error-page.html"), url: "caricaAKN" });
    expect(parse).toThrow(SourceShapeChangedError);
    expect(parse).toThrow(
      'caricaAKN: an HTML page ("Normattiva - Errore: Errore nel caricamento delle informazioni") where Akoma Ntoso XML was expected',
    );
  });

  it("refuses truncated XML, another root, a missing URN or a missing body", () => {
    const body = fixture(AMENDING);
    expect(() => source.parse({ body: body.subarray(0, body.length - 40) })).toThrow(/malformed XML/);
    expect(() =>
      source.parse({ body: edited(AMENDING, ["http://docs.oasis-open.org/legaldocml/ns/akn/3.0", "urn:x"]) }),
    ).toThrow(/is not Akoma Ntoso 3.0/);
    expect(() => source.parse({ body: edited(AMENDING, ['name="urn:nir"', 'name="urn:other"']) })).toThrow(
      /no urn:nir alias/,
    );
    expect(() => source.parse({ body: edited(AMENDING, [/<body>[\s\S]*<\/body>/, ""]) })).toThrow(
      /has no <body>/,
    );
  });

  it("warns when metadata dates disagree or are not dates, and keeps reading", () => {
    const act = readNormattivaAkn({
      body: edited(
        AMENDING,
        ['<docDate date="2025-06-18">', '<docDate date="2025-06-19">'],
        ["provvedimento: 01/07/2025", "provvedimento: 31/06/2025"],
      ),
    });
    expect(act.warnings).toEqual([
      `${URN_901}: FRBRWork date 2025-06-18 differs from the preface date 2025-06-19`,
      `${URN_901}: entry into force "31/06/2025" is not a date`,
    ]);
    expect(act.inForceFrom).toBeNull();
  });

  it("takes the ordinary fifteen days after the Gazzetta when the export has no entry-into-force note", () => {
    const snapshot = documentsOf(edited(AMENDING, [/<authorialNote[\s\S]*<\/authorialNote>/, ""]));
    expect(snapshot.documents[0]).toMatchObject({
      effectiveAt: "2025-07-15",
      data: { effectiveFrom: "gazzetta+15" },
    });
    expect(snapshot.warnings).toEqual([
      `${URN_901}: no "Entrata in vigore" note; in force taken as 2025-07-15 (15 days after the Gazzetta)`,
    ]);
    expect(documentsOf(fixture(AMENDING)).documents[0]?.data?.effectiveFrom).toBe("entrata in vigore");
  });

  it("names acts the way every Normattiva form writes them", () => {
    expect(parseActRef("urn:nir:stato:decreto.legislativo:2017-12-15;221#9 bis")).toMatchObject({
      urn: URN_221,
      partition: "9 bis",
      citation: "D.Lgs. 221/2017",
    });
    for (const href of [
      "/akn/it/act/decretoLegislativo/stato/2017-12-15/221/!main#art_9",
      "/akn/it/act/DECRETO_LEGISLATIVO/stato/2017-12-15/221/!main",
      "/akn/it/act/decreto_legislativo/stato/2017-12-15/221",
    ])
      expect(parseActRef(href)?.urn, href).toBe(URN_221);
    expect(parseActRef("/akn/it/act/decreto-legge/stato/2025-03-28/36/!main")?.citation).toBe("D.L. 36/2025");
    expect(parseActRef("/akn/it/act/costituzione/stato/1947-12-27/const/!main#art_77")).toBeNull();
    expect(parseActRef("#ins_1")).toBeNull();
    expect(parseActRef("urn:nir:stato:legge:2025-02-30;1")).toBeNull();
    expect(actType("DECRETO DEL PRESIDENTE DELLA REPUBBLICA")).toBe(
      "decreto.del.presidente.della.repubblica",
    );
    expect(citationOf("decreto.del.presidente.della.repubblica", "1990-10-09", "309")).toBe(
      "D.P.R. 309/1990",
    );
    expect(parseSlashDate("1/1/2006")).toBe("2006-01-01");
    expect(parseSlashDate("29/02/2025")).toBeNull();
    expect(uamaDecrees("con decreto del Vice Ministro n. 1325/bis/371 del 1° luglio 2024")).toEqual([
      "Decreto 1325/BIS/371",
    ]);
  });

  it("takes out the editorial brackets across paragraphs and leaves real parentheses", () => {
    expect(removeAmendmentBrackets("a) ((primo\nsecondo)) fine")).toEqual({
      text: "a) primo\nsecondo fine",
      marks: 1,
      open: 0,
    });
    expect(removeAmendmentBrackets("(con l'art. 61, comma 2, lettera d)) che").text).toBe(
      "(con l'art. 61, comma 2, lettera d)) che",
    );
    expect(removeAmendmentBrackets("((aperto").open).toBe(1);
  });
});

describe("it.normattiva.export-control: the open-data API search answers", () => {
  it("reads acts with their Gazzetta code and date", () => {
    const answer = parseSearchAnswer({ body: fixture(SEARCH) });
    expect(answer).toMatchObject({ total: 2, pages: 1 });
    expect(answer.hits[0]).toEqual({
      guCode: "25G00901",
      guDate: "2025-06-30",
      type: "decreto.legislativo",
      number: "901",
      date: "2025-06-18",
      year: "2025",
      title: expect.stringMatching(/^Disposizioni integrative/),
      lastModified: "2025-06-30",
      lastAmendedBy: null,
    });
    expect(answer.hits[1]?.type).toBe("decreto.del.presidente.della.repubblica");
  });

  it("refuses an HTML page, a non-object and an act without a Gazzetta code", () => {
    expect(() => parseSearchAnswer({ body: fixture("html-error-page.html"), url: "s" })).toThrow(
      's: the answer is not JSON (an HTML page "Normattiva - Errore")',
    );
    expect(() => parseSearchAnswer({ body: Buffer.from("[1]") })).toThrow(/not a JSON object/);
    expect(() => parseSearchAnswer({ body: Buffer.from('{"listaAtti":[{"dataGU":"2025-06-30"}]}') })).toThrow(
      /act 0 has no codiceRedazionale or dataGU/,
    );
    expect(() =>
      parseSearchAnswer({
        body: Buffer.from('{"listaAtti":[{"codiceRedazionale":"X","dataGU":"2025-02-30"}]}'),
      }),
    ).toThrow(SourceShapeChangedError);
  });
});

/** A fake Normattiva: the open-data API by POST, the site's exports by GET, every request recorded. */
function fakeNormattiva(options: { updated?: Buffer; exportBody?: Buffer } = {}) {
  const asked: string[] = [];
  const answer = (url: string, body: Uint8Array, contentType: string): HttpResponse => ({
    url,
    status: 200,
    notModified: false,
    contentType,
    headers: {},
    body,
    sha256: "",
    fetchedAt: "",
  });
  const http: PostingHttpClient = {
    async get(url) {
      asked.push(`GET ${url}`);
      const code = new URL(url).searchParams.get("codiceRedaz");
      const body =
        options.exportBody ??
        (code === "18G00901" ? fixture(CONSOLIDATED) : code === "25G00901" ? fixture(AMENDING) : null);
      if (!body) throw new Error(`unexpected ${url}`);
      return answer(url, body, "application/xml");
    },
    async post(url, body) {
      const json = JSON.parse(body) as Record<string, unknown>;
      asked.push(`POST ${url} ${JSON.stringify(json)}`);
      if (url === UPDATED_SEARCH_URL)
        return answer(url, options.updated ?? fixture(UPDATED), "application/json");
      // A search by date of the act: 221/2017's date gives the answer that lists it.
      const byDate: Record<string, Buffer> = {
        "2017-12-15": fixture(UPDATED),
        "2025-06-18": fixture(SEARCH),
      };
      return answer(
        url,
        byDate[json.dataInizioEmanazione as string] ?? Buffer.from('{"listaAtti":[]}'),
        "application/json",
      );
    },
  };
  return { http, asked };
}

describe("it.normattiva.export-control: fetch", () => {
  const now = new Date("2025-07-03T06:40:00Z");
  const EXPORT_221 =
    "GET https://www.normattiva.it/do/atto/caricaAKN?dataGU=20180117&codiceRedaz=18G00901&dataVigenza=20250703";
  const EXPORT_901 =
    "GET https://www.normattiva.it/do/atto/caricaAKN?dataGU=20250630&codiceRedaz=25G00901&dataVigenza=20250703";

  it("on a first run reads 221/2017 in force today, then each act its lifecycle names", async () => {
    const { http, asked } = fakeNormattiva();
    const result = await source.fetch({ http, log: silentLog, now, state: {} });
    expect(asked).toEqual([
      `POST ${ADVANCED_SEARCH_URL} {"dataInizioEmanazione":"2017-12-15","dataFineEmanazione":"2017-12-15","paginazione":{"paginaCorrente":0,"numeroElementiPerPagina":100}}`,
      EXPORT_221,
      `POST ${ADVANCED_SEARCH_URL} {"dataInizioEmanazione":"2025-06-18","dataFineEmanazione":"2025-06-18","paginazione":{"paginaCorrente":0,"numeroElementiPerPagina":100}}`,
      EXPORT_901,
    ]);
    expect(result.artifacts.map((a) => a.response.url)).toEqual([EXPORT_221.slice(4), EXPORT_901.slice(4)]);
    // The circular in the lifecycle has no Gazzetta code: never asked for.
    expect(result.state).toEqual({
      probedThrough: "2025-07-03T06:40:00.000Z",
      located: { [URN_221]: { guCode: "18G00901", guDate: "2018-01-17" } },
      read: [URN_901],
      pending: [],
    });
    const docs = result.artifacts.flatMap((a) => documentsOf(a.response.body).documents.map((d) => d.id));
    expect(docs).toEqual([URN_221, URN_901]);
  });

  it("asks only the cheap probe when 221/2017 was not updated, and moves the cursor", async () => {
    const { http, asked } = fakeNormattiva({
      updated: Buffer.from('{"listaAtti":[],"numeroAttiTrovati":0}'),
    });
    const state = {
      probedThrough: "2025-07-02T06:40:00.000Z",
      located: { [URN_221]: { guCode: "18G00901", guDate: "2018-01-17" } },
      read: [URN_901],
      pending: [],
    };
    const result = await source.fetch({ http, log: silentLog, now, state });
    expect(asked).toEqual([
      `POST ${UPDATED_SEARCH_URL} {"dataInizioAggiornamento":"2025-07-02T06:40:00.000Z","dataFineAggiornamento":"2025-07-03T06:40:00.000Z"}`,
    ]);
    expect(result).toEqual({ artifacts: [], state: { ...state, probedThrough: "2025-07-03T06:40:00.000Z" } });
  });

  it("rereads 221/2017 when the probe lists it, and no amending act twice", async () => {
    const { http, asked } = fakeNormattiva();
    const state = {
      probedThrough: "2025-07-02T06:40:00.000Z",
      located: { [URN_221]: { guCode: "18G00901", guDate: "2018-01-17" } },
      read: [URN_901],
      pending: [],
    };
    const result = await source.fetch({ http, log: silentLog, now, state });
    expect(asked).toEqual([expect.stringMatching(/^POST .*ricerca\/aggiornati /), EXPORT_221]);
    expect(result.artifacts).toHaveLength(1);
    expect(result.state).toMatchObject({ read: [URN_901], pending: [] });
  });

  it("fails clearly on Normattiva's HTML error page, before anything is archived", async () => {
    const { http } = fakeNormattiva({ exportBody: fixture("html-error-page.html") });
    const run = source.fetch({ http, log: silentLog, now, state: {} });
    await expect(run).rejects.toThrow(SourceUnavailableError);
    await expect(source.fetch({ http, log: silentLog, now, state: {} })).rejects.toThrow(
      /Normattiva answered an HTML page \(Normattiva - Errore: Errore nel caricamento delle informazioni\)/,
    );
  });

  it("needs an HttpClient that can POST, and says so", async () => {
    const getOnly: HttpClient = { get: fakeNormattiva().http.get };
    await expect(source.fetch({ http: getOnly, log: silentLog, now, state: {} })).rejects.toThrow(
      /searches by POST, and this HttpClient has no post\(\)/,
    );
  });

  it("backfills 221/2017 and then its amending acts since a date, oldest first", async () => {
    const { http } = fakeNormattiva();
    const steps = [];
    for await (const step of source.backfill!({ http, log: silentLog, now, state: {} }, "2025-01-01"))
      steps.push(step);
    expect(steps.map((s) => [s.index, s.total, s.artifact.asOf ?? null])).toEqual([
      [1, 2, null],
      [2, 2, "2025-06-18"],
    ]);
    expect(steps[1]?.state).toMatchObject({ read: [URN_901] });
    const later = [];
    for await (const step of source.backfill!({ http, log: silentLog, now, state: {} }, "2025-07-01"))
      later.push(step);
    expect(later).toHaveLength(1);
  });

  it("builds the export address from Gazzetta date, code and day", () => {
    expect(aknExportUrl("2018-01-17", "18G00901", "2025-07-03")).toBe(
      "https://www.normattiva.it/do/atto/caricaAKN?dataGU=20180117&codiceRedaz=18G00901&dataVigenza=20250703",
    );
  });
});
