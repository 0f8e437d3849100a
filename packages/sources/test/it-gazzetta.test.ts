import { readFileSync } from "node:fs";
import { join } from "node:path";
import { SourceShapeChangedError, SourceUnavailableError } from "@regwatch/core/errors";
import { documentsSnapshotSchema } from "@regwatch/core/schemas";
import { describe, expect, it } from "vitest";
import { type Route, startSourceServer } from "../../../test/support/source-server.ts";
import { silentLog, testHttpClient } from "../../../test/support/test-http.ts";
import {
  actHtmlUrl,
  exportControlActs,
  exportControlVerdict,
  issueUrl,
  LAST_30_DAYS_URL,
  parseGazzettaAct,
  parseGuDate,
  parseIssueList,
  parseIssueSummary,
  yearArchiveUrl,
} from "../src/it/gazzetta/parse.ts";
import { itGazzettaExportControl as source } from "../src/it/gazzetta/source.ts";
import { itUamaNationalList, UAMA_LIST_URL } from "../src/it/uama/source.ts";
import { fixtureFiles } from "./fixture-files.ts";

const { fixture, edited } = fixtureFiles("it/gazzetta");
const LIST = "gu-30giorni-serie-generale.html";
const SUMMARY = "gu-sommario-sg-2024-07-17-n166.html";
const NOTICE = "gu-atto-24A03812-comunicato-maeci-elenco-nazionale.html";
const UNRELATED = "gu-atto-24A03811-comunicato-maeci-accordo.html";
const ERROR = "gu-pagina-errore.html";
const ISSUE_166 = { date: "2024-07-17", number: "166" };
const NOTICE_URL = actHtmlUrl("2024-07-17", "24A03812");
const actOf = (body: Uint8Array, url = NOTICE_URL) =>
  parseGazzettaAct({ body, url, contentType: "text/html;charset=UTF-8" });
const snapshotOf = (body: Uint8Array, url = NOTICE_URL) => {
  const snapshot = source.parse({ body, url, contentType: "text/html;charset=UTF-8" });
  if (snapshot.kind !== "documents") throw new Error("expected documents");
  return snapshot;
};
// A firewall's answer in place of a page [I: the refusal page third-party readers of the site report].
const REJECTED =
  "<html><head><title>Request Rejected</title></head><body>The requested URL was rejected. Please consult with your administrator.<br><br>Your support ID is: 1234567890123456789</body></html>";

