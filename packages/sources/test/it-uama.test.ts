import { SourceShapeChangedError, SourceUnavailableError } from "@regwatch/core/errors";
import { type Entry, listSnapshotSchema } from "@regwatch/core/schemas";
import { listTagger, technologiesForText } from "@regwatch/core/taxonomy";
import { describe, expect, it } from "vitest";
import { startSourceServer } from "../../../test/support/source-server.ts";
import { silentLog, testHttpClient } from "../../../test/support/test-http.ts";
import { listPageVerdict, sectionLinks } from "../src/it/uama/discover.ts";
import { parseItalianDate } from "../src/it/uama/parse.ts";
import { itUamaNationalList as source, UAMA_LIST_URL, UAMA_SECTION_URL } from "../src/it/uama/source.ts";
import { fixtureFiles } from "./fixture-files.ts";

const { fixture, edited } = fixtureFiles("it/uama");
const V1 = "uama-elenco-nazionale-2024-08-01.html";
const CHROME = "uama-elenco-nazionale-2024-08-01-chrome-only.html";
const V2 = "uama-elenco-nazionale-2025-03-28.html";
const HOME_PAGE = "uama-sezione-home.html";
const NORMATIVA_PAGE = "uama-sezione-normativa.html";
const listOf = (body: Uint8Array, url = UAMA_LIST_URL) => {
  const snapshot = source.parse({ body, url, contentType: "text/html; charset=UTF-8" });
  if (snapshot.kind !== "list") throw new Error("expected a list");
  return snapshot;
};
const byKey = (entries: Entry[]) => new Map(entries.map((e) => [e.key, e]));

