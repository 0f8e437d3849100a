import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ResponseTooLargeError, SourceShapeChangedError } from "@regwatch/core/errors";
import type { HttpClient, HttpRequestOptions, HttpResponse, Logger } from "@regwatch/core/http";
import { documentsSnapshotSchema } from "@regwatch/core/schemas";
import { sha256Hex } from "@regwatch/core/text";
import { describe, expect, it } from "vitest";
import { startSourceServer } from "../../../test/support/source-server.ts";
import { silentLog, testHttpClient } from "../../../test/support/test-http.ts";
import type { SourceContext } from "../src/define-source.ts";
import { bunzip2, bunzip2Steps, isBzip2 } from "../src/no/lovdata/bzip2.ts";
import {
  lovdataRef,
  parseLovdataDate,
  parseLovtidend,
  parseLovtidendArchive,
  parseLtiDocument,
  parseNorwegianDate,
} from "../src/no/lovdata/parse.ts";
import { bundleHolding, parsePublicDataList, yearlyArchive } from "../src/no/lovdata/public-data.ts";
import {
  lovtidendArchiveUrl,
  publicDataListUrl,
  noLovdataExportControl as source,
} from "../src/no/lovdata/source.ts";
import { readTar, type TarFile, TarReader, type TarReaderOptions } from "../src/no/lovdata/tar.ts";

const fixture = (name: string) => readFileSync(join(import.meta.dirname, "../src/no/lovdata/fixtures", name));
const AMENDMENT = "lti-export-control-amendment.xml";
const OTHER = "lti-other-regulation-mentions-718.xml";
const MALFORMED = "lti-malformed-unclosed-section.xml";
const LAW = "lti-law.xml";
const ARCHIVE = "lovtidend-avd1-2025-hand-written.tar.bz2";
const edited = (name: string, from: string, to: string) => {
  const text = fixture(name).toString("utf8");
  if (!text.includes(from)) throw new Error(`fixture ${name} has no ${from}`);
  return Buffer.from(text.replace(from, to));
};

