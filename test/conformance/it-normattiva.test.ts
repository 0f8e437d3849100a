import { readFileSync } from "node:fs";
import { basename } from "node:path";
import { SourceShapeChangedError } from "@regwatch/core/errors";
import { documentsSnapshotSchema } from "@regwatch/core/schemas";
import { describe, expect, it } from "vitest";
import { readNormattivaAkn } from "../../packages/sources/src/it/normattiva/akn.ts";
import {
  ADVANCED_SEARCH_URL,
  NORMATTIVA_API,
  itNormattivaExportControl as source,
  UPDATED_SEARCH_URL,
} from "../../packages/sources/src/it/normattiva/source.ts";
import { readSample, sampleFiles } from "./samples-dir.ts";

// The real Normattiva files, read at run time; a missing directory throws (nothing is skipped).
const exports = sampleFiles("it", /^normattiva-akn-xml-.*\.xml$/);
const input = (path: string) => ({ body: readSample(path), url: basename(path) });

const EXPECTED = [
  {
    file: "normattiva-akn-xml-dl-2025-36-25G00049-monovigente.xml",
    urn: "urn:nir:stato:decreto.legge:2025-03-28;36",
    citation: "D.L. 36/2025",
    docType: "decreto-legge",
    title: "Disposizioni urgenti in materia di cittadinanza.",
    guCode: "25G00049",
    eli: "eli/id/2025/03/28/25G00049/CONSOLIDATED/20250524",
    publishedAt: "2025-03-28",
    guNumber: "73",
    expressionDate: "2025-05-24",
    inForceFrom: "2025-03-29",
    articles: ["Art. 1.", "Art. 1-bis.", "Art. 1-ter.", "Art. 2."],
    insertions: 13,
    amendedBy: ["L. 74/2025"],
    activeModifications: 10,
    warnings: [] as string[],
  },
  {
    file: "normattiva-akn-xml-dlgs-2005-82-CAD-monovigente-vigenza-2025-01-30.xml",
    urn: "urn:nir:stato:decreto.legislativo:2005-03-07;82",
    citation: "D.Lgs. 82/2005",
    docType: "decreto legislativo",
    title: "Codice dell'amministrazione digitale.",
    guCode: "005G0104",
    eli: "eli/id/2005/05/16/005G0104/CONSOLIDATED/20250130",
    publishedAt: "2005-05-16",
    guNumber: "112",
    expressionDate: "2025-01-30",
    inForceFrom: "2006-01-01",
    articles: 121,
    insertions: 271,
    amendedBy: 56,
    activeModifications: 83,
    // The export's last passiveRef has an empty href.
    warnings: ['urn:nir:stato:decreto.legislativo:2005-03-07;82: passiveRef rp57 names no act ("")'],
  },
];