describe("it.gazzetta.export-control: issue lists and summaries", () => {
  it("lists the Serie Generale issues of the last 30 days, oldest first, once each, no other series", () => {
    expect(parseIssueList({ body: fixture(LIST), url: LAST_30_DAYS_URL })).toEqual([
      { date: "2024-07-12", number: "162" },
      { date: "2024-07-13", number: "163" },
      { date: "2024-07-15", number: "164" },
      { date: "2024-07-16", number: "165" },
      ISSUE_166,
    ]);
    // A year's archive links the same summaries with dates written YYYY-MM-DD.
    const archive = edited(LIST, [
      /dataPubblicazioneGazzetta=(\d{4})(\d{2})(\d{2})&amp;/g,
      "dataPubblicazioneGazzetta=$1-$2-$3&amp;",
    ]);
    expect(parseIssueList({ body: archive, url: yearArchiveUrl(2024) })).toHaveLength(5);
  });

  it("refuses an issue list with an impossible date or with no issue", () => {
    expect(() =>
      parseIssueList({ body: edited(LIST, ["20240716", "20240631"]), url: LAST_30_DAYS_URL }),
    ).toThrow(
      /an issue link ".*dataPubblicazioneGazzetta=20240631&numeroGazzetta=165" has no valid date and number/,
    );
    expect(() =>
      parseIssueList({
        body: edited(LIST, [/<ul class="elenco_gazzette">[\s\S]*?<\/ul>/, ""]),
        url: LAST_30_DAYS_URL,
      }),
    ).toThrow(`${LAST_30_DAYS_URL}: no Serie Generale issue is linked (page changed?)`);
  });

  it("reads each act of a summary with its section, issuer, heading and title, and keeps the foreign ministry's notice", () => {
    const summary = parseIssueSummary({ body: fixture(SUMMARY), url: issueUrl(ISSUE_166) }, ISSUE_166);
    expect(summary.issue).toEqual(ISSUE_166);
    // The link written inside a script is not an act.
    expect(summary.acts.map((a) => a.code)).toEqual([
      "24A03790",
      "24A03795",
      "24A03801",
      "24A03805",
      "24A03811",
      "24A03812",
      "24A03815",
    ]);
    const byCode = new Map(summary.acts.map((a) => [a.code, a]));
    // Two issuing bodies in a row are one issuer and its department.
    expect(byCode.get("24A03801")).toMatchObject({
      section: "DECRETI E DELIBERE DI ALTRE AUTORITA'",
      issuer: "PRESIDENZA DEL CONSIGLIO DEI MINISTRI - DIPARTIMENTO DELLA PROTEZIONE CIVILE",
      heading: "ORDINANZA 9 luglio 2024",
    });
    expect(exportControlActs(summary)).toEqual([
      {
        code: "24A03812",
        date: "2024-07-17",
        section: "ESTRATTI, SUNTI E COMUNICATI",
        issuer: "MINISTERO DEGLI AFFARI ESTERI E DELLA COOPERAZIONE INTERNAZIONALE",
        heading: "COMUNICATO",
        title:
          "Avviso relativo al decreto 1° luglio 2024, n. 1325/BIS/371, recante l'elenco nazionale di controllo dei prodotti a duplice uso non listati.",
        url: "https://www.gazzettaufficiale.it/atto/serie_generale/caricaDettaglioAtto/originario?atto.dataPubblicazioneGazzetta=2024-07-17&atto.codiceRedazionale=24A03812&elenco30giorni=true",
      },
    ]);
    // Each act left out fails a different rule: another ministry's "duplice uso", the ministry's treaty notice.
    expect(exportControlVerdict(byCode.get("24A03795")!)).toEqual({
      issuer: false,
      words: ["duplice uso"],
      keep: false,
    });
    expect(exportControlVerdict(byCode.get("24A03811")!)).toEqual({ issuer: true, words: [], keep: false });
  });

  it("keeps the foreign ministry under its older name and a decree named only by its UAMA number", () => {
    expect(
      exportControlVerdict({
        issuer: "MINISTERO DEGLI AFFARI ESTERI",
        heading: "DECRETO 3 marzo 2025",
        title: "Modifiche al decreto n. 1325 / BIS / 371.",
      }).keep,
    ).toBe(true);
    expect(
      exportControlVerdict({
        issuer: "MINISTERO DEGLI AFFARI ESTERI E DELLA COOPERAZIONE INTERNAZIONALE",
        heading: "COMUNICATO",
        title: "Aggiornamento dell'elenco dei materiali d’armamento.",
      }).words,
    ).toEqual(["materiali d'armamento"]);
  });

  it("refuses a summary of another issue, an entry linking two acts, an empty summary, and an error page", () => {
    const url = issueUrl(ISSUE_166);
    expect(() =>
      parseIssueSummary({ body: fixture(SUMMARY), url }, { date: "2024-07-16", number: "165" }),
    ).toThrow(`${url}: the summary is of n. 166 del 2024-07-17, expected n. 165 del 2024-07-16`);
    const twoActs = edited(SUMMARY, [
      /codiceRedazionale=24A03815&amp;elenco30giorni=true">\s*<span class="data">/,
      'codiceRedazionale=24A03816&amp;elenco30giorni=true"><span class="data">',
    ]);
    expect(() => parseIssueSummary({ body: twoActs, url }, ISSUE_166)).toThrow(
      `${url}: a summary entry links 2 different acts`,
    );
    const empty = edited(SUMMARY, [
      /<h2>Sommario<\/h2>[\s\S]*<\/div>\s*<div id="footer">/,
      '</div><div id="footer">',
    ]);
    expect(() => parseIssueSummary({ body: empty, url }, ISSUE_166)).toThrow(
      `${url}: no act is listed (page changed?)`,
    );
    expect(() => parseIssueSummary({ body: fixture(ERROR), url }, ISSUE_166)).toThrow(
      `${url}: Gazzetta Ufficiale answered an error page ("Gazzetta Ufficiale - Errore"), not a Gazzetta Ufficiale issue summary`,
    );
  });
});

