import { readFileSync } from "node:fs";
import { join } from "node:path";
import { SourceShapeChangedError } from "@regwatch/core/errors";
import { documentsSnapshotSchema } from "@regwatch/core/schemas";
import { technologiesForText } from "@regwatch/core/taxonomy";
import { describe, expect, it } from "vitest";
import { startSourceServer } from "../../../test/support/source-server.ts";
import { silentLog, testHttpClient } from "../../../test/support/test-http.ts";
import {
  exportControlItems,
  exportControlVerdict,
  fold,
  parseBoeDate,
  parseBoeDocument,
  parseSlashDate,
  parseSumario,
} from "../src/es/boe/parse.ts";
import { daysToRead, esBoeExportControl as source, sumarioUrl } from "../src/es/boe/source.ts";

const fixture = (name: string) => readFileSync(join(import.meta.dirname, "../src/es/boe/fixtures", name));
const LEGACY = "sumario-legacy-one-order.xml";
const API = "sumario-api-one-order.xml";
const ORDER = "documento-orden-ecm-anexos.xml";
const MALFORMED = "documento-malformed-unclosed-p.xml";
const edited = (name: string, from: string, to: string) => {
  const text = fixture(name).toString("utf8");
  if (!text.includes(from)) throw new Error(`fixture ${name} has no ${from}`);
  return Buffer.from(text.replace(from, to));
};

describe("es.boe.export-control summary filter", () => {
  it("keeps the one export-control order of a legacy summary and drops the rest", () => {
    const sumario = parseSumario({ body: fixture(LEGACY) });
    expect(sumario).toMatchObject({
      format: "legacy",
      id: "BOE-S-2025-272",
      date: "2025-11-12",
      issue: "272",
    });
    expect(sumario.items).toHaveLength(6);
    expect(exportControlItems(sumario)).toEqual([
      {
        id: "BOE-A-2025-90003",
        title: expect.stringMatching(
          /^Orden ECM\/1234\/2025, de 10 de noviembre, por la que se modifican los anexos/,
        ),
        section: "1",
        sectionName: "I. Disposiciones generales",
        department: "MINISTERIO DE ECONOMÍA, COMERCIO Y EMPRESA",
        epigraph: "Comercio exterior",
        urlXml: "https://www.boe.es/diario_boe/xml.php?id=BOE-A-2025-90003",
        urlPdf: "https://www.boe.es/boe/dias/2025/11/12/pdfs/BOE-A-2025-90003.pdf",
        urlHtml: "https://www.boe.es/diario_boe/txt.php?id=BOE-A-2025-90003",
      },
    ]);
    // Each dropped item fails a different rule.
    const verdicts = Object.fromEntries(sumario.items.map((i) => [i.id, exportControlVerdict(i)]));
    expect(verdicts["BOE-A-2025-90001"]).toMatchObject({ department: false, title: false, keep: false });
    expect(verdicts["BOE-A-2025-90002"]).toMatchObject({ department: false, title: true, keep: false });
    expect(verdicts["BOE-A-2025-90004"]).toMatchObject({ department: true, title: false, keep: false });
    expect(verdicts["BOE-A-2025-90005"]).toMatchObject({ section: false, order: false, title: true });
    expect(verdicts["BOE-B-2025-90006"]).toMatchObject({ section: false, keep: false });
    expect(sumario.items.find((i) => i.id === "BOE-B-2025-90006")!.epigraph).toBeNull();
  });

  it("reads the open-data API summary [I] to the same candidate", () => {
    const sumario = parseSumario({ body: fixture(API) });
    expect(sumario).toMatchObject({ format: "api", id: "BOE-S-2025-272", date: "2025-11-12", issue: "272" });
    expect(sumario.items.map((i) => i.id)).toEqual(["BOE-A-2025-90003", "BOE-A-2025-90004"]);
    const legacy = exportControlItems(parseSumario({ body: fixture(LEGACY) }));
    expect(exportControlItems(sumario)).toEqual(legacy);
  });

  it("refuses an API answer whose status is not 200", () => {
    expect(() =>
      parseSumario({ body: edited(API, "<code>200</code>", "<code>404</code>"), url: "s.xml" }),
    ).toThrow(/s\.xml: the API answered status 404/);
  });

  it("matches real export-control order titles whatever their case and accents", () => {
    // Titles as recalled for the orders SOURCES.md cites; wording not checked against the BOE [I].
    const titles = [
      "Orden ICT/534/2023, de 26 de mayo, por la que se modifican los anexos I.1, I.3, I.4, III.2, III.3, III.5 y IV del Reglamento de control del comercio exterior de material de defensa, de otro material y de productos y tecnologías de doble uso, aprobado por el Real Decreto 679/2014, de 1 de agosto.",
      "Orden ECM/541/2024, de 5 de junio, por la que se modifica el anexo I.1 del Reglamento de control del comercio exterior de material de defensa, de otro material y de productos y tecnologías de doble uso, aprobado por el Real Decreto 679/2014, de 1 de agosto.",
      "ORDEN ICT/1/2025, POR LA QUE SE MODIFICA EL REGLAMENTO APROBADO POR EL REAL DECRETO 679/2014 (TECNOLOGIAS DE DOBLE USO)",
    ];
    const departments = [
      "MINISTERIO DE INDUSTRIA, COMERCIO Y TURISMO",
      "MINISTERIO DE ECONOMÍA, COMERCIO Y EMPRESA",
      "Ministerio de Economia, Comercio y Empresa",
    ];
    for (const [i, title] of titles.entries())
      expect(exportControlVerdict({ section: "1", department: departments[i]!, title }).keep, title).toBe(
        true,
      );
    // Real section I titles from the sample summaries: none is kept.
    expect(
      exportControlVerdict({
        section: "1",
        department: "MINISTERIO DE ASUNTOS EXTERIORES Y DE COOPERACIÓN",
        title:
          "Enmiendas a los Anexos 2, 6 y 7 del Convenio Aduanero relativo al Transporte Internacional de Mercancías al amparo de los Cuadernos TIR, adoptadas en Ginebra el 9 de febrero de 2017.",
      }).keep,
    ).toBe(false);
    expect(fold("Tecnologi\u0301as de DOBLE  Uso")).toBe("tecnologias de doble uso");
  });
});