describe("no.lovdata.export-control parser", () => {
  it("reads an amendment of FOR-2013-06-19-718 with id, citation, dates, targets and department", () => {
    const snapshot = source.parse({ body: fixture(AMENDMENT) });
    expect(documentsSnapshotSchema.parse(snapshot)).toEqual(snapshot);
    if (snapshot.kind !== "documents") throw new Error("expected documents");
    expect(snapshot.source).toBe("no.lovdata.export-control");
    expect(snapshot.warnings).toEqual([]);
    expect(snapshot.documents).toHaveLength(1);
    const doc = snapshot.documents[0]!;
    expect(doc).toMatchObject({
      id: "LTI/forskrift/2025-12-01-2100",
      stage: "published",
      type: "forskrift",
      title:
        "Forskrift om endring i forskrift om eksport av forsvarsmateriell, flerbruksvarer, teknologi og tjenester",
      citation: "FOR-2025-12-01-2100",
      publishedAt: "2025-12-03",
      effectiveAt: "2026-01-01",
      url: "https://lovdata.no/dokument/LTI/forskrift/2025-12-01-2100",
      cfrReferences: ["FOR-2013-06-19-718"],
      countries: [],
    });
    expect(doc.urls).toEqual({
      lovdata: "https://lovdata.no/dokument/LTI/forskrift/2025-12-01-2100",
      "amends:FOR-2013-06-19-718": "https://lovdata.no/dokument/SF/forskrift/2013-06-19-718",
    });
    expect(doc.data).toMatchObject({
      language: "nb",
      titleEn: "Amendment to the export control regulation (FOR-2013-06-19-718)",
      department: ["Utenriksdepartementet"],
      subunit: ["Sikkerhetspolitisk avdeling"],
      changesToDocuments: [
        { ref: "forskrift/2013-06-19-718", citation: "FOR-2013-06-19-718", provision: null },
      ],
      basedOn: [
        { ref: "lov/1987-12-18-93/§1", citation: "LOV-1987-12-18-93", provision: "§1" },
        { ref: "forskrift/1987-12-18-967", citation: "FOR-1987-12-18-967", provision: null },
      ],
      publishedAtLocal: "2025-12-03T14:05",
      adoptedAt: "2025-12-01",
      journalNumber: "2025-1650",
      amendedSections: ["§ 4"],
      replacesAnnexes: [
        { annex: "II", title: null },
        { annex: "III", title: "Liste III – nye og fremvoksende teknologier (2025)" },
      ],
      annexAsPdf: true,
    });
  });

  it("keeps the amendment's text, one line per block, in NFC", () => {
    const doc = source.parse({ body: fixture(AMENDMENT) });
    if (doc.kind !== "documents") throw new Error("expected documents");
    const text = doc.documents[0]!.abstract!;
    // The fixture writes one "å" decomposed (a + U+030A).
    expect(fixture(AMENDMENT).toString("utf8")).toContain("a\u030a");
    expect(text).toBe(text.normalize("NFC"));
    expect(text).not.toContain("\u030a");
    expect(text.split("\n")).toEqual([
      "I",
      "I forskrift 19. juni 2013 nr. 718 om eksport av forsvarsmateriell, flerbruksvarer, teknologi og tjenester gjøres følgende endringer:",
      "§ 4 Lisensplikt etter varelister annet ledd skal lyde:",
      "Lisensplikten gjelder også kvantedatamaskiner og utstyr for produksjon av halvledere som oppført i vedlegg III.",
      "Vedlegg II og III skal erstattes med følgende:",
      // The <br /> in the future title is a line break in the text too.
      "Vedlegg III",
      "Liste III – nye og fremvoksende teknologier (2025)",
      "For å lese vedlegg II og III se her: pdf-fil",
      "II",
      "Endringene trer i kraft 1. januar 2026.",
    ]);
  });

  it("tags technologies named in Norwegian", () => {
    const doc = parseLtiDocument({ body: fixture(AMENDMENT) }).document;
    expect(doc.abstract).toMatch(/kvantedatamaskiner.*halvledere/);
    expect(doc.technologies).toEqual(["quantum", "semiconductor-manufacturing-equipment"]);
  });

  it("leaves out an amendment of another regulation even when its text cites FOR-2013-06-19-718", () => {
    const lti = parseLtiDocument({ body: fixture(OTHER) });
    expect(lti.amendsExportControl).toBe(false);
    expect(lti.document.abstract).toContain("forskrift 19. juni 2013 nr. 718");
    const snapshot = parseLovtidend([{ body: fixture(OTHER) }, { body: fixture(AMENDMENT) }]);
    expect(snapshot.documents.map((d) => d.id)).toEqual(["LTI/forskrift/2025-12-01-2100"]);
    expect(snapshot.meta).toEqual({ read: 2, excluded: ["LTI/forskrift/2025-12-02-2101"] });
    const alone = source.parse({ body: fixture(OTHER) });
    if (alone.kind !== "documents") throw new Error("expected documents");
    expect(alone.documents).toEqual([]);
  });

  it("keeps one copy of a document read twice, with a warning", () => {
    const snapshot = parseLovtidend([{ body: fixture(AMENDMENT) }, { body: fixture(AMENDMENT) }]);
    expect(snapshot.documents).toHaveLength(1);
    expect(snapshot.warnings).toEqual(["LTI/forskrift/2025-12-01-2100: read twice; the first copy is kept"]);
  });

  it("refuses malformed XML with a clear error", () => {
    expect(() => source.parse({ body: fixture(MALFORMED), url: MALFORMED })).toThrow(SourceShapeChangedError);
    expect(() => source.parse({ body: fixture(MALFORMED), url: MALFORMED })).toThrow(
      /lti-malformed-unclosed-section\.xml: malformed XML: end tag <\/main> does not match <section>/,
    );
  });

  it("refuses a document that is not LTI, or whose id and dated code disagree", () => {
    expect(() => source.parse({ body: Buffer.from("<html><body><p>Hei</p></body></html>") })).toThrow(
      /no documentHeader or documentBody/,
    );
    expect(() =>
      source.parse({
        body: edited(
          AMENDMENT,
          '<dd class="dokid">LTI/forskrift/2025-12-01-2100',
          '<dd class="dokid">SF/forskrift/2025-12-01-2100',
        ),
      }),
    ).toThrow(/DokumentID "SF\/forskrift\/2025-12-01-2100" is not an LTI/);
    expect(() =>
      source.parse({ body: edited(AMENDMENT, "FOR-2025-12-01-2100", "FOR-2025-12-01-2101") }),
    ).toThrow(/Datokode "FOR-2025-12-01-2101" does not match DokumentID/);
  });

  it("takes no impossible or loosely written date: a warning and no date instead", () => {
    const bad = parseLtiDocument({ body: edited(AMENDMENT, "2025-12-03 14:05", "2025-02-30 14:05") });
    expect(bad.document.publishedAt).toBeNull();
    expect(bad.warnings).toEqual([
      'LTI/forskrift/2025-12-01-2100: Kunngjort "2025-02-30 14:05" is not a date',
    ]);
    const loose = parseLtiDocument({ body: edited(AMENDMENT, ">2026-01-01<", ">1. januar 2026<") });
    expect(loose.document.effectiveAt).toBeNull();
    expect(loose.warnings).toEqual([
      'LTI/forskrift/2025-12-01-2100: I kraft fra "1. januar 2026" is not a date',
    ]);
    const made = parseLtiDocument({ body: edited(AMENDMENT, "1. desember 2025", "2. desember 2025") });
    expect(made.warnings).toEqual([
      "LTI/forskrift/2025-12-01-2100: fastsatt 2025-12-02 differs from the date in the id (2025-12-01)",
    ]);
  });

  it("parses Lovdata and Norwegian dates strictly", () => {
    expect(parseLovdataDate("2025-08-21 13:45")).toEqual({ date: "2025-08-21", time: "13:45" });
    expect(parseLovdataDate("2025-08-20")).toEqual({ date: "2025-08-20", time: null });
    for (const bad of ["2025-8-21", "2025-02-29", "2025-08-21 24:00", "21.08.2025", "2025-08-21T13:45", ""])
      expect(parseLovdataDate(bad), bad).toBeNull();
    expect(parseLovdataDate("2024-02-29")).toEqual({ date: "2024-02-29", time: null });
    expect(parseNorwegianDate("20. august 2025")).toBe("2025-08-20");
    expect(parseNorwegianDate("1. januar 2026")).toBe("2026-01-01");
    for (const bad of [
      "31. juni 2025",
      "20 august 2025",
      "20. August 2025",
      "20. aug. 2025",
      "20. augustus 2025",
    ])
      expect(parseNorwegianDate(bad), bad).toBeNull();
  });

  it("turns header references into dated citations", () => {
    expect(lovdataRef("forskrift/2013-06-19-718")).toEqual({
      ref: "forskrift/2013-06-19-718",
      citation: "FOR-2013-06-19-718",
      provision: null,
    });
    expect(lovdataRef("lov/1987-12-18-93/§1")).toMatchObject({
      citation: "LOV-1987-12-18-93",
      provision: "§1",
    });
    expect(lovdataRef("eu/32021R0821")).toBeNull();
  });
});

// --- A tar archive built in memory, the way GNU tar and POSIX pax write one ---

interface EntrySpec {
  name: string;
  type?: string;
  /** The size written in the header (defaults to the content's). */
  size?: number;
  format?: "gnu" | "ustar" | "v7";
  prefix?: string;
  mtime?: number;
}

const bytesOf = (content: Uint8Array | string) =>
  typeof content === "string" ? new Uint8Array(Buffer.from(content, "utf8")) : content;

function tarHeader(spec: EntrySpec & { size: number }): Uint8Array {
  const h = new Uint8Array(512);
  const put = (at: number, text: string) => h.set(Buffer.from(text, "utf8"), at);
  const octal = (n: number, width: number) => `${n.toString(8).padStart(width - 1, "0")}\0`;
  put(0, spec.name);
  put(100, octal(0o664, 8));
  put(108, octal(0, 8));
  put(116, octal(0, 8));
  put(124, octal(spec.size, 12));
  put(136, octal(spec.mtime ?? 1764901860, 12));
  put(156, spec.type ?? "0");
  const format = spec.format ?? "gnu";
  if (format === "gnu") put(257, "ustar  \0");
  if (format === "ustar") put(257, "ustar\u000000");
  if (spec.prefix) put(345, spec.prefix);
  h.fill(0x20, 148, 156);
  put(
    148,
    `${h
      .reduce((a, b) => a + b, 0)
      .toString(8)
      .padStart(6, "0")}\0 `,
  );
  return h;
}