describe("it.gazzetta.export-control: an act's page", () => {
  it("reads the notice of Decreto 1325/BIS/371 into one document, in Italian, linked to the national list", () => {
    const snapshot = snapshotOf(fixture(NOTICE));
    expect(documentsSnapshotSchema.parse(snapshot)).toEqual(snapshot);
    expect(snapshot.warnings).toEqual([]);
    expect(snapshot.meta).toEqual({ excluded: [] });
    const [doc] = snapshot.documents;
    expect(doc).toMatchObject({
      id: "24A03812",
      stage: "published",
      type: "COMUNICATO",
      title:
        "Avviso relativo al decreto 1° luglio 2024, n. 1325/BIS/371, recante l'elenco nazionale di controllo dei prodotti a duplice uso non listati.",
      citation: "GU Serie Generale n. 166 del 17-07-2024 (Decreto 1325/BIS/371)",
      publishedAt: "2024-07-17",
      // "entra in vigore il quindicesimo giorno successivo alla data di pubblicazione": 17 July + 15 days.
      effectiveAt: "2024-08-01",
      url: "https://www.gazzettaufficiale.it/atto/serie_generale/caricaDettaglioAtto/originario?atto.dataPubblicazioneGazzetta=2024-07-17&atto.codiceRedazionale=24A03812",
      urls: {
        html: NOTICE_URL,
        eli: "https://www.gazzettaufficiale.it/eli/id/2024/07/17/24A03812/sg",
        pdf: "https://www.gazzettaufficiale.it/eli/gu/2024/07/17/166/sg/pdf",
      },
      cfrReferences: ["Decreto 1325/BIS/371", "Elenco nazionale di controllo"],
      countries: ["ES", "FR", "NL"],
      data: {
        language: "it",
        titleEn: "Notice of Decree 1325/BIS/371 establishing the national control list of dual-use items",
        issuer: "MINISTERO DEGLI AFFARI ESTERI E DELLA COOPERAZIONE INTERNAZIONALE",
        heading: "COMUNICATO",
        adoptedAt: null,
        gu: { series: "Serie Generale", number: "166", date: "2024-07-17" },
        decree: "Decreto 1325/BIS/371",
        effectiveFrom: "days-after-gu",
      },
    });
    // The text as paragraphs, without the page's chrome (print links, the GU banner, the footer).
    expect(doc!.abstract!.split("\n")).toHaveLength(4);
    expect(doc!.abstract).toMatch(
      /^Si rende noto che con decreto del Vice Ministro degli affari esteri e della cooperazione internazionale n\. 1325\/BIS\/371 del 1° luglio 2024, adottato/,
    );
    expect(doc!.abstract).not.toMatch(/Stampa|Chiudi|GAZZETTA UFFICIALE DELLA REPUBBLICA|Poligrafico/);
    expect(doc!.title).toBe(doc!.title.normalize("NFC"));
  });

  it("links to the national list's change: it cites the list as the list says it is cited, in force the same day", () => {
    const [doc] = snapshotOf(fixture(NOTICE)).documents;
    const list = itUamaNationalList.parse({
      body: readFileSync(
        join(import.meta.dirname, "../src/it/uama/fixtures/uama-elenco-nazionale-2024-08-01.html"),
      ),
      url: UAMA_LIST_URL,
      contentType: "text/html; charset=UTF-8",
    });
    const listDates = itUamaNationalList.describe(list, { url: UAMA_LIST_URL, asOf: null });
    expect(doc!.cfrReferences.some((c) => itUamaNationalList.citedAs!.includes(c))).toBe(true);
    expect(doc!.effectiveAt).toBe(listDates.effectiveAt);
    expect(doc!.publishedAt).toBe(listDates.publishedAt);
  });

  it("tags the 2024 items the notice names, by their Italian words", () => {
    const [doc] = snapshotOf(fixture(NOTICE)).documents;
    expect(doc!.technologies).toEqual([
      "quantum",
      "semiconductor-manufacturing-equipment",
      "advanced-semiconductors",
      "gaafet",
      "additive-manufacturing",
    ]);
    // Italy is where the act applies, never a destination.
    const [withItaly] = snapshotOf(
      edited(NOTICE, ["Francia,\nPaesi Bassi e Spagna", "Italia e Giappone"]),
    ).documents;
    expect(withItaly!.countries).toEqual(["JP"]);
  });

  it("reads an amending decree: its own number, the decree it amends, a stated in-force date, no gloss", () => {
    const decree = edited(
      NOTICE,
      [
        '<p class="grassetto">COMUNICATO</p>',
        '<p class="grassetto">DECRETO 3 marzo 2025, n. 2150/BIS/512</p>',
      ],
      [
        /Avviso relativo al decreto 1&#176; luglio 2024, n\. 1325\/BIS\/371, recante\nl'elenco/,
        "Modifiche all'allegato A del decreto 1&#176; luglio 2024, n. 1325/BIS/371,\nrecante l'elenco",
      ],
      [/24A03812/g, "25A01501"],
      [/2024\/07\/17/g, "2025/03/13"],
      ['content="2024-07-17"', 'content="2025-03-13"'],
      ["(GU n.166 del 17-7-2024)", "(GU n.60 del 13-3-2025)"],
      [
        /Il decreto entra in vigore il quindicesimo giorno successivo alla\ndata di pubblicazione del presente avviso nella Gazzetta Ufficiale\ndella Repubblica italiana\./,
        "Le disposizioni del presente decreto si applicano a decorrere dal\n28 marzo 2025.",
      ],
    );
    const [doc] = snapshotOf(decree, actHtmlUrl("2025-03-13", "25A01501")).documents;
    expect(doc).toMatchObject({
      id: "25A01501",
      type: "DECRETO",
      citation: "GU Serie Generale n. 60 del 13-03-2025 (Decreto 2150/BIS/512)",
      publishedAt: "2025-03-13",
      effectiveAt: "2025-03-28",
      cfrReferences: ["Decreto 2150/BIS/512", "Decreto 1325/BIS/371", "Elenco nazionale di controllo"],
      data: {
        titleEn: null,
        adoptedAt: "2025-03-03",
        decree: "Decreto 2150/BIS/512",
        effectiveFrom: "stated-date",
      },
    });
  });

  it("reads the other in-force rules and refuses an impossible stated date", () => {
    const rule = /Il decreto entra in vigore il quindicesimo giorno successivo alla\ndata di pubblicazione/;
    const nextDay = snapshotOf(
      edited(NOTICE, [rule, "Il decreto entra in vigore il giorno successivo a quello della\npubblicazione"]),
    ).documents[0]!;
    expect(nextDay.effectiveAt).toBe("2024-07-18");
    const sameDay = snapshotOf(
      edited(NOTICE, [rule, "Il decreto entra in vigore dalla data di pubblicazione"]),
    ).documents[0]!;
    expect(sameDay.effectiveAt).toBe("2024-07-17");
    const impossible = snapshotOf(
      edited(NOTICE, [rule, "Il decreto entra in vigore il 31 giugno 2024; pubblicazione"]),
    );
    expect(impossible.documents[0]!.effectiveAt).toBeNull();
    expect(impossible.warnings).toEqual([
      '24A03812: "entra in vigore il 31 giugno 2024" names no valid date',
    ]);
    // The act's own page states the date in a field of its own.
    const field = snapshotOf(
      edited(
        NOTICE,
        [rule, "Il decreto entra in vigore con le modalita' del decreto"],
        [
          '<div class="stampami">',
          '<p class="entrata_vigore">Entrata in vigore del provvedimento: 01/08/2024</p><div class="stampami">',
        ],
      ),
    ).documents[0]!;
    expect(field).toMatchObject({ effectiveAt: "2024-08-01", data: { effectiveFrom: "page-field" } });
  });

  it("keeps markup written in the text as text, and drops scripts", () => {
    const [doc] = snapshotOf(
      edited(NOTICE, [
        "quantistici.",
        "quantistici &lt;script&gt;alert(1)&lt;/script&gt;.<script>document.write('x')</script>",
      ]),
    ).documents;
    expect(doc!.abstract).toContain("i computer quantistici <script>alert(1)</script>.");
    expect(doc!.abstract).not.toContain("document.write");
  });

  it("reads the act's own page too: its header in #testa_atto, the text elsewhere (a warning)", () => {
    const page = `<!DOCTYPE html><html><head><title>Gazzetta Ufficiale</title></head><body><div id="testa_atto">
  <h2 class="consultazione">COMUNICATO</h2>
  <h3 class="consultazione" style="border: none;">
    <span property="eli:title">Avviso relativo al decreto 1&#176; luglio 2024, n. 1325/BIS/371, recante
l'elenco nazionale di controllo dei prodotti a duplice  uso  non
listati. (24A03812)</span>
    <span class="riferimento"><span class="link_gazzetta"><a target="_blank" href="https://www.gazzettaufficiale.it/eli/gu/2024/07/17/166/sg/pdf">(GU Serie Generale n.166 del 17-07-2024)</a></span></span>
  </h3>
</div><iframe src="/atto/serie_generale/caricaArticoloDefault/originario?atto.codiceRedazionale=24A03812&amp;atto.dataPubblicazioneGazzetta=2024-07-17&amp;atto.tipoProvvedimento=COMUNICATO"></iframe></body></html>`;
    const act = actOf(
      Buffer.from(page),
      "https://www.gazzettaufficiale.it/atto/serie_generale/caricaDettaglioAtto/originario?atto.dataPubblicazioneGazzetta=2024-07-17&atto.codiceRedazionale=24A03812",
    );
    expect(act.document).toMatchObject({
      id: "24A03812",
      type: "COMUNICATO",
      publishedAt: "2024-07-17",
      abstract: null,
    });
    expect(act.document.title).toBe(snapshotOf(fixture(NOTICE)).documents[0]!.title);
    // No issuer in this header: the ministry's act is not recognised without it.
    expect(act.verdict.keep).toBe(false);
    expect(act.warnings).toEqual(["24A03812: the page holds no text of the act (header only)"]);
  });

  it("leaves out the ministry's unrelated notice, saying why", () => {
    const url = actHtmlUrl("2024-07-17", "24A03811");
    expect(snapshotOf(fixture(UNRELATED), url)).toMatchObject({
      documents: [],
      meta: {
        excluded: [{ code: "24A03811", reason: "the foreign ministry's, but not about the control lists" }],
      },
    });
  });

  it("does not take an act about an error for an error page", () => {
    const rettifica = edited(NOTICE, [
      '<div id="header_stampa">',
      '<h1>Rettifica di un errore materiale</h1><div id="header_stampa">',
    ]);
    expect(snapshotOf(rettifica).documents.map((d) => d.id)).toEqual(["24A03812"]);
  });

  it("refuses an error page, a firewall's refusal, a page cut short, and bytes not in the page's charset", () => {
    expect(() => actOf(fixture(ERROR))).toThrow(SourceShapeChangedError);
    expect(() => actOf(fixture(ERROR))).toThrow(
      `${NOTICE_URL}: Gazzetta Ufficiale answered an error page ("Gazzetta Ufficiale - Errore"), not an act's page`,
    );
    expect(() => actOf(Buffer.from(REJECTED))).toThrow(
      /answered a firewall's refusal \("Request Rejected"\)/,
    );
    const body = fixture(NOTICE);
    expect(() => actOf(body.subarray(0, body.length - 300))).toThrow(/ends before <\/html> \(truncated\?\)/);
    const bad = Buffer.concat([body.subarray(0, 3000), Buffer.from([0xe8, 0x20]), body.subarray(3000)]);
    expect(() => actOf(bad)).toThrow("body is not valid UTF-8 (charset from content-type)");
  });

  it("refuses a page of another act or day than asked, without a header, or whose metadata disagree", () => {
    expect(() => actOf(fixture(NOTICE), actHtmlUrl("2024-07-17", "24A03811"))).toThrow(
      `${actHtmlUrl("2024-07-17", "24A03811")}: the page is act 24A03812, asked for 24A03811`,
    );
    expect(() => actOf(fixture(NOTICE), actHtmlUrl("2024-07-16", "24A03812"))).toThrow(
      /act 24A03812 is in the GU of 2024-07-17, asked for 2024-07-16/,
    );
    expect(() => actOf(edited(NOTICE, ['content="2024-07-17"', 'content="2024-07-18"']))).toThrow(
      /eli:date_publication 2024-07-18 and the GU reference \(2024-07-17\) disagree/,
    );
    expect(() => actOf(edited(NOTICE, ['id="testa_atto_preview"', 'id="testa"']))).toThrow(
      /0 elements match "#testa_atto, #testa_atto_preview", expected exactly one act header/,
    );
    expect(() => actOf(edited(NOTICE, ["(GU n.166 del 17-7-2024)", "(GU n.166 del 31-6-2024)"]))).toThrow(
      /act 24A03812 has no GU reference/,
    );
  });

  it("parses GU dates strictly", () => {
    expect(parseGuDate("17-7-2024")).toBe("2024-07-17");
    expect(parseGuDate("17-07-2024")).toBe("2024-07-17");
    expect(parseGuDate("29-2-2024")).toBe("2024-02-29");
    expect(parseGuDate("29-2-2023")).toBeNull();
    expect(parseGuDate("2024-07-17")).toBeNull();
  });
});