describe("it.uama.national-list: the page's Allegato A", () => {
  it("reads every item and paragraph, keyed EU-style, with the decree and its dates in meta", () => {
    const snapshot = listOf(fixture(V1));
    expect(listSnapshotSchema.parse(snapshot)).toEqual(snapshot);
    expect(snapshot.source).toBe("it.uama.national-list");
    expect(snapshot.warnings).toEqual([]);
    expect(snapshot.entries.map((e) => e.key)).toEqual([
      "2B910",
      "2B910.a",
      "2B910.a.1",
      "2B910.a.2",
      "2B910.a.3",
      "2B910.b",
      "2D910",
      "2E910",
      "3A901",
      "3A901.a",
      "3A901.b",
      "3A904",
      "3A904.a",
      "3A904.b",
      "3B903",
      "3B903.a",
      "3B903.b",
      "3B905",
      "3C907",
      "3E905",
      "4A906",
      "4A906.a",
      "4A906.b",
    ]);
    const entries = byKey(snapshot.entries);
    expect(entries.get("2B910.a.2")).toEqual({
      key: "2B910.a.2",
      parentKey: "2B910.a",
      heading: null,
      text: "fascio di elettroni;",
      data: {
        category: "2",
        categoryTitle: "Trattamento e lavorazione dei materiali",
        group: "2B",
        groupTitle: "Apparecchiature di collaudo, di ispezione e di produzione",
        decree: "Decreto 1325/BIS/371",
      },
    });
    expect(entries.get("2D910")).toMatchObject({
      parentKey: null,
      heading:
        "«Software» appositamente progettato o modificato per lo «sviluppo», la «produzione» o l’«utilizzazione» delle apparecchiature specificate in 2B910.",
      data: { group: "2D", groupTitle: "Software" },
    });
    // A note naming its item joins the item, not the paragraph above it.
    expect(entries.get("3B903")!.text).toBe(
      "Microscopi elettronici a scansione (SEM) progettati per l’acquisizione di immagini di dispositivi a semiconduttore o di circuiti integrati, aventi tutte le caratteristiche seguenti:\nNota: 3B903 non sottopone ad autorizzazione i microscopi progettati per campioni biologici.",
    );
    expect(entries.get("3B903.b")!.text).toBe(
      "tavola portacampioni con un’accuratezza di posizionamento inferiore a 30 nm.",
    );
    // A table row: the number in one cell, the words in the next; exponents kept as "^".
    expect(entries.get("4A906.a")!.text).toBe(
      "computer quantistici che supportano 34 o più «qubit fisici» completamente controllati, connessi e funzionanti, con un errore C-NOT pari o inferiore a 10^-4;",
    );
    for (const e of snapshot.entries) expect(e.text, e.key).toBe(e.text.normalize("NFC"));
    expect(snapshot.meta).toEqual({
      title: "Elenco nazionale di controllo dei prodotti a duplice uso",
      decrees: [{ number: "1325/BIS/371", date: "2024-07-01", citation: "Decreto 1325/BIS/371" }],
      guNotice: { number: "166", date: "2024-07-17" },
      effectiveAt: "2024-08-01",
      effectiveFrom: "page",
      documents: [
        {
          text: "Decreto n. 1325/BIS/371 del 1° luglio 2024 (PDF, 412 KB)",
          url: "https://www.esteri.it/wp-content/uploads/2024/07/Decreto-1325-BIS-371-firmato.pdf",
        },
      ],
      linesOutsideItems: 7,
    });
    expect(source.describe(snapshot, { url: UAMA_LIST_URL, asOf: null })).toEqual({
      publishedAt: "2024-07-17",
      effectiveAt: "2024-08-01",
      // Null: the pipeline links the GU notice in force that day citing the decree; the decree by date otherwise.
      citation: null,
      citationsByDate: { "2024-08-01": "Decreto 1325/BIS/371" },
      url: UAMA_LIST_URL,
    });
    expect(source.versionDate!(snapshot, { url: UAMA_LIST_URL, asOf: null })).toBe("2024-08-01");
  });

  it("gives the same snapshot when only the page's chrome changed", () => {
    // Menu, cookie banner, breadcrumb, "Data di aggiornamento", share links, footer rendering time, script nonce.
    expect(fixture(CHROME).equals(fixture(V1))).toBe(false);
    expect(listOf(fixture(CHROME))).toEqual(listOf(fixture(V1)));
  });

  it("sees the amending decree: one item added, one paragraph changed, the new in-force date", () => {
    const before = byKey(listOf(fixture(V1)).entries);
    const snapshot = listOf(fixture(V2));
    const after = byKey(snapshot.entries);
    expect([...after.keys()].filter((k) => !before.has(k))).toEqual(["3B904"]);
    expect([...before.keys()].filter((k) => !after.has(k))).toEqual([]);
    const changed = [...after.keys()].filter(
      (k) => before.has(k) && before.get(k)!.text !== after.get(k)!.text,
    );
    expect(changed).toEqual(["4A906.a"]);
    expect(after.get("4A906.a")!.text).toMatch(/^computer quantistici che supportano 32 o più/);
    expect(snapshot.meta.decrees.map((d) => d.citation)).toEqual([
      "Decreto 1325/BIS/371",
      "Decreto 2150/BIS/512",
    ]);
    expect(after.get("3B904")!.data?.decree).toBe("Decreto 2150/BIS/512");
    expect(source.describe(snapshot, { url: UAMA_LIST_URL, asOf: null })).toMatchObject({
      publishedAt: "2025-03-13",
      effectiveAt: "2025-03-28",
      citation: null,
      citationsByDate: { "2025-03-28": "Decreto 2150/BIS/512" },
    });
    expect(snapshot.meta.documents.map((d) => d.url)).toEqual([
      "https://www.esteri.it/wp-content/uploads/2025/03/Decreto-2150-BIS-512.pdf",
      "https://www.esteri.it/wp-content/uploads/2024/07/Decreto-1325-BIS-371-firmato.pdf",
    ]);
  });

  it("computes the in-force date from the Gazzetta notice (+15 days) when the page writes none", () => {
    const snapshot = listOf(edited(V1, [" Le disposizioni si applicano dal 1&#176; agosto 2024.", ""]));
    expect(snapshot.meta).toMatchObject({ effectiveAt: "2024-08-01", effectiveFrom: "notice+15" });
    const none = listOf(
      edited(
        V1,
        [" Le disposizioni si applicano dal 1&#176; agosto 2024.", ""],
        ["n. 166 del 17 luglio 2024", ""],
      ),
    );
    expect(none.meta).toMatchObject({ effectiveAt: null, effectiveFrom: null, guNotice: null });
    expect(none.warnings).toEqual([`${UAMA_LIST_URL}: no in-force date and no Gazzetta Ufficiale notice`]);
  });

  it("reads ordered lists whose markers the browser draws", () => {
    const snapshot = listOf(
      edited(V1, [
        /<ol>\s*<li>a\. risoluzione pari o inferiore a 1,0 nm;<\/li>\s*<li>b\. /,
        '<ol type="a"><li>risoluzione pari o inferiore a 1,0 nm;</li><li>',
      ]),
    );
    expect(byKey(snapshot.entries).get("3B903.b")?.text).toBe(
      "tavola portacampioni con un’accuratezza di posizionamento inferiore a 30 nm.",
    );
  });

  it("keeps markup written in the text as text, and drops scripts", () => {
    const snapshot = listOf(
      edited(V1, [
        "arco elettrico;",
        "arco elettrico &lt;script&gt;alert(1)&lt;/script&gt;;<script>document.write('x')</script>",
      ]),
    );
    expect(byKey(snapshot.entries).get("2B910.a.3")?.text).toBe("arco elettrico <script>alert(1)</script>;");
  });

  it("refuses a page cut short, a page without one <main>, and a page whose items are only in a PDF", () => {
    const body = fixture(V1);
    expect(() => listOf(body.subarray(0, body.length - 200))).toThrow(/ends before <\/html> \(truncated\?\)/);
    expect(() => listOf(edited(V1, [/<main[^>]*>/, "<div>"], ["</main>", "</div>"]))).toThrow(
      /0 elements match "main", expected exactly one content region/,
    );
    expect(() => listOf(edited(V1, ["</article>", "</article><main>Altro</main>"]))).toThrow(
      /2 elements match "main"/,
    );
    const pdfOnly = edited(V1, [
      /<h2>Allegato A[\s\S]*<\/table>/,
      "<p>L'Allegato A è pubblicato in formato PDF.</p>",
    ]);
    expect(() => listOf(pdfOnly)).toThrow(SourceShapeChangedError);
    expect(() => listOf(pdfOnly)).toThrow(
      /no Allegato A item in the page's HTML; it links https:\/\/www\.esteri\.it\/wp-content\/uploads\/2024\/07\/Decreto-1325-BIS-371-firmato\.pdf \(PDF only\?\)/,
    );
  });

  it("refuses bytes that are not valid in the page's charset, and an entry written twice", () => {
    const bad = Buffer.concat([
      fixture(V1).subarray(0, 2000),
      Buffer.from([0xc3, 0x28]),
      fixture(V1).subarray(2000),
    ]);
    expect(() => listOf(bad)).toThrow("body is not valid UTF-8 (charset from content-type)");
    expect(() => listOf(edited(V1, ["<strong>3B905</strong>", "<strong>3B903</strong>"]))).toThrow(
      "UAMA list: entry 3B903 appears twice in the page",
    );
  });

  it("parses Italian dates strictly", () => {
    expect(parseItalianDate("1° luglio 2024")).toBe("2024-07-01");
    expect(parseItalianDate("1 Luglio 2024")).toBe("2024-07-01");
    expect(parseItalianDate("01/07/2024")).toBe("2024-07-01");
    expect(parseItalianDate("17.7.2024")).toBe("2024-07-17");
    expect(parseItalianDate("31 giugno 2024")).toBeNull();
    expect(parseItalianDate("29/02/2023")).toBeNull();
    expect(parseItalianDate("1 juillet 2024")).toBeNull();
  });
});

