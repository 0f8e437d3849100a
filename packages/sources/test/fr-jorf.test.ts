import { readFileSync } from "node:fs";
import { join } from "node:path";
import { SourceShapeChangedError, SourceUnavailableError } from "@regwatch/core/errors";
import type { BrowserClient, HttpResponse, Logger } from "@regwatch/core/http";
import { documentsSnapshotSchema, type RegDocument } from "@regwatch/core/schemas";
import { sha256Hex } from "@regwatch/core/text";
import { afterEach, describe, expect, it, vi } from "vitest";
import { silentLog } from "../../../test/support/test-http.ts";
import type { SourceContext } from "../src/define-source.ts";
import { frenchDateWords, parseFrenchDate } from "../src/fr/jorf/french-dates.ts";
import { parseJorf } from "../src/fr/jorf/parse.ts";
import {
  createTokenCache,
  LEGIFRANCE_API,
  PISTE_TOKEN_URL,
  type PostOptions,
  pisteCredentials,
  redact,
} from "../src/fr/jorf/piste.ts";
import { challengeReason } from "../src/fr/jorf/read-page.ts";
import { fetchJorf, type JorfFetchDeps, frJorfExportControl as source } from "../src/fr/jorf/source.ts";

const fixture = (name: string) => readFileSync(join(import.meta.dirname, "../src/fr/jorf/fixtures", name));
const BASE_PAGE = "page-arrete-2024-02-02-ECOI2401482A.html";
const AMENDING_PAGE = "page-arrete-modificatif-2025-ECOI2599999A.html";
const CHALLENGE = "challenge-page.html";
const TOKEN = "piste-token.json";
const SEARCH_NOR = "piste-search-nor-ECOI2401482A.json";
const SEARCH_AMENDMENTS = "piste-search-amendments.json";
const CONSULT_BASE = "piste-consult-jorf-ECOI2401482A.json";
const CONSULT_AMENDING = "piste-consult-jorf-ECOI2599999A.json";

const BASE_ELI = "https://www.legifrance.gouv.fr/eli/arrete/2024/2/2/ECOI2401482A/jo/texte";
const AMENDING_URL = "https://www.legifrance.gouv.fr/jorf/id/JORFTEXT000051499001";

const edited = (name: string, from: string, to: string) => {
  const text = fixture(name).toString("utf8");
  if (!text.includes(from)) throw new Error(`fixture ${name} has no ${from}`);
  return Buffer.from(text.replace(from, to));
};
const html = { contentType: "text/html; charset=utf-8" };
const json = { contentType: "application/json" };
const readPage = (body: Buffer, url = BASE_ELI) => parseJorf({ body, ...html, url });
const onlyDocument = (snapshot: { documents: RegDocument[] }) => {
  expect(snapshot.documents).toHaveLength(1);
  return snapshot.documents[0]!;
};

describe("French long dates", () => {
  it("reads the Journal officiel's dates, 1er included", () => {
    expect(parseFrenchDate("2 février 2024")).toBe("2024-02-02");
    expect(parseFrenchDate("1er mars 2024")).toBe("2024-03-01");
    expect(parseFrenchDate("1ᵉʳ mai 2025")).toBe("2025-05-01");
    expect(parseFrenchDate("29 février 2024")).toBe("2024-02-29");
    expect(parseFrenchDate("31 décembre 2024")).toBe("2024-12-31");
    expect(parseFrenchDate("15 août 2025")).toBe("2025-08-15");
    expect(frenchDateWords("2024-03-01")).toBe("1er mars 2024");
  });

  it("refuses impossible days and forms the Journal officiel does not write", () => {
    for (const bad of [
      "31 février 2024",
      "29 février 2023",
      "31 avril 2025",
      "32 mars 2024",
      "0 mars 2024",
      "01 mars 2024",
      "2er mars 2024",
      "1er fevrier 2024",
      "1er Mars 2024",
      "2 février 24",
      "2 february 2024",
    ])
      expect(parseFrenchDate(bad), bad).toBeNull();
  });
});