describe("it.gazzetta.export-control: fetch", () => {
  const issuePath = "/gazzetta/serie_generale/caricaDettaglio";
  // Issues other than n. 166 hold no act of the ministry on the lists.
  const summaryOf = (date: string, number: string) => {
    if (number === "166") return fixture(SUMMARY);
    const [y, m, d] = date.split("-");
    return edited(
      SUMMARY,
      [
        'n. <span class="estremi">166</span> del <span class="estremi">17-7-2024</span>',
        `n. <span class="estremi">${number}</span> del <span class="estremi">${Number(d)}-${Number(m)}-${y}</span>`,
      ],
      [/<span class="risultato">\s*<a href="[^"]*24A03812[\s\S]*?<\/span>\s*<\/a>\s*<\/span>/, ""],
    );
  };
  const html = (body: Uint8Array | string, headers: Record<string, string> = {}) => ({
    headers: { "content-type": "text/html;charset=UTF-8", ...headers },
    body,
  });
  const routes =
    (overrides: { summary?: Route; act?: Route; list?: Route } = {}) =>
    (url: URL): Route | undefined => {
      if (url.pathname === "/30giorni/serie_generale") return overrides.list ?? (() => html(fixture(LIST)));
      if (url.pathname === issuePath)
        return (
          overrides.summary ??
          ((_, u) =>
            html(
              summaryOf(
                u.searchParams.get("dataPubblicazioneGazzetta")!,
                u.searchParams.get("numeroGazzetta")!,
              ),
            ))
        );
      if (url.pathname === "/atto/vediMenuHTML")
        return overrides.act ?? (() => html(fixture(NOTICE), { etag: '"a1"' }));
      if (url.pathname === "/ricercaArchivioCompleto/serie_generale/2024")
        return () =>
          html(
            edited(LIST, [
              /dataPubblicazioneGazzetta=(\d{4})(\d{2})(\d{2})&amp;/g,
              "dataPubblicazioneGazzetta=$1-$2-$3&amp;",
            ]),
          );
      return undefined;
    };
  const issuesAsked = (server: { requests: { path: string }[] }) =>
    server.requests
      .filter((r) => r.path.startsWith(issuePath))
      .map((r) => new URL(r.path, "http://x").searchParams.get("numeroGazzetta"));
  const actsAsked = (server: { requests: { path: string }[] }) =>
    server.requests
      .filter((r) => r.path.startsWith("/atto/"))
      .map((r) => new URL(r.path, "http://x").searchParams.get("atto.codiceRedazionale"));
  const at = new Date("2024-07-17T17:20:00Z");

  it("reads the newest issues on a first run, then only the kept act's page; nothing new next time", async () => {
    const server = await startSourceServer(routes());
    try {
      const http = testHttpClient({ "https://www.gazzettaufficiale.it": server.origin });
      const first = await source.fetch({ http, log: silentLog, now: at, state: {} });
      expect(issuesAsked(server)).toEqual(["164", "165", "166"]);
      expect(actsAsked(server)).toEqual(["24A03812"]);
      expect(first.artifacts.map((a) => a.response.url)).toEqual([NOTICE_URL]);
      expect(first.state).toEqual({ lastIssue: ISSUE_166, pending: [] });
      const snapshot = source.parse({
        body: first.artifacts[0]!.response.body,
        url: first.artifacts[0]!.response.url,
        contentType: first.artifacts[0]!.response.contentType,
      });
      expect(snapshot.kind === "documents" && snapshot.documents.map((d) => d.id)).toEqual(["24A03812"]);

      const again = await source.fetch({ http, log: silentLog, now: at, state: first.state });
      expect(again).toEqual({ artifacts: [], state: first.state });
      expect(server.requests.map((r) => r.path).slice(5)).toEqual(["/30giorni/serie_generale"]);
    } finally {
      await server.close();
    }
  });

  it("catches up a few issues per run, keeping the rest and any issue not served yet in the cursor", async () => {
    const server = await startSourceServer(
      routes({
        summary: (_, u) =>
          u.searchParams.get("numeroGazzetta") === "163"
            ? { status: 404, body: "" }
            : html(
                summaryOf(
                  u.searchParams.get("dataPubblicazioneGazzetta")!,
                  u.searchParams.get("numeroGazzetta")!,
                ),
              ),
      }),
    );
    try {
      const http = testHttpClient({ "https://www.gazzettaufficiale.it": server.origin });
      const state = { lastIssue: { date: "2024-07-10", number: "160" }, pending: [] };
      const first = await source.fetch({ http, log: silentLog, now: at, state });
      expect(issuesAsked(server)).toEqual(["162", "163", "164", "165"]);
      expect(first.artifacts).toEqual([]);
      expect(first.state).toEqual({
        lastIssue: { date: "2024-07-16", number: "165" },
        pending: [{ date: "2024-07-13", number: "163" }, ISSUE_166],
      });
      const second = await source.fetch({ http, log: silentLog, now: at, state: first.state });
      expect(issuesAsked(server).slice(4)).toEqual(["163", "166"]);
      expect(second.artifacts.map((a) => a.response.url)).toEqual([NOTICE_URL]);
      expect(second.state).toEqual({
        lastIssue: ISSUE_166,
        pending: [{ date: "2024-07-13", number: "163" }],
      });
    } finally {
      await server.close();
    }
  });

  it("asks an act's page with its validators and reads nothing on 304", async () => {
    const server = await startSourceServer(
      routes({
        act: (req) => (req.headers["if-none-match"] === '"a1"' ? { status: 304 } : html(fixture(NOTICE))),
      }),
    );
    try {
      const http = testHttpClient(
        { "https://www.gazzettaufficiale.it": server.origin },
        {
          validators: {
            get: async (url) => (url === NOTICE_URL ? { etag: '"a1"', lastModified: null } : null),
          },
        },
      );
      const result = await source.fetch({
        http,
        log: silentLog,
        now: at,
        state: { lastIssue: { date: "2024-07-16", number: "165" }, pending: [] },
      });
      expect(actsAsked(server)).toEqual(["24A03812"]);
      expect(result).toEqual({ artifacts: [], state: { lastIssue: ISSUE_166, pending: [] } });
    } finally {
      await server.close();
    }
  });

  it("treats an error or firewall page in place of a page as the site's trouble, retried later", async () => {
    for (const overrides of [{ act: () => html(fixture(ERROR)) }, { list: () => html(REJECTED) }]) {
      const server = await startSourceServer(routes(overrides));
      try {
        const http = testHttpClient({ "https://www.gazzettaufficiale.it": server.origin });
        const run = source.fetch({
          http,
          log: silentLog,
          now: at,
          state: { lastIssue: { date: "2024-07-16", number: "165" } },
        });
        await expect(run).rejects.toThrow(SourceUnavailableError);
        await expect(
          source.fetch({
            http,
            log: silentLog,
            now: at,
            state: { lastIssue: { date: "2024-07-16", number: "165" } },
          }),
        ).rejects.toThrow(/Gazzetta Ufficiale answered (an error page|a firewall's refusal)/);
      } finally {
        await server.close();
      }
    }
  });

  it("backfills from the year's archive: the kept acts since a date, oldest first, with their issue's date", async () => {
    const server = await startSourceServer(routes());
    try {
      const http = testHttpClient({ "https://www.gazzettaufficiale.it": server.origin });
      const steps = [];
      for await (const step of source.backfill!({ http, log: silentLog, now: at, state: {} }, "2024-07-15"))
        steps.push(step);
      expect(issuesAsked(server)).toEqual(["164", "165", "166"]);
      expect(steps.map((s) => [s.artifact.response.url, s.artifact.asOf, s.index, s.total, s.state])).toEqual(
        [[NOTICE_URL, "2024-07-17", 1, 1, { lastIssue: ISSUE_166, pending: [] }]],
      );
    } finally {
      await server.close();
    }
  });

  it("declares a documents source of Italy that runs on the days the Serie Generale comes out", () => {
    expect(source).toMatchObject({
      id: "it.gazzetta.export-control",
      jurisdiction: "IT",
      kind: "documents",
      officialUrl: LAST_30_DAYS_URL,
      alertWindowDays: 30,
      expectations: { minEntries: 0, maxEntries: 1 },
    });
    expect(source.schedule).toBe("20 7,17 * * 1-6");
  });
});