describe("it.uama.national-list: technology tags of the 2024 items, in Italian", () => {
  const entries = byKey(listOf(fixture(V2)).entries);
  const words = (key: string) => {
    const e = entries.get(key)!;
    return technologiesForText(`${e.heading ?? ""} ${e.text}`);
  };

  it("tags each item by its Italian words alone (technologiesForText)", () => {
    expect(words("2B910")).toEqual(["additive-manufacturing"]);
    expect(words("3A901.a")).toEqual(["quantum", "advanced-semiconductors"]);
    expect(words("3A904.b")).toEqual(["quantum"]);
    // "circuiti integrati" is read; "microscopi elettronici a scansione" (plural) is not yet, see below.
    expect(words("3B903")).toContain("advanced-semiconductors");
    expect(words("3B905")).toEqual(["semiconductor-manufacturing-equipment"]);
    expect(words("3C907")).toEqual(["semiconductor-manufacturing-equipment"]);
    expect(words("3E905")).toEqual(["advanced-semiconductors", "gaafet"]);
    expect(words("4A906")).toEqual(["quantum"]);
    expect(words("4A906.b")).toEqual(["quantum"]);
  });

  it("tags the words the public summaries of the decree use", () => {
    expect(
      technologiesForText("apparecchiature per la fabbricazione additiva di componenti in metallo"),
    ).toEqual(["additive-manufacturing"]);
    expect(technologiesForText("computer quantistici e relativi assiemi elettronici")).toEqual(["quantum"]);
    expect(technologiesForText("apparecchiature per l'incisione a secco")).toEqual([
      "semiconductor-manufacturing-equipment",
    ]);
    expect(technologiesForText("un microscopio elettronico a scansione")).toEqual([
      "semiconductor-manufacturing-equipment",
    ]);
    expect(technologiesForText("circuiti integrati avanzati")).toEqual(["advanced-semiconductors"]);
    // Amounts are not quantum: "quanto" and "quanti" are Italian words for "how much".
    expect(technologiesForText("per quanto riguarda i quanti prodotti")).toEqual([]);
  });

  it("tags every 2024 item in its list (words, parents, the items software and technology name), as the pipeline does", () => {
    // The list's own numbering: no US national number is read into an Italian key.
    const tags = listTagger(entries, "it.uama.national-list");
    // "Software … for the equipment specified in 2B910": additive manufacturing through 2B910.
    expect(tags("2D910")).toEqual(["additive-manufacturing"]);
    expect(tags("2E910")).toEqual(["additive-manufacturing"]);
    expect(tags("3A901.b")).toContain("quantum");
    expect(tags("3A904")).toContain("quantum");
    // Cryogenic wafer probers, by their Italian words: semiconductor equipment.
    expect(tags("3B904")).toEqual(["semiconductor-manufacturing-equipment"]);
  });

  // Italian words the shared taxonomy does not know yet (rules proposed in the issue 10 report).
  it("tags parametric signal amplifiers (amplificatori di segnale parametrici) as quantum", () => {
    expect(words("3A901.b")).toContain("quantum");
  });
  it("tags cryogenic cooling systems (sistemi di raffreddamento criogenico) as quantum", () => {
    expect(words("3A904")).toContain("quantum");
  });
  it("tags cryogenic wafer probers (sondatori criogenici per wafer) as semiconductor equipment", () => {
    expect(words("3B904")).toContain("semiconductor-manufacturing-equipment");
  });
  it("tags scanning electron microscopes in the plural (microscopi elettronici a scansione)", () => {
    expect(words("3B903")).toContain("semiconductor-manufacturing-equipment");
  });
  it("tags scanning electron microscopy (microscopia elettronica a scansione)", () => {
    expect(technologiesForText("apparecchiature per microscopia elettronica a scansione")).toEqual([
      "semiconductor-manufacturing-equipment",
    ]);
  });
  it("tags extreme ultraviolet in the plural (raggi ultravioletti estremi)", () => {
    expect(technologiesForText("maschere per raggi ultravioletti estremi")).toEqual([
      "semiconductor-manufacturing-equipment",
    ]);
  });
});