function tarEntry(spec: EntrySpec, content: Uint8Array | string = ""): Uint8Array {
  const body = bytesOf(content);
  const padded = new Uint8Array(Math.ceil(body.length / 512) * 512);
  padded.set(body);
  return Buffer.concat([tarHeader({ ...spec, size: spec.size ?? body.length }), padded]);
}

/** "<length> <key>=<value>\n", the length in bytes and counting its own digits. */
function paxRecord(key: string, value: string): string {
  const rest = Buffer.byteLength(` ${key}=${value}\n`);
  let length = rest + 1;
  while (String(length).length + rest !== length) length = String(length).length + rest;
  return `${length} ${key}=${value}\n`;
}

const END = new Uint8Array(1024);
const tarOf = (...entries: Uint8Array[]) => new Uint8Array(Buffer.concat([...entries, END]));

const LIMITS = { maxBytes: 1024 * 1024, maxMembers: 100 };

/** Every regular file, with its text. */
function listTar(bytes: Uint8Array, options: Partial<TarReaderOptions> = {}) {
  const files: (TarFile & { text: string })[] = [];
  const summary = readTar(bytes, {
    limits: LIMITS,
    select: () => true,
    onFile: (file, content) => files.push({ ...file, text: Buffer.from(content).toString("utf8") }),
    ...options,
  });
  return { files, summary };
}

describe("no.lovdata tar reader", () => {
  it("reads regular files with name, size, time and contents, and skips directories and links", () => {
    const archive = tarOf(
      tarEntry({ name: "lti/2025/", type: "5" }),
      tarEntry({ name: "./lti/2025/sf-20251201-2100.xml", mtime: 1764901860 }, "<html>æøå</html>"),
      tarEntry({ name: "lti/2025/link.xml", type: "2" }),
      tarEntry({ name: "lti/2025/empty.xml" }),
    );
    const { files, summary } = listTar(archive);
    expect(files).toEqual([
      { name: "lti/2025/sf-20251201-2100.xml", size: 19, mtime: 1764901860, text: "<html>æøå</html>" },
      { name: "lti/2025/empty.xml", size: 0, mtime: 1764901860, text: "" },
    ]);
    expect(summary).toEqual({ entries: 4, files: 2 });
  });

  it("joins a POSIX ustar prefix to the name, and takes GNU long names and pax paths", () => {
    const long = `lti/2025/${"a".repeat(120)}.xml`;
    const pax = `lti/2025/${"p".repeat(150)}-ø.xml`;
    const archive = tarOf(
      tarEntry({ name: "sf-1.xml", prefix: "lti/2025", format: "ustar" }, "one"),
      tarEntry({ name: "././@LongLink", type: "L" }, `${long}\0`),
      tarEntry({ name: long.slice(0, 100) }, "two"),
      tarEntry({ name: "pax_global_header", type: "g", format: "ustar" }, paxRecord("comment", "x")),
      tarEntry({ name: "PaxHeaders/x", type: "x", format: "ustar" }, paxRecord("path", pax)),
      tarEntry({ name: "short-name.xml", format: "ustar" }, "three"),
      // The prefix field is GNU's time fields in a GNU header: not part of the name.
      tarEntry({ name: "gnu.xml", prefix: "ignored", format: "gnu" }, "four"),
    );
    expect(listTar(archive).files.map((f) => [f.name, f.text])).toEqual([
      ["lti/2025/sf-1.xml", "one"],
      [long, "two"],
      [pax, "three"],
      ["gnu.xml", "four"],
    ]);
  });

  it("honours a pax size over the header's", () => {
    const archive = tarOf(
      tarEntry({ name: "PaxHeaders/x", type: "x", format: "ustar" }, paxRecord("size", "5")),
      tarEntry({ name: "big.xml", format: "ustar", size: 0 }, "hello"),
    );
    expect(listTar(archive).files.map((f) => f.text)).toEqual(["hello"]);
  });

  it("hands over only the files selected, and gives the same answer fed a byte at a time", () => {
    const archive = tarOf(
      tarEntry({ name: "lti/2025/nl-20251205-050.xml" }, "law".repeat(300)),
      tarEntry({ name: "lti/2025/sf-20251201-2100.xml" }, "regulation".repeat(100)),
    );
    const seen: string[] = [];
    const wanted: string[] = [];
    const options: TarReaderOptions = {
      limits: LIMITS,
      select: (file) => {
        seen.push(file.name);
        return file.name.includes("/sf-");
      },
      onFile: (file, content) => wanted.push(`${file.name}:${content.length}`),
    };
    const reader = new TarReader(options);
    for (let i = 0; i < archive.length; i++) reader.write(archive.subarray(i, i + 1));
    expect(reader.end()).toEqual({ entries: 2, files: 2 });
    expect(seen).toEqual(["lti/2025/nl-20251205-050.xml", "lti/2025/sf-20251201-2100.xml"]);
    expect(wanted).toEqual(["lti/2025/sf-20251201-2100.xml:1000"]);
    expect(listTar(archive, { select: (f) => f.name.includes("/sf-") }).files).toHaveLength(1);
  });

  it("refuses a header whose checksum does not add up", () => {
    const entry = tarEntry({ name: "lti/2025/sf-1.xml" }, "x");
    entry[0] = "m".charCodeAt(0);
    expect(() => listTar(tarOf(entry))).toThrow(SourceShapeChangedError);
    expect(() => listTar(tarOf(entry))).toThrow(/header at byte 0 has a bad checksum/);
  });

  it("refuses a cut archive: inside contents, inside a header, without its end marker", () => {
    const whole = tarOf(tarEntry({ name: "a.xml" }, "x".repeat(700)), tarEntry({ name: "b.xml" }, "y"));
    expect(() => listTar(whole.subarray(0, 900))).toThrow(/truncated inside the contents of "a\.xml"/);
    // a.xml's header and 700 bytes padded to 1024 end at byte 1536.
    expect(() => listTar(whole.subarray(0, 1536 + 100))).toThrow(/truncated inside a header at byte 1536/);
    expect(() => listTar(whole.subarray(0, whole.length - 1024))).toThrow(/no end-of-archive marker/);
    expect(() => listTar(whole.subarray(0, whole.length - 512))).toThrow(/only one of the two/);
    expect(() => listTar(new Uint8Array(0))).toThrow(/no end-of-archive marker/);
    expect(listTar(whole).files).toHaveLength(2);
  });

  it("allows zero padding after the end marker, but no data", () => {
    const padded = new Uint8Array(
      Buffer.concat([tarOf(tarEntry({ name: "a.xml" }, "x")), new Uint8Array(8192)]),
    );
    expect(listTar(padded).files).toHaveLength(1);
    const trailing = new Uint8Array(Buffer.concat([padded, Buffer.from("junk")]));
    expect(() => listTar(trailing)).toThrow(/data after the end-of-archive marker/);
    const lone = new Uint8Array(Buffer.concat([new Uint8Array(512), tarEntry({ name: "a.xml" }, "x"), END]));
    expect(() => listTar(lone)).toThrow(/a lone zero block at byte 0 is followed by more entries/);
  });

  it("refuses what it cannot read faithfully: v7 headers, sparse or unknown entries, bad numbers", () => {
    expect(() => listTar(tarOf(tarEntry({ name: "a.xml", format: "v7" }, "x")))).toThrow(
      /neither ustar nor GNU tar/,
    );
    expect(() => listTar(tarOf(tarEntry({ name: "a.xml", type: "S" }, "x")))).toThrow(/GNU sparse file/);
    expect(() => listTar(tarOf(tarEntry({ name: "a.xml", type: "Q" }, "x")))).toThrow(
      /unknown entry type "Q"/,
    );
    const badSize = tarHeader({ name: "a.xml", size: 1 });
    badSize.set(Buffer.from("00000000009\0"), 124);
    badSize.fill(0x20, 148, 156);
    badSize.set(
      Buffer.from(
        `${badSize
          .reduce((a, b) => a + b, 0)
          .toString(8)
          .padStart(6, "0")}\0 `,
      ),
      148,
    );
    expect(() => listTar(tarOf(badSize))).toThrow(/size field .* is not an octal number/);
    const orphan = tarOf(tarEntry({ name: "././@LongLink", type: "L" }, "lost-name\0"));
    expect(() => listTar(orphan)).toThrow(/names no entry/);
    const badPax = tarOf(
      tarEntry({ name: "x", type: "x", format: "ustar" }, "99 path=a\n"),
      tarEntry({ name: "a.xml", format: "ustar" }, "x"),
    );
    expect(() => listTar(badPax)).toThrow(/malformed pax record/);
  });

  it("refuses a bomb: too many bytes, a member past the cap, too many entries", () => {
    const big = tarOf(tarEntry({ name: "a.xml" }, "x".repeat(5000)));
    expect(() => listTar(big, { limits: { maxBytes: 4096, maxMembers: 100 } })).toThrow(
      ResponseTooLargeError,
    );
    // A header claiming 2 GiB is refused at the header, before anything is allocated or read.
    const claim = tarHeader({ name: "bomb.xml", size: 2 * 1024 * 1024 * 1024 });
    const reader = new TarReader({ limits: LIMITS, select: () => true, onFile: () => {} });
    expect(() => reader.write(claim)).toThrow(/"bomb\.xml" is 2147483648 bytes, past the 1048576-byte cap/);
    const many = tarOf(...Array.from({ length: 5 }, (_, i) => tarEntry({ name: `f${i}.xml` }, "x")));
    expect(() => listTar(many, { limits: { maxBytes: LIMITS.maxBytes, maxMembers: 4 } })).toThrow(
      /more than 4 entries; refused/,
    );
    expect(listTar(many).files).toHaveLength(5);
  });
});