describe("Italy: Normattiva Akoma Ntoso exports, the real samples", () => {
  it("has the two exports of the manifest", () => {
    expect(exports.map((f) => basename(f))).toEqual(EXPECTED.map((e) => e.file).sort());
  });

  it.each(EXPECTED.map((e) => [e.file, e] as const))("%s: identification, dates, articles", (file, e) => {
    const act = readNormattivaAkn(input(exports.find((f) => basename(f) === file)!));
    expect(act).toMatchObject({
      urn: e.urn,
      exportKind: "monovigente",
      docType: e.docType,
      title: e.title,
      guCode: e.guCode,
      eli: { alias: e.eli, url: `https://www.normattiva.it/${e.eli}` },
      publishedAt: e.publishedAt,
      guNumber: e.guNumber,
      expressionDate: e.expressionDate,
      inForceFrom: e.inForceFrom,
      insertions: e.insertions,
    });
    expect(act.ref.citation).toBe(e.citation);
    if (Array.isArray(e.articles)) expect(act.articles.map((a) => a.num)).toEqual(e.articles);
    else expect(act.articles).toHaveLength(e.articles);
    if (Array.isArray(e.amendedBy)) expect(act.amendedBy.map((a) => a.citation)).toEqual(e.amendedBy);
    else expect(act.amendedBy).toHaveLength(e.amendedBy);
    expect(act.activeModifications).toHaveLength(e.activeModifications);
    expect(act.warnings).toEqual(e.warnings);
    // Every article's number is read, and its heading where it has one.
    for (const a of act.articles) expect(a.num, a.eId).toMatch(/^Art\. \d+(?:-[a-z]+)?\.$/);
    // Each <ins> carries "((…))": all of them, and the brackets, are out of the text; the text is NFC.
    expect(act.amendmentMarks).toBeGreaterThanOrEqual(act.insertions);
    expect(act.text).toBe(act.text.normalize("NFC"));
    expect(act.text.split("\n")[0]).not.toBe("");
    console.log(
      `${e.citation}: ${act.articles.length} articles, ${act.text.split("\n").length} lines, ${act.insertions} <ins>, ${act.amendedBy.length} amending acts, in force ${act.inForceFrom}, text of ${act.expressionDate}`,
    );
  });

  it("reads the decree-law's amendment to Law 91/1992 from activeModifications", () => {
    const act = readNormattivaAkn(input(exports.find((f) => f.includes("25G00049"))!));
    expect(act.activeModifications[0]).toMatchObject({
      type: "insertion",
      destination: "urn:nir:stato:legge:1992-02-05;91#3 bis",
      act: { citation: "L. 91/1992", partition: "3 bis" },
      text: "ha disposto (con l'art. 1, comma 1) l'introduzione dell'art. 3-bis.",
    });
    // The passage of letter a-bis) was written in by the conversion law: its text, without "((…))".
    expect(act.text).toContain(
      "a-bis) lo stato di cittadino dell'interessato e' riconosciuto, nel rispetto della normativa applicabile al 27 marzo 2025,",
    );
    expect(act.text).not.toMatch(/\(\(|\)\)/);
  });

  it.each(EXPECTED.map((e) => [e.file, e] as const))(
    "%s: a valid snapshot, left out as not an export-control act",
    (file, e) => {
      const snapshot = source.parse(input(exports.find((f) => basename(f) === file)!));
      expect(documentsSnapshotSchema.parse(snapshot)).toEqual(snapshot);
      if (snapshot.kind !== "documents") throw new Error("expected documents");
      expect(snapshot.documents).toEqual([]);
      expect(snapshot.meta.excluded).toEqual([
        { urn: e.urn, citation: e.citation, title: e.title, reason: "neither a followed act nor amends one" },
      ]);
    },
  );

  it("names the HTML error page served with 200 where XML was expected, and makes no document", () => {
    const [page] = sampleFiles("it", /^normattiva-html-error-page-.*\.html$/);
    const parse = () => source.parse(input(page!));
    expect(parse).toThrow(SourceShapeChangedError);
    expect(parse).toThrow(
      'normattiva-html-error-page-legge-2022-53.html: an HTML page ("Normattiva - Errore: Errore nel caricamento delle informazioni") where Akoma Ntoso XML was expected',
    );
  });

  it("asks the open-data API only what its OpenAPI description offers", () => {
    const [path] = sampleFiles("it", /^DOC-normattiva-opendata-bff-openapi-v1\.json$/);
    const api = JSON.parse(readFileSync(path!, "utf8")) as {
      servers: { url: string }[];
      paths: Record<
        string,
        Record<string, { requestBody?: { content: Record<string, { schema: { $ref: string } }> } }>
      >;
      components: { schemas: Record<string, { properties: Record<string, unknown> }> };
    };
    expect(api.servers.map((s) => s.url)).toContain(NORMATTIVA_API);
    const requestFields = (url: string) => {
      const path = url.slice(NORMATTIVA_API.length);
      const post = api.paths[path]?.post;
      expect(post, path).toBeDefined();
      const ref = post!.requestBody!.content["application/json"]!.schema.$ref.split("/").pop()!;
      return Object.keys(api.components.schemas[ref]!.properties);
    };
    expect(requestFields(UPDATED_SEARCH_URL)).toEqual(
      expect.arrayContaining(["dataInizioAggiornamento", "dataFineAggiornamento"]),
    );
    expect(requestFields(ADVANCED_SEARCH_URL)).toEqual(
      expect.arrayContaining(["dataInizioEmanazione", "dataFineEmanazione", "paginazione"]),
    );
    // What the search answers give, and the parser reads.
    expect(Object.keys(api.components.schemas.RicercaResponseAtto!.properties)).toEqual(
      expect.arrayContaining([
        "codiceRedazionale",
        "dataGU",
        "denominazioneAtto",
        "numeroProvvedimento",
        "annoProvvedimento",
        "meseProvvedimento",
        "giornoProvvedimento",
      ]),
    );
  });
});