describe("es.boe.export-control document parser", () => {
  it("reads the order: id, citation, dates, department, references, urls", () => {
    const snapshot = source.parse({ body: fixture(ORDER) });
    expect(documentsSnapshotSchema.parse(snapshot)).toEqual(snapshot);
    if (snapshot.kind !== "documents") throw new Error("expected documents");
    expect(snapshot.source).toBe("es.boe.export-control");
    expect(snapshot.warnings).toEqual([]);
    expect(snapshot.documents).toHaveLength(1);
    const doc = snapshot.documents[0]!;
    expect(doc).toMatchObject({
      id: "BOE-A-2025-90003",
      stage: "published",
      type: "Orden",
      citation: "Orden ECM/1234/2025",
      publishedAt: "2025-11-12",
      effectiveAt: "2025-11-13",
      url: "https://www.boe.es/diario_boe/txt.php?id=BOE-A-2025-90003",
      cfrReferences: ["BOE-A-2014-90000", "BOE-A-2021-90000"],
      countries: [],
    });
    expect(doc.title).toMatch(
      /^Orden ECM\/1234\/2025, de 10 de noviembre, .*tecnologías de DOBLE USO, aprobado por el Real Decreto 679\/2014, de 1 de agosto\.$/,
    );
    expect(doc.urls).toEqual({
      xml: "https://www.boe.es/diario_boe/xml.php?id=BOE-A-2025-90003",
      html: "https://www.boe.es/diario_boe/txt.php?id=BOE-A-2025-90003",
      pdf: "https://www.boe.es/boe/dias/2025/11/12/pdfs/BOE-A-2025-90003.pdf",
      eli: "https://www.boe.es/eli/es/o/2025/11/10/ecm1234",
    });
    expect(doc.data).toMatchObject({
      language: "es",
      titleEn:
        "Order amending the annexes of the Regulation on the control of foreign trade in defence material, other material and dual-use items (Real Decreto 679/2014)",
      department: "Ministerio de Economía, Comercio y Empresa",
      departmentCode: "9576",
      section: "1",
      adoptedAt: "2025-11-10",
      repealedAt: null,
      issue: "272",
      legislativeStatus: "L",
      subjects: ["Comercio exterior", "Material de defensa"],
      references: {
        earlier: [
          {
            id: "BOE-A-2014-90000",
            verb: "MODIFICA",
            verbCode: "270",
            text: "los anexos I.1, III.2 y III.3 del Reglamento aprobado por el Real Decreto 679/2014, de 1 de agosto",
          },
          {
            id: "BOE-A-2021-90000",
            verb: "DE CONFORMIDAD con",
            verbCode: "440",
            text: "el Reglamento (UE) 2021/821, de 20 de mayo",
          },
        ],
        later: [],
      },
    });
  });

  it("keeps the text one line per paragraph, in NFC, tagged by the shared taxonomy", () => {
    expect(fixture(ORDER).toString("utf8")).toContain("i\u0301");
    const doc = parseBoeDocument({ body: fixture(ORDER) }).document;
    const text = doc.abstract!;
    expect(text).toBe(text.normalize("NFC"));
    expect(text).not.toContain("\u0301");
    expect(text.split("\n")).toHaveLength(7);
    expect(text.split("\n")[2]).toBe("Artículo único. Modificación de los anexos I.1, III.2 y III.3.");
    expect(text).toMatch(/computadores cuánticos.*semiconductores/);
    // The taxonomy is shared and gaining Spanish rules while this is written (issue 10): the source only
    // hands it title and text. With Spanish rules it finds quantum and semiconductor equipment here.
    expect(doc.technologies).toEqual(technologiesForText(`${doc.title}\n${text}`));
  });

  it("takes the citation from the title when numero_oficial is empty", () => {
    const doc = parseBoeDocument({
      body: edited(ORDER, "<numero_oficial>ECM/1234/2025</numero_oficial>", "<numero_oficial/>"),
    }).document;
    expect(doc.citation).toBe("Orden ECM/1234/2025");
  });

  it("leaves out a document that is not an export-control order", () => {
    const other = edited(
      ORDER,
      "Ministerio de Economía, Comercio y Empresa</departamento>",
      "Ministerio de Defensa</departamento>",
    );
    const boe = parseBoeDocument({ body: other });
    expect(boe.exportControl).toBe(false);
    expect(boe.document.data?.titleEn).toBeNull();
    const snapshot = source.parse({ body: other });
    if (snapshot.kind !== "documents") throw new Error("expected documents");
    expect(snapshot.documents).toEqual([]);
    expect(snapshot.meta).toEqual({ read: "documento", excluded: ["BOE-A-2025-90003"] });
  });

  it("gives no document for a summary, its candidates in meta", () => {
    const snapshot = source.parse({ body: fixture(LEGACY) });
    if (snapshot.kind !== "documents") throw new Error("expected documents");
    expect(snapshot.documents).toEqual([]);
    expect(snapshot.meta.sumario).toMatchObject({ format: "legacy", date: "2025-11-12", items: 6 });
    expect(snapshot.meta.sumario?.candidates.map((c) => c.id)).toEqual(["BOE-A-2025-90003"]);
  });

  it("refuses malformed XML with a clear error", () => {
    expect(() => source.parse({ body: fixture(MALFORMED), url: MALFORMED })).toThrow(SourceShapeChangedError);
    expect(() => source.parse({ body: fixture(MALFORMED), url: MALFORMED })).toThrow(
      /documento-malformed-unclosed-p\.xml: malformed XML: end tag <\/texto> does not match <p>/,
    );
  });

  it("refuses a body that is neither a summary nor a document, or an id that is not BOE's", () => {
    expect(() => source.parse({ body: Buffer.from("<html><p>Hola</p></html>"), url: "x" })).toThrow(
      /x: root <html> is not a BOE summary/,
    );
    expect(() =>
      source.parse({ body: edited(ORDER, "<identificador>BOE-A-2025-90003", "<identificador>A-2025-90003") }),
    ).toThrow(/<identificador> "A-2025-90003" is not a BOE id/);
    expect(() => parseSumario({ body: edited(LEGACY, "<fecha>12/11/2025", "<fecha>2025-11-12") })).toThrow(
      /<fecha> "2025-11-12" is not DD\/MM\/YYYY/,
    );
  });

  it("takes no impossible date: a warning and no date instead", () => {
    const bad = parseBoeDocument({
      body: edited(ORDER, "<fecha_vigencia>20251113", "<fecha_vigencia>20250231"),
    });
    expect(bad.document.effectiveAt).toBeNull();
    expect(bad.warnings).toEqual(['BOE-A-2025-90003: <fecha_vigencia> "20250231" is not a YYYYMMDD date']);
  });

  it("parses BOE dates strictly", () => {
    expect(parseBoeDate("20240229")).toBe("2024-02-29");
    for (const bad of ["20250229", "2025-11-12", "2025111", "20251301", ""])
      expect(parseBoeDate(bad), bad).toBeNull();
    expect(parseSlashDate("06/01/2017")).toBe("2017-01-06");
    for (const bad of ["6/1/2017", "31/04/2017", "2017/01/06"]) expect(parseSlashDate(bad), bad).toBeNull();
  });
});

