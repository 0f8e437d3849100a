import { basename } from "node:path";
import { documentsSnapshotSchema } from "@regwatch/core/schemas";
import { describe, expect, it } from "vitest";
import {
  exportControlItems,
  exportControlVerdict,
  parseBoeDocument,
  parseSumario,
} from "../../packages/sources/src/es/boe/parse.ts";
import { esBoeExportControl as source } from "../../packages/sources/src/es/boe/source.ts";
import { readSample, sampleFiles } from "./samples-dir.ts";

// The real BOE files, read at run time; a missing directory throws (nothing is skipped).
const sumarios = sampleFiles("es", /^boe-xml-sumario-.*\.xml$/);
const input = (path: string) => ({ body: readSample(path), url: basename(path) });

const EXPECTED_SUMARIOS = [
  {
    file: "boe-xml-sumario-BOE-S-2017-5-20170106-fetched-2021-02-21.xml",
    id: "BOE-S-2017-5",
    date: "2017-01-06",
    items: 41,
    sectionI: 1,
  },
  {
    file: "boe-xml-sumario-BOE-S-20171002-fetched-2021-02-21.xml",
    id: "BOE-S-2017-237",
    date: "2017-10-02",
    items: 413,
    sectionI: 2,
  },
  {
    file: "boe-xml-sumario-BOE-S-20191202-fetched-2021-02-21.xml",
    id: "BOE-S-2019-289",
    date: "2019-12-02",
    items: 287,
    sectionI: 2,
  },
];

describe("Spain: BOE summaries and documents, the real samples", () => {
  it("has the three legacy summaries of the manifest", () => {
    expect(sumarios.map((f) => basename(f))).toEqual(EXPECTED_SUMARIOS.map((e) => e.file));
  });

  it.each(EXPECTED_SUMARIOS.map((e) => [e.file, e] as const))(
    "%s: every item, and no export-control order",
    (file, e) => {
      const path = sumarios.find((f) => basename(f) === file)!;
      const sumario = parseSumario(input(path));
      expect(sumario).toMatchObject({ format: "legacy", id: e.id, date: e.date });
      expect(sumario.items).toHaveLength(e.items);
      // Every item has a BOE id, a title and an XML address.
      for (const item of sumario.items) {
        expect(item.title, item.id).not.toBe("");
        expect(item.urlXml, item.id).toBe(`https://www.boe.es/diario_boe/xml.php?id=${item.id}`);
      }
      const sectionI = sumario.items.filter((i) => i.section === "1");
      expect(sectionI).toHaveLength(e.sectionI);
      // No export-control order was published on these days: the filter keeps none, and no title names the regulation.
      expect(exportControlItems(sumario)).toEqual([]);
      expect(sumario.items.filter((i) => exportControlVerdict(i).title).map((i) => i.id)).toEqual([]);
      const snapshot = source.parse(input(path));
      expect(documentsSnapshotSchema.parse(snapshot)).toEqual(snapshot);
      console.log(
        `${e.id} (${e.date}): ${sumario.items.length} items, ${sectionI.length} in section I, ${exportControlItems(sumario).length} kept`,
      );
    },
  );

  it("reads Orden ITC/3837/2008 (BOE-A-2009-54): citation, dates, department, references", () => {
    const [path] = sampleFiles("es", /^boe-xml-document-BOE-A-2009-54-/);
    const boe = parseBoeDocument(input(path!));
    expect(boe.warnings).toEqual([]);
    // A trade-ministry order in section I, but on oil reserves: not export control.
    expect(boe.exportControl).toBe(false);
    expect(boe.document).toMatchObject({
      id: "BOE-A-2009-54",
      type: "Orden",
      citation: "Orden ITC/3837/2008",
      publishedAt: "2009-01-02",
      effectiveAt: "2009-01-03",
      url: "https://www.boe.es/diario_boe/txt.php?id=BOE-A-2009-54",
      cfrReferences: ["BOE-A-2004-15457"],
      urls: {
        xml: "https://www.boe.es/diario_boe/xml.php?id=BOE-A-2009-54",
        html: "https://www.boe.es/diario_boe/txt.php?id=BOE-A-2009-54",
        pdf: "https://www.boe.es/boe/dias/2009/01/02/pdfs/BOE-A-2009-54.pdf",
        eli: "https://www.boe.es/eli/es/o/2008/12/26/itc3837",
      },
    });
    expect(boe.document.title).toMatch(
      /^Orden ITC\/3837\/2008, de 26 de diciembre, por la que se aprueban las cuotas/,
    );
    expect(boe.document.data).toMatchObject({
      titleEn: null,
      department: "Ministerio de Industria, Turismo y Comercio",
      departmentCode: "5251",
      section: "1",
      adoptedAt: "2008-12-26",
      repealedAt: null,
      references: {
        earlier: [
          {
            id: "BOE-A-2004-15457",
            verb: "DE CONFORMIDAD con",
            verbCode: "440",
            text: "los arts. 25 y 26 del Real Decreto 1716/2004, de 23 de julio",
          },
        ],
        later: [
          {
            id: "BOE-A-2009-8959",
            verb: "SE MODIFICA",
            verbCode: "270",
            text: "lo indicado, por Orden ITC/1377/2009, de 27 de mayo",
          },
        ],
      },
    });
    const text = boe.document.abstract!;
    expect(text).toBe(text.normalize("NFC"));
    expect(text).toMatch(/^El Real Decreto 1716\/2004, de 23 de julio/);
    expect(text).toMatch(/Madrid, 26 de diciembre de 2008\.–El Ministro de Industria, Turismo y Comercio/);
    const snapshot = source.parse(input(path!));
    expect(snapshot.kind === "documents" && snapshot.documents).toEqual([]);
    console.log(
      `BOE-A-2009-54: ${text.split("\n").length} paragraphs, ${boe.document.cfrReferences.length} earlier reference(s)`,
    );
  });

  it("reads the other BOE-A documents (a Resolución, a regional one) without warnings, and keeps neither", () => {
    for (const path of sampleFiles("es", /^boe-xml-document-BOE-A-20(17-5|09-100)-/)) {
      const boe = parseBoeDocument(input(path));
      expect(boe.warnings, basename(path)).toEqual([]);
      expect(boe.exportControl).toBe(false);
      expect(boe.document.publishedAt).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      console.log(
        `${boe.document.id}: ${boe.document.type} ${boe.document.citation ?? "(no number)"}, ${boe.document.publishedAt}`,
      );
    }
  });
});