describe("fr.jorf.export-control: a Légifrance page", () => {
  it("reads the 2024 arrêté: title, NOR, JORF issue, application date, articles and annex", () => {
    const snapshot = readPage(fixture(BASE_PAGE));
    expect(
      documentsSnapshotSchema.safeParse(source.parse({ body: fixture(BASE_PAGE), ...html })).success,
    ).toBe(true);
    const doc = onlyDocument(snapshot);
    expect(doc).toMatchObject({
      id: "ECOI2401482A",
      stage: "published",
      type: "arrêté",
      title:
        "Arrêté du 2 février 2024 relatif à l'autorisation d'exportation de certains biens à double usage",
      citation: "Arrêté du 2 février 2024 (NOR ECOI2401482A)",
      publishedAt: "2024-02-10",
      effectiveAt: "2024-03-01",
      url: "https://www.legifrance.gouv.fr/jorf/id/JORFTEXT000049999001",
      urls: { jorf: "https://www.legifrance.gouv.fr/jorf/id/JORFTEXT000049999001", eli: BASE_ELI },
      cfrReferences: [],
      technologies: ["quantum", "advanced-semiconductors"],
      countries: [],
    });
    expect(doc.data).toMatchObject({
      language: "fr",
      titleEn: expect.stringMatching(/^Order \(arrêté\) of 2 February 2024 on export authorisation/),
      nor: "ECOI2401482A",
      jorftextId: "JORFTEXT000049999001",
      eli: "/eli/arrete/2024/2/2/ECOI2401482A/jo/texte",
      jorfNumber: "0034",
      signedAt: "2024-02-02",
      effectiveFrom: "text",
      articles: ["Article 1", "Article 2", "Article 3"],
      amends: [],
    });
    expect(doc.abstract!.split("\n")).toEqual([
      "Article 1",
      expect.stringMatching(/^L'exportation hors du territoire douanier de l'Union européenne/),
      "Article 2",
      "Les dispositions du présent arrêté s'appliquent à compter du 1er mars 2024.",
      "Article 3",
      expect.stringMatching(/publié au Journal officiel de la République française\.$/),
    ]);
    const annex = doc.data!.annex as { name: string; text: string }[];
    expect(annex.map((a) => a.name)).toEqual(["Annexe"]);
    expect(annex[0]!.text.split("\n")).toHaveLength(6);
    expect(annex[0]!.text).toContain("4,5 K");
    expect(doc.data!.visas).toMatch(/^Le ministre de l'économie.*\nVu le règlement \(UE\) 2021\/821/s);
    expect(doc.data!.signature).toBe(
      "Fait le 2 février 2024.\nPour le ministre et par délégation :\nLe directeur général des entreprises,\nA. Martin",
    );
  });

  it("drops the page chrome and follows only the 'Modifié par' links to JORF texts", () => {
    const snapshot = readPage(fixture(BASE_PAGE));
    const everything = JSON.stringify(snapshot);
    for (const chrome of ["cookies", "Mentions légales", "Imprimer", "dataLayer", "Accueil", "window.print"])
      expect(everything).not.toContain(chrome);
    // The navigation and footer link to other JORF texts; the "Versions" block to a consolidated text.
    expect(snapshot.meta.modifiedBy).toEqual([
      {
        url: AMENDING_URL,
        cid: "JORFTEXT000051499001",
        nor: null,
        title:
          "Arrêté du 14 avril 2025 modifiant l'arrêté du 2 février 2024 relatif à l'autorisation d'exportation de certains biens à double usage",
      },
    ]);
  });

  it("reads an amending arrêté as citing the one it amends, effective on its own date", () => {
    const snapshot = readPage(fixture(AMENDING_PAGE), AMENDING_URL);
    const doc = onlyDocument(snapshot);
    expect(doc).toMatchObject({
      id: "ECOI2599999A",
      citation: "Arrêté du 14 avril 2025 (NOR ECOI2599999A)",
      publishedAt: "2025-04-18",
      effectiveAt: "2025-05-01",
      cfrReferences: ["NOR ECOI2401482A"],
    });
    // The 2024 plurilateral items: dry etch (SME), gate-all-around (GAAFET), integrated circuits, quantum.
    expect(doc.technologies).toEqual([
      "quantum",
      "semiconductor-manufacturing-equipment",
      "advanced-semiconductors",
      "gaafet",
    ]);
    expect(doc.data).toMatchObject({ titleEn: null, amends: ["ECOI2401482A"], language: "fr" });
    expect(snapshot.meta.amends).toEqual(["ECOI2401482A"]);
    // Table cells of one row stay on one line.
    expect((doc.data!.annex as { text: string }[])[0]!.text).toContain("3B903 1er mai 2025");
  });

  it("takes the day after publication when the text fixes no date (Code civil, article 1)", () => {
    const silent = edited(
      AMENDING_PAGE,
      "Le présent arrêté entre en vigueur le 1<sup>er</sup> mai 2025.",
      "Les opérateurs sont informés par voie électronique.",
    );
    const doc = onlyDocument(readPage(silent, AMENDING_URL));
    expect(doc.effectiveAt).toBe("2025-04-19");
    expect(doc.data!.effectiveFrom).toBe("code-civil-art-1");

    const nextDay = edited(
      AMENDING_PAGE,
      "entre en vigueur le 1<sup>er</sup> mai 2025.",
      "entre en vigueur le lendemain de sa publication.",
    );
    const stated = onlyDocument(readPage(nextDay, AMENDING_URL));
    expect(stated.effectiveAt).toBe("2025-04-19");
    expect(stated.data!.effectiveFrom).toBe("text");
  });

  it("refuses an impossible application date: a warning and no date, never a guess", () => {
    const snapshot = readPage(
      edited(AMENDING_PAGE, "1<sup>er</sup> mai 2025.", "31 avril 2025."),
      AMENDING_URL,
    );
    expect(onlyDocument(snapshot).effectiveAt).toBeNull();
    expect(snapshot.warnings).toEqual([
      'ECOI2599999A: Article 2: "31 avril 2025" is not a valid French date; no effective date taken',
    ]);
  });

  it("leaves out a text that only modifies another arrêté of 2 February 2024", () => {
    let body = edited(
      AMENDING_PAGE,
      "<h1 class=\"main-title\">Arrêté du 14 avril 2025 modifiant l'arrêté du 2 février 2024 relatif à l'autorisation d'exportation de certains biens à double usage</h1>",
      '<h1 class="main-title">Arrêté du 14 avril 2025 modifiant l\'arrêté du 2 février 2024 portant nomination</h1>',
    ).toString();
    body = body.replace(
      "Vu l'arrêté du 2 février 2024 relatif à l'autorisation d'exportation de certains biens à double usage,",
      "Vu l'arrêté du 2 février 2024 portant nomination,",
    );
    const snapshot = readPage(Buffer.from(body), AMENDING_URL);
    expect(snapshot.documents).toEqual([]);
    expect(snapshot.meta.excluded).toEqual(["ECOI2599999A"]);
  });

  it("keeps markup written as text, drops script elements, and stores NFC", () => {
    const body = edited(
      BASE_PAGE,
      "<p>Le directeur général des entreprises est chargé",
      "<p>&lt;script&gt;alert(1)&lt;/script&gt; <script>stolen()</script>Le directeur ge\u0301ne\u0301ral des entreprises est chargé",
    );
    const doc = onlyDocument(readPage(body));
    expect(doc.abstract).toContain("<script>alert(1)</script> Le directeur général des entreprises");
    expect(doc.abstract).not.toContain("stolen");
    expect(doc.abstract).toBe(doc.abstract!.normalize("NFC"));
  });

  it("refuses a challenge page: no document", () => {
    const body = fixture(CHALLENGE);
    expect(challengeReason(body.toString())).toBe("a challenge script");
    expect(() => readPage(body)).toThrow(SourceShapeChangedError);
    expect(() => readPage(body)).toThrow(
      /a challenge page \(a challenge script\) that the browser could not pass/,
    );
    // A text whose articles say "challenge" is still a text.
    expect(
      challengeReason(fixture(BASE_PAGE).toString().replace("Arrête :", "Arrête (challenge) :")),
    ).toBeNull();
  });

  it("refuses pages cut short, impossible issue dates and ambiguous structure", () => {
    const page = fixture(BASE_PAGE).toString();
    const cases: [Buffer, RegExp][] = [
      [Buffer.from(page.slice(0, page.indexOf("Article 2"))), /cut short \(no closing <\/html>\)/],
      [
        edited(BASE_PAGE, "JORF n°0034 du 10 février 2024", "JORF n°0034 du 31 février 2024"),
        /"31 février 2024" in the JORF reference is not a valid French date/,
      ],
      [
        edited(BASE_PAGE, "JORF n°0034 du 10 février 2024", "Journal du 10 février 2024"),
        /is not "JORF n°… du <date>"/,
      ],
      [
        edited(
          BASE_PAGE,
          "<li>NOR&nbsp;: ECOI2401482A</li>",
          "<li>NOR&nbsp;: ECOI2401482A</li><li>NOR : ECOI2401483A</li>",
        ),
        /2 NOR lines, expected one/,
      ],
      [
        edited(BASE_PAGE, "<li>NOR&nbsp;: ECOI2401482A</li>", "<li>NOR&nbsp;: 2024-1482</li>"),
        /"2024-1482" is not a NOR/,
      ],
      [
        edited(BASE_PAGE, "<li>NOR&nbsp;: ECOI2401482A</li>", "<li>NOR&nbsp;: ECOI2401483A</li>"),
        /is not that of NOR ECOI2401483A/,
      ],
      [
        edited(
          BASE_PAGE,
          '<div class="main-col">',
          '<div class="main-col"><h1 class="main-title">Autre</h1>',
        ),
        /2 h1\.main-title, expected one/,
      ],
      [
        edited(
          BASE_PAGE,
          '<div class="content">\n          <p>Les dispositions',
          '<div class="gone">\n          <p>Les dispositions',
        ),
        /Article 2 has 0 contents, expected one/,
      ],
      [
        edited(BASE_PAGE, '<h2 class="name-article" data-anchor="JORFARTI000049999005">Article 3</h2>', ""),
        /article 3 has 0 headings, expected one/,
      ],
    ];
    for (const [body, message] of cases) {
      expect(() => readPage(body), String(message)).toThrow(SourceShapeChangedError);
      expect(() => readPage(body), String(message)).toThrow(message);
    }
  });

  it("refuses bytes that are not the declared encoding", () => {
    const latin1 = Buffer.from(fixture(BASE_PAGE).toString("utf8"), "latin1");
    expect(() => readPage(latin1)).toThrow(/not valid utf-8/);
  });
});

describe("fr.jorf.export-control: PISTE answers", () => {
  const readAnswer = (body: Buffer, url = `${LEGIFRANCE_API}/consult/jorf`) =>
    parseJorf({ body, ...json, url });

  it("reads the same text the same way from the API and from the page", () => {
    const fromApi = onlyDocument(readAnswer(fixture(CONSULT_BASE)));
    const fromPage = onlyDocument(readPage(fixture(BASE_PAGE)));
    const comparable = (d: RegDocument) => ({ ...d, data: { ...d.data, readFrom: null, modifiedBy: null } });
    expect(comparable(fromApi)).toEqual(comparable(fromPage));
    expect(fromApi.data!.readFrom).toBe("api");
  });

  it("reads an amending text's links, and a date given at Paris midnight as that day", () => {
    const snapshot = readAnswer(fixture(CONSULT_AMENDING));
    const doc = onlyDocument(snapshot);
    expect(doc).toMatchObject({
      id: "ECOI2599999A",
      publishedAt: "2025-04-18",
      effectiveAt: "2025-05-01",
      cfrReferences: ["NOR ECOI2401482A"],
      technologies: ["semiconductor-manufacturing-equipment", "advanced-semiconductors", "gaafet"],
    });
    expect(doc.data!.annex).toEqual([
      {
        name: "Annexe",
        text: "BIENS SOUMIS À AUTORISATION D'EXPORTATION\n3B903 Équipements de gravure sèche isotrope conçus pour la fabrication de dispositifs à grille enrobante (GAAFET).",
      },
    ]);
  });

  it("reads a search answer as hits, no documents", () => {
    const snapshot = readAnswer(fixture(SEARCH_AMENDMENTS), `${LEGIFRANCE_API}/search`);
    expect(snapshot.documents).toEqual([]);
    expect(snapshot.meta.hits!.map((h) => [h.cid, h.nor, h.publishedAt])).toEqual([
      ["JORFTEXT000051499001", "ECOI2599999A", "2025-04-18"],
      ["JORFTEXT000049555001", "ECOX2499998A", "2024-03-07"],
      ["JORFTEXT000049999001", "ECOI2401482A", "2024-02-10"],
    ]);
    expect(snapshot.warnings).toEqual([
      expect.stringMatching(/result 4 has no JORFTEXT id and title; skipped/),
    ]);
  });

  it("refuses answers cut short, impossible dates and unknown shapes", () => {
    const consult = fixture(CONSULT_BASE).toString();
    const cases: [string, RegExp][] = [
      [consult.slice(0, 400), /the answer is not JSON \(cut short\?\)/],
      [consult.replace('"nor": "ECOI2401482A"', '"nor": "ECOI"'), /"ECOI" is not a NOR/],
      [
        consult.replace('"dateParution": 1707523200000', '"dateParution": "2024-02-31"'),
        /dateParution "2024-02-31" is not a date/,
      ],
      [consult.replace('"cid": "JORFTEXT000049999001"', '"cid": "LEGITEXT000049999001"'), /no JORFTEXT cid/],
      [
        '{"error":"invalid_request","message":"x"}',
        /neither a search nor a consult answer \(fields: error, message\)/,
      ],
    ];
    for (const [body, message] of cases)
      expect(() => readAnswer(Buffer.from(body)), String(message)).toThrow(message);
  });
});

// ---------------------------------------------------------------------------
// Fetch: the browser path and the PISTE path, against fakes.
// ---------------------------------------------------------------------------

interface LogLine {
  level: string;
  obj: unknown;
  msg?: string;
}
function recordingLog(lines: LogLine[]): Logger {
  const at =
    (level: string) =>
    (obj: object | string, msg?: string): void => {
      lines.push({ level, obj, msg });
    };
  return { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}

function fakeBrowser(pages: Record<string, Buffer | Error>) {
  const asked: { url: string; waitForSelector?: string }[] = [];
  const browser: BrowserClient = {
    async render(url, options) {
      asked.push({ url, waitForSelector: options?.waitForSelector });
      const page = pages[url];
      if (page instanceof Error) throw page;
      if (!page) throw new Error(`unexpected render of ${url}`);
      return { url, html: page.toString("utf8"), fetchedAt: "2025-04-20T07:20:00Z" };
    },
  };
  return { browser, asked };
}

const noHttp = {
  get: async (url: string): Promise<HttpResponse> => {
    throw new Error(`unexpected GET ${url}`);
  },
};
const context = (over: Partial<SourceContext>): SourceContext => ({
  http: noHttp,
  log: silentLog,
  now: new Date("2025-04-20T07:20:00Z"),
  state: {},
  ...over,
});
const NO_ENV: JorfFetchDeps = { tokens: createTokenCache(), clock: () => 0, env: {} };

describe("fr.jorf.export-control fetch through the browser", () => {
  const pages = { [BASE_ELI]: fixture(BASE_PAGE), [AMENDING_URL]: fixture(AMENDING_PAGE) };

  it("renders the known arrêté, follows its 'Modifié par' link, and hands both on", async () => {
    const { browser, asked } = fakeBrowser(pages);
    const result = await fetchJorf(context({ browser }), NO_ENV);
    expect(asked).toEqual([
      { url: BASE_ELI, waitForSelector: "h1.main-title" },
      { url: AMENDING_URL, waitForSelector: "h1.main-title" },
    ]);
    expect(result.artifacts.map((a) => a.response.url)).toEqual([BASE_ELI, AMENDING_URL]);
    const first = result.artifacts[0]!.response;
    expect(first).toMatchObject({ status: 200, contentType: "text/html; charset=utf-8", notModified: false });
    expect(first.sha256).toBe(sha256Hex(first.body));
    expect(Buffer.from(first.body).equals(fixture(BASE_PAGE))).toBe(true);
    expect(Object.keys((result.state as { texts: object }).texts)).toEqual(["ECOI2401482A", "ECOI2599999A"]);

    // Next run: the known page is rendered again (the probe for new amendments); nothing new is handed on.
    const again = fakeBrowser(pages);
    const next = await fetchJorf(context({ browser: again.browser, state: result.state }), NO_ENV);
    expect(again.asked.map((a) => a.url)).toEqual([BASE_ELI]);
    expect(next.artifacts).toEqual([]);
    expect(next.state).toEqual(result.state);
  });

  it("hands a page on again when what it says changed", async () => {
    const first = await fetchJorf(context({ browser: fakeBrowser(pages).browser }), NO_ENV);
    const corrected = edited(BASE_PAGE, "4,5&nbsp;K", "4&nbsp;K");
    const { browser } = fakeBrowser({ ...pages, [BASE_ELI]: corrected });
    const next = await fetchJorf(context({ browser, state: first.state }), NO_ENV);
    expect(next.artifacts.map((a) => a.response.url)).toEqual([BASE_ELI]);
  });

  it("reports a challenge the browser could not pass as unavailable, with nothing kept", async () => {
    const { browser } = fakeBrowser({ [BASE_ELI]: fixture(CHALLENGE) });
    const run = fetchJorf(context({ browser, state: { texts: {} } }), NO_ENV);
    await expect(run).rejects.toThrow(SourceUnavailableError);
    await expect(fetchJorf(context({ browser }), NO_ENV)).rejects.toThrow(
      /eli\/arrete\/2024\/2\/2\/ECOI2401482A\/jo\/texte: Légifrance answered a challenge page \(a challenge script\)/,
    );
    const timeout = Object.assign(
      new Error('page.waitForSelector: Timeout 30000ms exceeded waiting for "h1.main-title"'),
      {
        name: "TimeoutError",
      },
    );
    const slow = fakeBrowser({ [BASE_ELI]: timeout });
    await expect(fetchJorf(context({ browser: slow.browser }), NO_ENV)).rejects.toThrow(
      /did not appear in the browser in time \(a challenge it could not pass, or a slow page\)/,
    );
  });

  it("needs a browser when there are no API credentials", async () => {
    await expect(fetchJorf(context({}), NO_ENV)).rejects.toThrow(/reads Légifrance pages through a browser/);
  });
});

// PISTE answers by request; every request recorded with its body and headers.
function fakePiste(
  options: { tokenStatus?: number; echoBodyInErrors?: boolean; consultFails?: boolean } = {},
) {
  const posts: { url: string; body: string; headers: Record<string, string> }[] = [];
  const respond = (url: string, body: Buffer, status = 200): HttpResponse => ({
    url,
    status,
    notModified: false,
    contentType: "application/json;charset=UTF-8",
    headers: {},
    body,
    sha256: sha256Hex(body),
    fetchedAt: "2025-04-20T07:20:00Z",
  });
  const http = {
    ...noHttp,
    async post(url: string, body: string, opts?: PostOptions): Promise<HttpResponse> {
      posts.push({ url, body, headers: opts?.headers ?? {} });
      if (url === PISTE_TOKEN_URL) {
        // A careless client that quotes what it sent: the source must scrub it.
        if (options.echoBodyInErrors) throw new SourceUnavailableError(`${url}: HTTP 401 for ${body}`);
        return respond(url, options.tokenStatus ? Buffer.from("{}") : fixture(TOKEN), options.tokenStatus);
      }
      const request = JSON.parse(body) as {
        recherche?: { champs: { typeChamp: string }[] };
        textCid?: string;
      };
      if (url === `${LEGIFRANCE_API}/search`) {
        const field = request.recherche!.champs[0]!.typeChamp;
        return respond(url, fixture(field === "NOR" ? SEARCH_NOR : SEARCH_AMENDMENTS));
      }
      if (url === `${LEGIFRANCE_API}/consult/jorf`) {
        if (options.consultFails)
          throw new SourceUnavailableError(`${url}: HTTP 500 (${opts?.headers?.authorization ?? ""})`);
        if (request.textCid === "JORFTEXT000049999001") return respond(url, fixture(CONSULT_BASE));
        if (request.textCid === "JORFTEXT000051499001") return respond(url, fixture(CONSULT_AMENDING));
      }
      throw new Error(`unexpected POST ${url} ${body}`);
    },
  };
  return { http, posts };
}

const CLIENT_ID = "client-id-4b9e0d";
const CLIENT_SECRET = "s3cr3t/with+chars&=";
const ENV = { LEGIFRANCE_CLIENT_ID: CLIENT_ID, LEGIFRANCE_CLIENT_SECRET: CLIENT_SECRET };

describe("fr.jorf.export-control fetch through PISTE", () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it("gets a token, finds the arrêté by NOR and its amendments by title, and consults each once", async () => {
    const { http, posts } = fakePiste();
    const deps: JorfFetchDeps = { tokens: createTokenCache(), clock: () => 1_000, env: ENV };
    const result = await fetchJorf(context({ http }), deps);

    expect(posts.map((p) => p.url)).toEqual([
      PISTE_TOKEN_URL,
      `${LEGIFRANCE_API}/search`,
      `${LEGIFRANCE_API}/search`,
      `${LEGIFRANCE_API}/consult/jorf`,
      `${LEGIFRANCE_API}/consult/jorf`,
    ]);
    const token = posts[0]!;
    expect(token.headers["content-type"]).toBe("application/x-www-form-urlencoded");
    expect(Object.fromEntries(new URLSearchParams(token.body))).toEqual({
      grant_type: "client_credentials",
      client_id: CLIENT_ID,
      client_secret: CLIENT_SECRET,
      scope: "openid",
    });
    for (const p of posts.slice(1)) {
      expect(p.headers.authorization).toBe("Bearer fixture-access-token-7c1f");
      expect(p.body).not.toContain(CLIENT_SECRET);
    }
    const byNor = JSON.parse(posts[1]!.body);
    expect(byNor).toMatchObject({
      fond: "JORF",
      recherche: {
        champs: [{ typeChamp: "NOR", criteres: [{ typeRecherche: "EXACTE", valeur: "ECOI2401482A" }] }],
        pageNumber: 1,
        typePagination: "DEFAUT",
      },
    });
    expect(JSON.parse(posts[2]!.body).recherche.champs[0].typeChamp).toBe("TITLE");
    // The unrelated "arrêté du 2 février 2024 portant nomination" is not consulted.
    expect(posts.slice(3).map((p) => JSON.parse(p.body))).toEqual([
      { textCid: "JORFTEXT000049999001" },
      { textCid: "JORFTEXT000051499001" },
    ]);
    expect(result.artifacts).toHaveLength(2);
    const snapshots = result.artifacts.map((a) =>
      source.parse({ body: a.response.body, contentType: a.response.contentType, url: a.response.url }),
    );
    expect(snapshots.map((s) => s.kind === "documents" && s.documents.map((d) => d.id))).toEqual([
      ["ECOI2401482A"],
      ["ECOI2599999A"],
    ]);
    expect(result.state).toEqual({
      texts: {
        ECOI2401482A: { cid: "JORFTEXT000049999001", sha256: expect.stringMatching(/^[0-9a-f]{64}$/) },
        ECOI2599999A: { cid: "JORFTEXT000051499001", sha256: expect.stringMatching(/^[0-9a-f]{64}$/) },
      },
    });

    // Next run, same process: the token is reused, the title search is the only probe, nothing is consulted.
    posts.length = 0;
    const next = await fetchJorf(context({ http, state: result.state }), deps);
    expect(posts.map((p) => p.url)).toEqual([`${LEGIFRANCE_API}/search`]);
    expect(next.artifacts).toEqual([]);
  });

  it("asks for a new token once the old one has expired", async () => {
    const { http, posts } = fakePiste();
    let now = 0;
    const deps: JorfFetchDeps = { tokens: createTokenCache(), clock: () => now, env: ENV };
    const first = await fetchJorf(context({ http }), deps);
    now = 3_600_000 - 59_000; // inside the last minute before expiry: dropped early
    posts.length = 0;
    await fetchJorf(context({ http, state: first.state }), deps);
    expect(posts.map((p) => p.url)).toEqual([PISTE_TOKEN_URL, `${LEGIFRANCE_API}/search`]);
  });

  it("reads the credentials the configuration hands it, never the environment, never keeping them", async () => {
    // Something else in the process environment is not what the source uses.
    vi.stubEnv("LEGIFRANCE_CLIENT_ID", "stray-client");
    vi.stubEnv("LEGIFRANCE_CLIENT_SECRET", "stray-secret");
    const { http, posts } = fakePiste();
    const secrets = {
      LEGIFRANCE_CLIENT_ID: "env-client-id-91c2",
      LEGIFRANCE_CLIENT_SECRET: "env-secret-5d7a",
    };
    const result = await source.fetch(context({ http, secrets }));
    expect(new URLSearchParams(posts[0]!.body).get("client_secret")).toBe("env-secret-5d7a");
    expect(JSON.stringify(result.state)).not.toMatch(
      /env-secret-5d7a|env-client-id-91c2|fixture-access-token/,
    );
  });

  it("keeps the credentials and the token out of errors and logs", async () => {
    const secrets = [
      CLIENT_SECRET,
      encodeURIComponent(CLIENT_SECRET),
      CLIENT_ID,
      "fixture-access-token-7c1f",
    ];
    const lines: LogLine[] = [];
    const leaks = (text: string) => secrets.filter((s) => text.includes(s));

    const refused = fakePiste({ tokenStatus: 401 });
    const refusal = await fetchJorf(context({ http: refused.http, log: recordingLog(lines) }), {
      ...NO_ENV,
      env: ENV,
    }).catch((e: Error) => e);
    expect(refusal).toBeInstanceOf(SourceUnavailableError);
    expect((refusal as Error).message).toMatch(/PISTE refused the token request \(HTTP 401\)/);

    const echoing = fakePiste({ echoBodyInErrors: true });
    const echoed = await fetchJorf(context({ http: echoing.http, log: recordingLog(lines) }), {
      ...NO_ENV,
      env: ENV,
    }).catch((e: Error) => e);
    expect((echoed as Error).message).toContain("[redacted]");

    const failing = fakePiste({ consultFails: true });
    const tokens = createTokenCache();
    const failed = await fetchJorf(context({ http: failing.http, log: recordingLog(lines) }), {
      tokens,
      clock: () => 0,
      env: ENV,
    }).catch((e: Error) => e);
    expect(failed).toBeInstanceOf(SourceUnavailableError);
    expect((failed as Error).message).toMatch(/consult\/jorf: HTTP 500 \(Bearer \[redacted\]\)/);
    // The refused call dropped the token: the next run asks for a new one.
    expect(tokens.get(CLIENT_ID, 0)).toBeNull();

    for (const err of [refusal, echoed, failed] as Error[]) {
      expect(leaks(err.message)).toEqual([]);
      expect(leaks(err.stack ?? "")).toEqual([]);
    }
    expect(leaks(JSON.stringify(lines))).toEqual([]);
  });

  it("uses the browser, with a warning, when the HTTP client cannot POST or a credential is missing", async () => {
    const lines: LogLine[] = [];
    const { browser, asked } = fakeBrowser({
      [BASE_ELI]: fixture(BASE_PAGE),
      [AMENDING_URL]: fixture(AMENDING_PAGE),
    });
    await fetchJorf(context({ browser, log: recordingLog(lines) }), { ...NO_ENV, env: ENV });
    expect(asked).toHaveLength(2);
    expect(lines.map((l) => l.msg)).toEqual([
      expect.stringMatching(/the HTTP client cannot POST: reading Légifrance pages/),
    ]);

    lines.length = 0;
    await fetchJorf(context({ browser, log: recordingLog(lines) }), {
      ...NO_ENV,
      env: { LEGIFRANCE_CLIENT_ID: CLIENT_ID },
    });
    expect(lines.map((l) => l.msg)).toEqual([
      "LEGIFRANCE_CLIENT_ID is set without LEGIFRANCE_CLIENT_SECRET: the API is not used",
    ]);
    expect(JSON.stringify(lines)).not.toContain(CLIENT_ID);
  });

  it("tells credentials apart and scrubs every form of a secret", () => {
    expect(pisteCredentials({}).credentials).toBeNull();
    expect(pisteCredentials({ LEGIFRANCE_CLIENT_ID: " a ", LEGIFRANCE_CLIENT_SECRET: "b" })).toEqual({
      credentials: { clientId: "a", clientSecret: "b" },
      problem: null,
    });
    expect(redact(`x ${CLIENT_SECRET} ${encodeURIComponent(CLIENT_SECRET)}`, [CLIENT_SECRET])).toBe(
      "x [redacted] [redacted]",
    );
  });
});

describe("fr.jorf.export-control definition", () => {
  it("is a French documents source rendered through a browser", () => {
    expect(source).toMatchObject({
      id: "fr.jorf.export-control",
      jurisdiction: "FR",
      kind: "documents",
      needsBrowser: true,
      officialUrl: BASE_ELI,
      alertWindowDays: 30,
    });
    expect(source.expectations).toMatchObject({ minEntries: 0, maxEntries: 1 });
    expect(source.expectations.requiredFields).toContain("effectiveAt");
    const snapshot = source.parse({ body: fixture(BASE_PAGE), ...html, url: BASE_ELI });
    expect(snapshot.source).toBe("fr.jorf.export-control");
  });
});