describe("no.lovdata bzip2", () => {
  const archive = fixture(ARCHIVE);
  const decompress = (body: Uint8Array, maxBytes = 1024 * 1024) => {
    const slices: Uint8Array[] = [];
    const total = bunzip2(body, (s) => slices.push(s.slice()), { maxBytes, name: "fixture" });
    return { total, bytes: new Uint8Array(Buffer.concat(slices)) };
  };

  it("decompresses Lovdata's tar.bz2 layout into the tar it holds", () => {
    expect(isBzip2(archive)).toBe(true);
    expect(isBzip2(fixture(AMENDMENT))).toBe(false);
    const { total, bytes } = decompress(archive);
    // Four 512-byte headers, contents of 1774, 3149 and 2672 bytes padded to blocks, the end marker: two 10240-byte records.
    expect(total).toBe(20480);
    expect(bytes.length).toBe(total);
    expect(listTar(bytes).files.map((f) => [f.name, f.size])).toEqual([
      ["lti/2025/nl-20251205-050.xml", 1774],
      ["lti/2025/sf-20251201-2100.xml", 3149],
      ["lti/2025/sf-20251202-2101.xml", 2672],
    ]);
    expect(listTar(bytes).files[1]!.text).toBe(fixture(AMENDMENT).toString("utf8"));
  });

  it("reads concatenated streams, as parallel compressors write them", () => {
    const twice = new Uint8Array(Buffer.concat([archive, archive]));
    expect(decompress(twice).total).toBe(2 * 20480);
  });

  it("hands the work over a block at a time, the same bytes as at once", () => {
    const twice = new Uint8Array(Buffer.concat([archive, archive]));
    const slices: Uint8Array[] = [];
    const steps = bunzip2Steps(twice, (s) => slices.push(s.slice()), { maxBytes: 1 << 20, name: "fixture" });
    let pauses = 0;
    let next = steps.next();
    for (; !next.done; next = steps.next()) pauses++;
    // One block in each stream: a pause after each.
    expect(pauses).toBe(2);
    expect(next.value).toBe(2 * 20480);
    expect(Buffer.concat(slices)).toEqual(
      Buffer.concat([decompress(archive).bytes, decompress(archive).bytes]),
    );
  });

  it("checks each stream's CRC over its blocks", () => {
    // A bit of the stored stream CRC (the 32 bits after the end-of-stream marker) flipped: every block is whole.
    const bad = new Uint8Array(archive);
    bad[bad.length - 2] = bad[bad.length - 2]! ^ 0x01;
    expect(() => decompress(bad)).toThrow(SourceShapeChangedError);
    expect(() => decompress(bad)).toThrow(/fixture: corrupt bzip2 data \(bad stream CRC/);
  });

  it("refuses a body that is not bzip2, is cut, is corrupt, or has bytes after its end", () => {
    expect(() => decompress(fixture(AMENDMENT))).toThrow(/fixture: not bzip2 data/);
    for (const cut of [archive.length - 1, archive.length - 12, 100]) {
      expect(() => decompress(archive.subarray(0, cut))).toThrow(SourceShapeChangedError);
      expect(() => decompress(archive.subarray(0, cut))).toThrow(/does not end with an end-of-stream marker/);
    }
    // Cut in the middle, with the real end glued back on: the decoder runs out inside a block.
    const glued = new Uint8Array(
      Buffer.concat([archive.subarray(0, 600), archive.subarray(archive.length - 11)]),
    );
    expect(() => decompress(glued)).toThrow(SourceShapeChangedError);
    expect(() => decompress(glued)).toThrow(/truncated \(input ended inside a block\)/);
    const corrupt = new Uint8Array(archive);
    corrupt[1000] = corrupt[1000]! ^ 0x08;
    expect(() => decompress(corrupt)).toThrow(/fixture: corrupt bzip2 data/);
    const trailing = new Uint8Array(Buffer.concat([archive, Buffer.from("BZh9")]));
    expect(() => decompress(trailing)).toThrow(SourceShapeChangedError);
  });

  it("stops at the cap on decompressed bytes", () => {
    expect(() => decompress(archive, 4096)).toThrow(ResponseTooLargeError);
    expect(() => decompress(archive, 4096)).toThrow(/fixture: decompresses to more than 4096 bytes; refused/);
  });
});

describe("no.lovdata archive parser", () => {
  const url = lovtidendArchiveUrl(2025);

  it("keeps the amendments of FOR-2013-06-19-718 from a yearly archive, and says what it left out", () => {
    const snapshot = source.parse({ body: fixture(ARCHIVE), url, contentType: "application/octet-stream" });
    expect(documentsSnapshotSchema.parse(snapshot)).toEqual(snapshot);
    if (snapshot.kind !== "documents") throw new Error("expected documents");
    expect(snapshot.warnings).toEqual([]);
    expect(snapshot.documents).toEqual([parseLtiDocument({ body: fixture(AMENDMENT) }).document]);
    expect(snapshot.meta).toEqual({
      read: 2,
      excluded: ["LTI/forskrift/2025-12-02-2101"],
      archive: { name: "lovtidend-avd1-2025.tar.bz2", bytes: 20480, files: 3, laws: 1, unexpected: 0 },
    });
  });

  it("reads an unpacked tar the same way", () => {
    const tar = tarOf(
      tarEntry({ name: "lti/2025/sf-20251201-2100.xml" }, fixture(AMENDMENT)),
      tarEntry({ name: "lti/2025/nl-20251205-050.xml" }, fixture(LAW)),
    );
    const snapshot = source.parse({ body: tar });
    if (snapshot.kind !== "documents") throw new Error("expected documents");
    expect(snapshot.documents.map((d) => d.id)).toEqual(["LTI/forskrift/2025-12-01-2100"]);
    expect(snapshot.meta.archive).toMatchObject({ name: null, files: 2, laws: 1 });
  });

  it("fails the whole archive on one malformed member, naming it", () => {
    const tar = tarOf(
      tarEntry({ name: "lti/2025/sf-20251201-2100.xml" }, fixture(AMENDMENT)),
      tarEntry({ name: "lti/2025/sf-20251203-2102.xml" }, fixture(MALFORMED)),
    );
    expect(() => parseLovtidendArchive({ body: tar, url })).toThrow(
      /lovtidend-avd1-2025\.tar\.bz2:lti\/2025\/sf-20251203-2102\.xml: malformed XML/,
    );
  });

  it("warns about members it does not know, a name that disagrees with its id, and a document twice", () => {
    const tar = tarOf(
      tarEntry({ name: "lti/2025/sf-20251201-2101.xml" }, fixture(AMENDMENT)),
      tarEntry({ name: "lti/2025/sf-20251201-2100.xml" }, fixture(AMENDMENT)),
      tarEntry({ name: "README.txt" }, "hei"),
    );
    const snapshot = parseLovtidendArchive({ body: tar, url });
    expect(snapshot.documents).toHaveLength(1);
    expect(snapshot.warnings).toEqual([
      "LTI/forskrift/2025-12-01-2100: read from lti/2025/sf-20251201-2101.xml, whose name gives another date or number",
      "LTI/forskrift/2025-12-01-2100: read twice; the first copy is kept",
      "lovtidend-avd1-2025.tar.bz2: unexpected member README.txt, not read",
    ]);
    expect(snapshot.meta.archive?.unexpected).toBe(1);
  });

  it("refuses an archive with no Lovtidend documents, and says so of an empty one", () => {
    const other = tarOf(tarEntry({ name: "nl/nl-18140517-000.xml" }, fixture(LAW)));
    expect(() => parseLovtidendArchive({ body: other, url })).toThrow(/not a Lovtidend archive/);
    const empty = parseLovtidendArchive({ body: tarOf(tarEntry({ name: "lti/2026/", type: "5" })), url });
    expect(empty.documents).toEqual([]);
    expect(empty.warnings).toEqual(["lovtidend-avd1-2025.tar.bz2: the archive holds no documents"]);
  });

  it("refuses an archive past its caps", () => {
    expect(() =>
      parseLovtidendArchive({ body: fixture(ARCHIVE), url }, { maxBytes: 8192, maxMembers: 100 }),
    ).toThrow(ResponseTooLargeError);
    expect(() =>
      parseLovtidendArchive({ body: fixture(ARCHIVE), url }, { maxBytes: 1024 * 1024, maxMembers: 2 }),
    ).toThrow(/more than 2 entries/);
  });
});

// --- The public-data list and the fetch ---

const LIST_URL = "https://api.lovdata.no/v1/publicData/list";
const ARCHIVE_2025 = "https://api.lovdata.no/v1/publicData/get/lovtidend-avd1-2025.tar.bz2";
const MEMBER_2100 = "lti/2025/sf-20251201-2100.xml";
const ARCHIVE_2026 = "https://api.lovdata.no/v1/publicData/get/lovtidend-avd1-2026.tar.bz2";

/** The list as Lovdata answers it (shape from captured answers [I]). */
const listing = (lovtidend: Record<number, string>, extra: object[] = []) =>
  Buffer.from(
    JSON.stringify([
      {
        filename: "gjeldende-lover.tar.bz2",
        description: "Gjeldende lover, ajourført med endringer",
        sizeBytes: "5844867",
        lastModified: "2026-04-22T01:31:00Z",
      },
      {
        filename: "lovtidend-avd1-2001-2024.tar.bz2",
        description: "Norsk Lovtidend avd. I - lover og sentrale forskrifter",
        sizeBytes: "66000000",
        lastModified: "2025-10-20T02:31:59.418Z",
      },
      ...Object.entries(lovtidend).map(([year, lastModified]) => ({
        filename: `lovtidend-avd1-${year}.tar.bz2`,
        description: "Norsk Lovtidend avd. I - lover og sentrale forskrifter",
        sizeBytes: "2044",
        lastModified,
      })),
      ...extra,
    ]),
  );

type Reply = Partial<HttpResponse> | (() => Partial<HttpResponse>);

/** A fake client answering from a table, recording what was asked and how. */
function fakeHttp(routes: Record<string, Reply>) {
  const asked: { url: string; options: HttpRequestOptions | undefined }[] = [];
  const http: HttpClient = {
    async get(url, options) {
      asked.push({ url, options });
      const route = routes[url];
      if (!route) throw new Error(`unexpected request ${url}`);
      return {
        url,
        status: 200,
        notModified: false,
        contentType: "application/octet-stream",
        headers: {},
        body: new Uint8Array(0),
        sha256: "x",
        fetchedAt: "2025-10-28T04:20:00Z",
        ...(typeof route === "function" ? route() : route),
      };
    },
  };
  return { http, asked, urls: () => asked.map((a) => a.url) };
}

const NOT_MODIFIED: Partial<HttpResponse> = { status: 304, notModified: true };

function recordingLog() {
  const lines: string[] = [];
  const log: Logger = {
    debug() {},
    info: (_obj, msg) => lines.push(`info: ${msg}`),
    warn: (_obj, msg) => lines.push(`warn: ${msg}`),
    error: (_obj, msg) => lines.push(`error: ${msg}`),
  };
  return { log, lines };
}

const ctxAt = (http: HttpClient, now: string, state: Record<string, unknown> = {}, log = silentLog) =>
  ({ http, log, now: new Date(now), state }) satisfies SourceContext;

describe("no.lovdata public-data list", () => {
  it("reads the captured shape: string sizes, times with and without milliseconds", () => {
    const files = parsePublicDataList(listing({ 2025: "2025-10-28T02:31:59.418Z" }));
    expect(files.map((f) => f.filename)).toEqual([
      "gjeldende-lover.tar.bz2",
      "lovtidend-avd1-2001-2024.tar.bz2",
      "lovtidend-avd1-2025.tar.bz2",
    ]);
    expect(yearlyArchive(files, 2025)).toEqual({
      filename: "lovtidend-avd1-2025.tar.bz2",
      lastModified: "2025-10-28T02:31:59.418Z",
      size: 2044,
    });
    expect(files[0]!.lastModified).toBe("2026-04-22T01:31:00.000Z");
    expect(yearlyArchive(files, 2024)).toBeNull();
    expect(bundleHolding(files, 2024)?.filename).toBe("lovtidend-avd1-2001-2024.tar.bz2");
    expect(bundleHolding(files, 2025)).toBeNull();
  });

  it("takes other spellings of the fields and a wrapping object", () => {
    const body = Buffer.from(
      JSON.stringify({
        files: [{ fileName: "lovtidend-avd1-2025.tar.bz2", modified: "2025-10-28T04:31:59+02:00", size: 7 }],
      }),
    );
    expect(parsePublicDataList(body)).toEqual([
      { filename: "lovtidend-avd1-2025.tar.bz2", lastModified: "2025-10-28T02:31:59.000Z", size: 7 },
    ]);
  });

  it("is strict about finding the file and its time", () => {
    expect(() => parsePublicDataList(Buffer.from("<html>"))).toThrow(/not JSON/);
    expect(() => parsePublicDataList(Buffer.from('{"status":"ok"}'))).toThrow(/not an array of files/);
    expect(() =>
      parsePublicDataList(
        Buffer.from('[{"filename":"gjeldende-lover.tar.bz2","lastModified":"2026-04-22T01:31:00Z"}]'),
      ),
    ).toThrow(/no lovtidend-avd1-… file among 1 \(gjeldende-lover\.tar\.bz2\)/);
    const twice = listing({ 2025: "2025-10-28T02:31:59Z" }, [
      { filename: "lovtidend-avd1-2025.tar.bz2", lastModified: "2025-10-29T02:31:59Z" },
    ]);
    expect(() => parsePublicDataList(twice)).toThrow(/names lovtidend-avd1-2025\.tar\.bz2 twice/);
    // A time without a zone is not an instant.
    for (const bad of ["2025-10-28T02:31:59", "28.10.2025", ""]) {
      const files = parsePublicDataList(listing({ 2025: bad }));
      expect(() => yearlyArchive(files, 2025), bad).toThrow(/no readable modification time/);
    }
  });
});

describe("no.lovdata.export-control definition and fetch", () => {
  it("is a Norwegian documents source citing the regulation as the list will", () => {
    expect(source).toMatchObject({
      id: "no.lovdata.export-control",
      jurisdiction: "NO",
      kind: "documents",
      officialUrl: "https://lovdata.no/dokument/SF/forskrift/2013-06-19-718",
      parserVersion: "no.lovdata.export-control/2",
    });
    expect(source.expectations).toMatchObject({ minEntries: 0, maxEntries: 30 });
    expect(publicDataListUrl()).toBe(LIST_URL);
    expect(lovtidendArchiveUrl(2025)).toBe(ARCHIVE_2025);
    const doc = parseLtiDocument({ body: fixture(AMENDMENT) }).document;
    expect(doc.cfrReferences).toEqual(["FOR-2013-06-19-718"]);
  });

  it("probes the list, then takes the year's archive once; unchanged list, no download", async () => {
    const fake = fakeHttp({
      [LIST_URL]: { body: listing({ 2025: "2025-10-28T02:31:59.418Z" }), headers: { etag: '"l1"' } },
      [ARCHIVE_2025]: { body: fixture(ARCHIVE) },
    });
    const first = await source.fetch(ctxAt(fake.http, "2025-10-28T04:20:00Z"));
    expect(fake.urls()).toEqual([LIST_URL, ARCHIVE_2025]);
    // The list is a probe: its validators are sent from the cursor, not the client's store.
    expect(fake.asked[0]!.options).toEqual({ conditional: false, headers: { accept: "application/json" } });
    // The archive: its artifacts are its members, so the client's store never holds its validators;
    // a first run has none of its own to send.
    expect(fake.asked[1]!.options).toEqual({ conditional: false, headers: {} });
    // Not the year's archive (rebuilt nightly): its one export-control amendment, byte for byte.
    expect(first.artifacts.map((a) => a.response.url)).toEqual([`${ARCHIVE_2025}#${MEMBER_2100}`]);
    const [member] = first.artifacts;
    expect(member!.response.sha256).toBe(sha256Hex(member!.response.body));
    const read = source.parse({ body: member!.response.body, url: member!.response.url });
    expect(read.kind === "documents" ? read.documents.map((d) => d.id) : read.kind).toEqual([
      "LTI/forskrift/2025-12-01-2100",
    ]);
    expect(first.state).toEqual({
      list: { etag: '"l1"', lastModified: null },
      archives: { "lovtidend-avd1-2025.tar.bz2": { lastModified: "2025-10-28T02:31:59.418Z", size: 2044 } },
      checkedAt: "2025-10-28T04:20:00.000Z",
      members: { [MEMBER_2100]: member!.response.sha256 },
    });

    // The server ignores the validators and answers 200 with the same list: still no download.
    fake.asked.length = 0;
    const again = await source.fetch(ctxAt(fake.http, "2025-10-28T14:20:00Z", first.state));
    expect(fake.urls()).toEqual([LIST_URL]);
    expect(fake.asked[0]!.options?.headers).toEqual({ accept: "application/json", "if-none-match": '"l1"' });
    expect(again.artifacts).toEqual([]);
    expect(again.state.archives).toEqual(first.state.archives);
  });

  it("does nothing when the list answers 304", async () => {
    const fake = fakeHttp({ [LIST_URL]: NOT_MODIFIED });
    const state = {
      list: { etag: '"l1"', lastModified: "Tue, 28 Oct 2025 02:31:59 GMT" },
      archives: { "lovtidend-avd1-2025.tar.bz2": { lastModified: "2025-10-28T02:31:59.418Z", size: 2044 } },
      checkedAt: "2025-10-28T04:20:00.000Z",
    };
    const result = await source.fetch(ctxAt(fake.http, "2025-10-29T04:20:00Z", state));
    expect(fake.asked[0]!.options?.headers).toEqual({
      accept: "application/json",
      "if-none-match": '"l1"',
      "if-modified-since": "Tue, 28 Oct 2025 02:31:59 GMT",
    });
    expect(fake.urls()).toEqual([LIST_URL]);
    expect(result).toEqual({ artifacts: [], state });
  });

  it("downloads when the archive moved; a 304 on the archive moves the cursor without an artifact", async () => {
    const state = {
      archives: { "lovtidend-avd1-2025.tar.bz2": { lastModified: "2025-10-28T02:31:59.418Z", size: 2044 } },
      checkedAt: "2025-10-28T04:20:00.000Z",
    };
    const moved = fakeHttp({
      [LIST_URL]: { body: listing({ 2025: "2025-10-29T02:31:12Z" }) },
      [ARCHIVE_2025]: { body: fixture(ARCHIVE) },
    });
    const result = await source.fetch(ctxAt(moved.http, "2025-10-29T04:20:00Z", state));
    expect(moved.urls()).toEqual([LIST_URL, ARCHIVE_2025]);
    expect(result.artifacts).toHaveLength(1);
    const same = fakeHttp({
      [LIST_URL]: { body: listing({ 2025: "2025-10-29T02:31:12Z" }) },
      [ARCHIVE_2025]: NOT_MODIFIED,
    });
    const unchanged = await source.fetch(ctxAt(same.http, "2025-10-29T04:20:00Z", state));
    expect(unchanged.artifacts).toEqual([]);
    expect(unchanged.state.archives).toEqual({
      "lovtidend-avd1-2025.tar.bz2": { lastModified: "2025-10-29T02:31:12.000Z", size: 2044 },
    });
  });

  it("in January, takes last year's archive when it moved after the last run, oldest first", async () => {
    const state = {
      archives: {
        "lovtidend-avd1-2024.tar.bz2": { lastModified: "2024-12-01T02:31:00.000Z", size: 2044 },
        "lovtidend-avd1-2025.tar.bz2": { lastModified: "2025-12-30T02:31:00.000Z", size: 2044 },
      },
      checkedAt: "2025-12-31T14:20:00.000Z",
    };
    const fake = fakeHttp({
      [LIST_URL]: { body: listing({ 2025: "2026-01-02T02:31:00Z", 2026: "2026-01-02T02:31:00Z" }) },
      [ARCHIVE_2025]: { body: fixture(ARCHIVE) },
      [ARCHIVE_2026]: { body: fixture(ARCHIVE) },
    });
    const result = await source.fetch(ctxAt(fake.http, "2026-01-02T04:20:00Z", state));
    expect(fake.urls()).toEqual([LIST_URL, ARCHIVE_2025, ARCHIVE_2026]);
    // The same amendment in both archives (the hand-made fixture serves for both years): taken once.
    expect(result.artifacts.map((a) => a.response.url)).toEqual([`${ARCHIVE_2025}#${MEMBER_2100}`]);
    // 2024's cursor is dropped: it is never looked at again.
    expect(Object.keys(result.state.archives as object)).toEqual([
      "lovtidend-avd1-2025.tar.bz2",
      "lovtidend-avd1-2026.tar.bz2",
    ]);

    // The next January run: nothing moved, nothing downloaded.
    fake.asked.length = 0;
    const later = await source.fetch(ctxAt(fake.http, "2026-01-02T14:20:00Z", result.state));
    expect(fake.urls()).toEqual([LIST_URL]);
    expect(later.artifacts).toEqual([]);
  });

  it("in early January without this year's file yet, checks last year's and logs", async () => {
    const { log, lines } = recordingLog();
    const fake = fakeHttp({
      [LIST_URL]: { body: listing({ 2025: "2026-01-01T02:31:00Z" }) },
      [ARCHIVE_2025]: { body: fixture(ARCHIVE) },
    });
    const state = {
      archives: { "lovtidend-avd1-2025.tar.bz2": { lastModified: "2025-12-31T02:31:00.000Z", size: 2044 } },
      checkedAt: "2025-12-31T14:20:00.000Z",
    };
    const result = await source.fetch(ctxAt(fake.http, "2026-01-01T04:20:00Z", state, log));
    expect(fake.urls()).toEqual([LIST_URL, ARCHIVE_2025]);
    expect(result.artifacts).toHaveLength(1);
    expect(lines).toEqual(["info: no.lovdata: no archive for this year yet"]);

    // First run ever in January: last year's archive is the baseline too; unmoved and already past: not taken.
    const first = fakeHttp({
      [LIST_URL]: { body: listing({ 2025: "2026-01-01T02:31:00Z" }) },
      [ARCHIVE_2025]: { body: fixture(ARCHIVE) },
    });
    expect((await source.fetch(ctxAt(first.http, "2026-01-01T04:20:00Z"))).artifacts).toHaveLength(1);
    const stale = fakeHttp({ [LIST_URL]: { body: listing({ 2025: "2025-12-20T02:31:00Z" }) } });
    const quiet = await source.fetch(
      ctxAt(stale.http, "2026-01-05T04:20:00Z", { checkedAt: "2026-01-04T14:20:00.000Z" }),
    );
    expect(stale.urls()).toEqual([LIST_URL]);
    expect(quiet.artifacts).toEqual([]);
  });

  it("logs when last year's archive has gone into the multi-year one", async () => {
    const { log, lines } = recordingLog();
    const fake = fakeHttp({
      [LIST_URL]: {
        body: listing({ 2026: "2026-01-20T02:31:00Z" }, [
          {
            filename: "lovtidend-avd1-2001-2025.tar.bz2",
            sizeBytes: "69285552",
            lastModified: "2026-01-20T01:30:00Z",
          },
        ]),
      },
    });
    const state = {
      archives: {
        "lovtidend-avd1-2025.tar.bz2": { lastModified: "2026-01-10T02:31:00.000Z", size: 2044 },
        "lovtidend-avd1-2026.tar.bz2": { lastModified: "2026-01-20T02:31:00.000Z", size: 2044 },
      },
      checkedAt: "2026-01-19T14:20:00.000Z",
    };
    const result = await source.fetch(ctxAt(fake.http, "2026-01-20T04:20:00Z", state, log));
    expect(result.artifacts).toEqual([]);
    expect(lines).toEqual(["info: no.lovdata: last year's archive is no longer listed on its own"]);
  });

  it("calls a list without this year's archive after January a changed source", async () => {
    const fake = fakeHttp({ [LIST_URL]: { body: listing({ 2025: "2025-12-31T02:31:00Z" }) } });
    await expect(source.fetch(ctxAt(fake.http, "2026-02-02T04:20:00Z"))).rejects.toThrow(
      SourceShapeChangedError,
    );
    await expect(source.fetch(ctxAt(fake.http, "2026-02-02T04:20:00Z"))).rejects.toThrow(
      /no lovtidend-avd1-2026\.tar\.bz2 after January/,
    );
  });

  it("backfills from the yearly archives listed, and names the years only the multi-year archive holds", async () => {
    const { log, lines } = recordingLog();
    const fake = fakeHttp({
      [LIST_URL]: { body: listing({ 2025: "2025-10-28T02:31:59Z" }) },
      [ARCHIVE_2025]: { body: fixture(ARCHIVE) },
    });
    const steps = [];
    for await (const step of source.backfill!(
      ctxAt(fake.http, "2025-10-28T12:00:00Z", {}, log),
      "2023-06-01",
    ))
      steps.push(step);
    expect(fake.urls()).toEqual([LIST_URL, ARCHIVE_2025]);
    expect(fake.asked[1]!.options).toEqual({ conditional: false, headers: {} });
    expect(steps.map((s) => [s.index, s.total, s.artifact.response.url])).toEqual([
      [1, 1, `${ARCHIVE_2025}#${MEMBER_2100}`],
    ]);
    expect(steps[0]!.state).toMatchObject({
      archives: { "lovtidend-avd1-2025.tar.bz2": { lastModified: "2025-10-28T02:31:59.000Z", size: 2044 } },
    });
    expect(lines).toEqual([
      "warn: no.lovdata: these years are only in Lovdata's multi-year archive, which backfill does not read",
    ]);
  });

  it("fetches through the real client from a local server: list, archive, then 304 on the list", async () => {
    let archiveRequests = 0;
    const server = await startSourceServer({
      "/v1/publicData/list": (req) =>
        req.headers["if-none-match"] === '"list-1"'
          ? { status: 304 }
          : {
              headers: { "content-type": "application/json", etag: '"list-1"' },
              body: listing({ 2025: "2025-12-05T02:31:00Z" }),
            },
      "/v1/publicData/get/lovtidend-avd1-2025.tar.bz2": () => {
        archiveRequests++;
        return { headers: { "content-type": "application/octet-stream" }, body: fixture(ARCHIVE) };
      },
    });
    try {
      const http = testHttpClient({ "https://api.lovdata.no": server.origin });
      const first = await source.fetch(ctxAt(http, "2025-12-05T04:20:00Z"));
      expect(first.artifacts).toHaveLength(1);
      const { response } = first.artifacts[0]!;
      expect(response.url).toBe(`${ARCHIVE_2025}#${MEMBER_2100}`);
      const snapshot = source.parse({
        body: response.body,
        url: response.url,
        contentType: response.contentType,
      });
      if (snapshot.kind !== "documents") throw new Error("expected documents");
      expect(snapshot.documents.map((d) => d.id)).toEqual(["LTI/forskrift/2025-12-01-2100"]);
      const second = await source.fetch(ctxAt(http, "2025-12-05T14:20:00Z", first.state));
      expect(second.artifacts).toEqual([]);
      expect(server.requests.map((r) => r.path)).toEqual([
        "/v1/publicData/list",
        "/v1/publicData/get/lovtidend-avd1-2025.tar.bz2",
        "/v1/publicData/list",
      ]);
      expect(archiveRequests).toBe(1);
    } finally {
      await server.close();
    }
  });
});