describe("it.uama.national-list: fetch", () => {
  it("asks for the page with the last accepted version's validators, and reads nothing on 304", async () => {
    const server = await startSourceServer({
      "/it/ministero/struttura/uama/elenco-nazionale-di-controllo-dei-prodotti-a-duplice-uso/": (req) =>
        req.headers["if-none-match"] === '"v1"'
          ? { status: 304 }
          : {
              headers: {
                "content-type": "text/html; charset=UTF-8",
                etag: '"v1"',
                "last-modified": "Thu, 18 Jul 2024 09:12:00 GMT",
              },
              body: fixture(V1),
            },
    });
    try {
      const http = testHttpClient({ "https://www.esteri.it": server.origin });
      const now = new Date("2024-08-02T08:17:00Z");
      const first = await source.fetch({ http, log: silentLog, now, state: {} });
      expect(first.artifacts).toHaveLength(1);
      expect(first.artifacts[0]!.response.url).toBe(UAMA_LIST_URL);
      expect(first.state).toEqual({ etag: '"v1"', lastModified: "Thu, 18 Jul 2024 09:12:00 GMT" });
      const snapshot = source.parse({
        body: first.artifacts[0]!.response.body,
        url: first.artifacts[0]!.response.url,
        contentType: first.artifacts[0]!.response.contentType,
      });
      expect(snapshot.kind === "list" && snapshot.entries.length).toBe(23);

      const again = await source.fetch({ http, log: silentLog, now, state: first.state });
      expect(again).toEqual({ artifacts: [], state: first.state });
      expect(
        server.requests.map((r) => [r.headers["if-none-match"], r.headers["if-modified-since"]]),
      ).toEqual([
        [undefined, undefined],
        ['"v1"', "Thu, 18 Jul 2024 09:12:00 GMT"],
      ]);
    } finally {
      await server.close();
    }
  });
});