describe("es.boe.export-control definition and fetch", () => {
  it("is a Spanish documents source", () => {
    expect(source).toMatchObject({ id: "es.boe.export-control", jurisdiction: "ES", kind: "documents" });
    expect(source.expectations.minEntries).toBe(0);
  });

  it("reads the days since the last one, at most a week, today again next run", () => {
    const now = new Date("2025-11-12T10:00:00Z");
    expect(daysToRead(null, now)).toEqual(["2025-11-12"]);
    expect(daysToRead("2025-11-10", now)).toEqual(["2025-11-11", "2025-11-12"]);
    expect(daysToRead("2025-10-01", now)).toHaveLength(7);
    expect(sumarioUrl("2025-11-12")).toBe("https://www.boe.es/datosabiertos/api/boe/sumario/20251112");
  });

  it("fetches the summary, then only the matching order's XML; a day not published yet is read again", async () => {
    // The real HTTP client on a local server: a 404 for a summary is an answer the source reads, not a failure.
    const server = await startSourceServer((url) => {
      if (url.pathname.endsWith("/sumario/20251111")) return () => ({ status: 404, body: "Not Found" });
      if (url.pathname.endsWith("/sumario/20251112"))
        return () => ({ body: fixture(API), headers: { "content-type": "application/xml" } });
      if (url.pathname === "/diario_boe/xml.php" && url.search === "?id=BOE-A-2025-90003")
        return () => ({ body: fixture(ORDER), headers: { "content-type": "application/xml" } });
      return undefined;
    });
    try {
      const result = await source.fetch({
        http: testHttpClient({ "https://www.boe.es": server.origin }),
        log: silentLog,
        now: new Date("2025-11-12T10:00:00Z"),
        state: { lastDay: "2025-11-10" },
      });
      expect(server.requests.map((r) => r.path)).toEqual([
        "/datosabiertos/api/boe/sumario/20251111",
        "/datosabiertos/api/boe/sumario/20251112",
        "/diario_boe/xml.php?id=BOE-A-2025-90003",
      ]);
      expect(server.requests[0]!.headers.accept).toBe("application/xml");
      expect(result.artifacts.map((a) => a.response.url)).toEqual([
        "https://www.boe.es/datosabiertos/api/boe/sumario/20251112",
        "https://www.boe.es/diario_boe/xml.php?id=BOE-A-2025-90003",
      ]);
      // The 11th had no summary yet: it is read again next run.
      expect(result.state).toEqual({ lastDay: "2025-11-10" });
    } finally {
      await server.close();
    }
  });
});