describe("it.uama.national-list: finding the page again when it moves", () => {
  const HOME = "/it/ministero/struttura/uama/";
  const OLD = "/it/ministero/struttura/uama/elenco-nazionale-di-controllo-dei-prodotti-a-duplice-uso/";
  const NORMATIVA = "/it/ministero/struttura/uama/normativa/";
  const NEW = "/it/ministero/struttura/uama/normativa/elenco-nazionale-di-controllo/";
  const NEW_URL = `https://www.esteri.it${NEW}`;
  const html = (body: Uint8Array, headers: Record<string, string> = {}) => ({
    headers: { "content-type": "text/html; charset=UTF-8", ...headers },
    body,
  });
  const gone = (status: number) => () => ({
    status,
    headers: { "content-type": "text/html; charset=UTF-8" },
    body: "<!DOCTYPE html><html><head><title>Pagina non trovata</title></head><body><main><h1>Pagina non trovata</h1></main></body></html>",
  });
  const paths = (server: { requests: { path: string }[] }) => server.requests.map((r) => r.path);

  it("reads a section page's links: named ones first, never scripts, files or other hosts", () => {
    const home = sectionLinks({ body: fixture(HOME_PAGE), url: UAMA_SECTION_URL });
    // The decree's PDF names it, the script's markup names the list: neither is a page to try.
    expect(home.list).toEqual([]);
    expect(home.section).toEqual([{ url: `https://www.esteri.it${NORMATIVA}`, text: "Normativa" }]);
    const normativa = sectionLinks({
      body: fixture(NORMATIVA_PAGE),
      url: `https://www.esteri.it${NORMATIVA}`,
    });
    expect(normativa.list).toEqual([
      {
        url: NEW_URL,
        text: "Allegato A al decreto n. 1325/BIS/371 (testo) Elenco nazionale di controllo dei prodotti a duplice uso",
      },
    ]);
    // A link naming the list itself comes before one naming only the decree.
    const both = sectionLinks({
      body: edited(HOME_PAGE, [
        '<li><a href="/it/ministero/struttura/uama/modulistica/">Modulistica</a></li>',
        '<li><a href="/it/notizie/decreto-1325-bis-371/">Decreto n. 1325 / BIS / 371: il comunicato</a></li><li><a href="/it/elenco/">Elenco Nazionale di Controllo</a></li>',
      ]),
      url: UAMA_SECTION_URL,
    });
    expect(both.list.map((l) => l.url)).toEqual([
      "https://www.esteri.it/it/elenco/",
      "https://www.esteri.it/it/notizie/decreto-1325-bis-371/",
    ]);
  });

  it("tells the list's page from a page that only looks like it", () => {
    expect(listPageVerdict({ body: fixture(V1), url: UAMA_LIST_URL })).toEqual({ ok: true });
    expect(listPageVerdict({ body: fixture(HOME_PAGE), url: UAMA_SECTION_URL })).toEqual({
      ok: false,
      reason:
        "no Allegato A item in the page's HTML; it links https://www.esteri.it/wp-content/uploads/2024/07/Decreto-1325-BIS-371-firmato.pdf (PDF only?)",
    });
    const otherList = edited(
      V1,
      [
        '<h1 class="entry-title">Elenco nazionale di controllo dei prodotti a duplice uso</h1>',
        '<h1 class="entry-title">Elenco dei materiali d&#8217;armamento</h1>',
      ],
      ["1325/BIS/371", "999/BIS/1"],
    );
    expect(listPageVerdict({ body: otherList, url: UAMA_LIST_URL })).toEqual({
      ok: false,
      reason:
        'its title "Elenco dei materiali d’armamento" is not the national control list\'s, and it names no Decreto 1325/BIS/371',
    });
  });

  it("finds the moved page from the section's pages, keeps its address, and asks it conditionally next time", async () => {
    const server = await startSourceServer({
      [OLD]: gone(404),
      [HOME]: () => html(fixture(HOME_PAGE)),
      [NORMATIVA]: () => html(fixture(NORMATIVA_PAGE)),
      [NEW]: (req) =>
        req.headers["if-none-match"] === '"v2"'
          ? { status: 304 }
          : html(fixture(V1), { etag: '"v2"', "last-modified": "Mon, 03 Mar 2025 10:00:00 GMT" }),
    });
    try {
      const http = testHttpClient({ "https://www.esteri.it": server.origin });
      const now = new Date("2025-03-04T08:17:00Z");
      const first = await source.fetch({
        http,
        log: silentLog,
        now,
        state: { etag: '"v1"', lastModified: "Thu, 18 Jul 2024 09:12:00 GMT" },
      });
      expect(first.artifacts).toHaveLength(1);
      expect(first.artifacts[0]!.response.url).toBe(NEW_URL);
      expect(first.state).toEqual({
        url: NEW_URL,
        etag: '"v2"',
        lastModified: "Mon, 03 Mar 2025 10:00:00 GMT",
      });
      const snapshot = source.parse({
        body: first.artifacts[0]!.response.body,
        url: first.artifacts[0]!.response.url,
        contentType: first.artifacts[0]!.response.contentType,
      });
      expect(snapshot.kind === "list" && snapshot.entries.length).toBe(23);
      expect(source.describe(snapshot, { url: NEW_URL, asOf: null }).url).toBe(NEW_URL);

      const again = await source.fetch({ http, log: silentLog, now, state: first.state });
      expect(again).toEqual({ artifacts: [], state: first.state });
      expect(paths(server)).toEqual([OLD, HOME, NORMATIVA, NEW, NEW]);
      // The old address's validators are not sent to the new one; the new one's are, once accepted.
      expect(server.requests.map((r) => r.headers["if-none-match"])).toEqual([
        '"v1"',
        undefined,
        undefined,
        undefined,
        '"v2"',
      ]);
    } finally {
      await server.close();
    }
  });

  it("looks for the page when its address answers 410, or a page that is not the list", async () => {
    const direct = edited(HOME_PAGE, [
      '<li><a href="/it/ministero/struttura/uama/normativa/">Normativa</a></li>',
      '<li><a href="/it/ministero/struttura/uama/normativa/elenco-nazionale-di-controllo/">Elenco nazionale di controllo</a></li>',
    ]);
    for (const old of [gone(410), () => html(fixture(HOME_PAGE))]) {
      const server = await startSourceServer({
        [OLD]: old,
        [HOME]: () => html(direct),
        [NEW]: () => html(fixture(V2)),
      });
      try {
        const http = testHttpClient({ "https://www.esteri.it": server.origin });
        const result = await source.fetch({ http, log: silentLog, now: new Date(), state: {} });
        expect(result.artifacts.map((a) => a.response.url)).toEqual([NEW_URL]);
        expect(result.state).toMatchObject({ url: NEW_URL });
        expect(paths(server)).toEqual([OLD, HOME, NEW]);
      } finally {
        await server.close();
      }
    }
  });

  it("refuses clearly, naming every address tried, when neither the page nor the section has it", async () => {
    const bothGone = await startSourceServer({ [OLD]: gone(404), [HOME]: gone(404) });
    try {
      const http = testHttpClient({ "https://www.esteri.it": bothGone.origin });
      const run = source.fetch({ http, log: silentLog, now: new Date(), state: {} });
      await expect(run).rejects.toThrow(SourceShapeChangedError);
      await expect(source.fetch({ http, log: silentLog, now: new Date(), state: {} })).rejects.toThrow(
        `it.uama.national-list: the national control list's page was not found; tried ${UAMA_LIST_URL} (HTTP 404); ${UAMA_SECTION_URL} (section page, HTTP 404)`,
      );
    } finally {
      await bothGone.close();
    }

    // The section is there, but its normativa page links only the decree's PDF, and the named page is gone.
    const noLink = await startSourceServer({
      [OLD]: gone(404),
      [HOME]: () => html(fixture(HOME_PAGE)),
      [NORMATIVA]: () =>
        html(
          edited(NORMATIVA_PAGE, [
            /<li><a href="\/it\/ministero\/struttura\/uama\/normativa\/elenco[^\n]*<\/li>/,
            "",
          ]),
        ),
    });
    try {
      const http = testHttpClient({ "https://www.esteri.it": noLink.origin });
      await expect(source.fetch({ http, log: silentLog, now: new Date(), state: {} })).rejects.toThrow(
        `tried ${UAMA_LIST_URL} (HTTP 404); ${UAMA_SECTION_URL} (section page: no link naming "elenco nazionale di controllo" or "1325/BIS/371"); https://www.esteri.it${NORMATIVA} (section page: no link naming "elenco nazionale di controllo" or "1325/BIS/371")`,
      );
    } finally {
      await noLink.close();
    }
  });

  it("does not go looking when the site is down: a 5xx is the site's trouble, retried later", async () => {
    const server = await startSourceServer({ [OLD]: () => ({ status: 503 }) });
    try {
      const http = testHttpClient({ "https://www.esteri.it": server.origin });
      await expect(source.fetch({ http, log: silentLog, now: new Date(), state: {} })).rejects.toThrow(
        SourceUnavailableError,
      );
      expect(paths(server)).toEqual([OLD]);
    } finally {
      await server.close();
    }
  });
});
