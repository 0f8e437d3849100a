import type { ChangeRecord } from "@regwatch/core/schemas";
import { describe, expect, it } from "vitest";
import { CCL_CHANGE as FIXTURE } from "../../../test/support/change-fixture.ts";
import { CHANGE_CSV_COLUMNS, changeCsvRow, changesCsv, csvRow } from "../src/formats/csv.ts";

/**
 * A strict RFC 4180 reader: records end in CRLF (the last one may not), a
 * quoted field holds anything with quotes doubled, an unquoted field holds no
 * quote, CR or LF. Anything else throws, so a sloppy writer cannot pass.
 */
function readCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let i = 0;
  const atRecordEnd = () => i === text.length || text.startsWith("\r\n", i);
  for (;;) {
    let field = "";
    if (text[i] === '"') {
      i++;
      for (;;) {
        if (i >= text.length) throw new Error("unterminated quoted field");
        if (text[i] === '"') {
          if (text[i + 1] === '"') {
            field += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        field += text[i++];
      }
      if (!atRecordEnd() && text[i] !== ",") throw new Error(`text after closing quote at ${i}`);
    } else {
      while (!atRecordEnd() && text[i] !== ",") {
        const ch = text[i]!;
        if (ch === '"' || ch === "\r" || ch === "\n")
          throw new Error(`${JSON.stringify(ch)} in unquoted field at ${i}`);
        field += ch;
        i++;
      }
    }
    record.push(field);
    if (text[i] === ",") {
      i++;
      continue;
    }
    records.push(record);
    record = [];
    if (i === text.length) break;
    i += 2;
    if (i === text.length) break;
  }
  return records;
}

const CHANGE: ChangeRecord = {
  ...FIXTURE,
  id: "0123456789abcdef0123456789abcdef",
  provenance: { ...FIXTURE.provenance, parserVersion: "3" },
};

const change = (c: Partial<ChangeRecord>): ChangeRecord => ({ ...CHANGE, ...c });
const changeUrl = (id: string) => `https://regwatch.example/changes/${encodeURIComponent(id)}`;

describe("csvRow", () => {
  it("writes plain fields unquoted, separated by commas, ending in CRLF", () => {
    expect(csvRow(["3B001", "CCL", 42])).toBe("3B001,CCL,42\r\n");
  });

  it("quotes fields with commas, quotes, line breaks or edge spaces, doubling quotes", () => {
    expect(
      csvRow(["a,b", 'say "hi"', "two\r\nlines", "lf\nonly", "cr\ronly", " lead", "trail ", "in side"]),
    ).toBe('"a,b","say ""hi""","two\r\nlines","lf\nonly","cr\ronly"," lead","trail ",in side\r\n');
  });

  it("writes null and undefined as empty fields", () => {
    expect(csvRow([null, "x", undefined])).toBe(",x,\r\n");
    expect(csvRow([null])).toBe("\r\n");
  });

  it("prefixes text that a spreadsheet would run as a formula with a single quote", () => {
    expect(csvRow(['=HYPERLINK("http://evil")', "+1", "-2", "@SUM(A1)", "\tcmd", "\rcmd"])).toBe(
      `"'=HYPERLINK(""http://evil"")",'+1,'-2,'@SUM(A1),'\tcmd,"'\rcmd"\r\n`,
    );
    expect(csvRow(["a=b", "3-4", "x@y"])).toBe("a=b,3-4,x@y\r\n");
  });

  it("leaves numbers passed as numbers untouched, but treats numeric strings as text", () => {
    expect(csvRow([-5, 3.2, 0, -0.5, 1e21])).toBe("-5,3.2,0,-0.5,1e+21\r\n");
    expect(csvRow(["-5", "+3.2"])).toBe("'-5,'+3.2\r\n");
  });

  it("writes non-finite numbers as text, prefixed where they would start a formula", () => {
    expect(csvRow([Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY])).toBe(
      "NaN,Infinity,'-Infinity\r\n",
    );
  });

  it("strips C0 controls other than tab/CR/LF and bidi overrides from text", () => {
    expect(
      csvRow(["a\u0000b\u0001c\u001fd\u007f", "3B\u202e100\u202c1", "x\u2066y\u2069\u200f", "t\tab"]),
    ).toBe("abcd,3B1001,xy,t\tab\r\n");
  });

  it("checks for a formula after stripping, so a hidden control cannot shield one", () => {
    expect(csvRow(["\u0001=1+1", "\u202e-2"])).toBe("'=1+1,'-2\r\n");
  });
});

describe("changesCsv", () => {
  it("starts with a header row naming every column", () => {
    const [header, ...rest] = readCsv(changesCsv([], changeUrl));
    expect(header).toEqual([...CHANGE_CSV_COLUMNS]);
    expect(rest).toEqual([]);
  });

  it("writes one change's fields in column order", () => {
    const [, row] = readCsv(changesCsv([CHANGE], changeUrl));
    expect(Object.fromEntries(CHANGE_CSV_COLUMNS.map((column, i) => [column, row![i]]))).toEqual({
      id: CHANGE.id,
      detected_at: "2024-09-06T12:00:00Z",
      published_at: "2024-09-06",
      effective_at: "2024-09-06",
      jurisdiction: "US",
      source: "us.ecfr.ccl",
      kind: "added",
      subject: "3B001.c.1.a",
      title: CHANGE.title,
      summary: "paragraph c.1.a added",
      technologies: "semiconductor-manufacturing-equipment;gaafet",
      countries: "CN;MO",
      citation: "89 FR 72926",
      official_url: "https://www.ecfr.gov/current/title-15/part-774",
      regwatch_url: `https://regwatch.example/changes/${CHANGE.id}`,
      artifact_sha256: "a".repeat(64),
      parser_version: "3",
    });
  });

  it("leaves out official links that are not http(s) and writes missing values empty", () => {
    const row = changeCsvRow(
      change({ url: "javascript:alert(1)", citation: null, publishedAt: null, effectiveAt: null }),
      changeUrl(CHANGE.id),
    );
    const [fields] = readCsv(row);
    const at = (column: (typeof CHANGE_CSV_COLUMNS)[number]) => fields![CHANGE_CSV_COLUMNS.indexOf(column)];
    expect(at("official_url")).toBe("");
    expect(at("citation")).toBe("");
    expect(at("published_at")).toBe("");
    expect(at("effective_at")).toBe("");
    expect(fields).toHaveLength(CHANGE_CSV_COLUMNS.length);
  });

  it("round-trips hostile text through a strict RFC 4180 reader", () => {
    const title = 'Line one, "quoted"\r\nline two <script>alert("x")</script> & more';
    const subject = "5A002.a\nnote";
    const csv = changesCsv(
      [
        change({ title, subject, citation: "89 FR 72926, 72930" }),
        change({ id: "second", title: " padded " }),
      ],
      changeUrl,
    );
    const [header, first, second, ...rest] = readCsv(csv);
    expect(rest).toEqual([]);
    const titleAt = header!.indexOf("title");
    expect(first![titleAt]).toBe(title);
    expect(first![header!.indexOf("subject")]).toBe(subject);
    expect(first![header!.indexOf("citation")]).toBe("89 FR 72926, 72930");
    expect(second![titleAt]).toBe(" padded ");
    expect(second![header!.indexOf("id")]).toBe("second");
    expect(first).toHaveLength(CHANGE_CSV_COLUMNS.length);
    expect(second).toHaveLength(CHANGE_CSV_COLUMNS.length);
  });

  it("prefixes a change title that would run as a formula", () => {
    const [, row] = readCsv(changesCsv([change({ title: '=cmd|" /C calc"!A0' })], changeUrl));
    expect(row![CHANGE_CSV_COLUMNS.indexOf("title")]).toBe(`'=cmd|" /C calc"!A0`);
  });

  it("adds no byte order mark by default and U+FEFF first with { bom: true }", () => {
    const plain = changesCsv([CHANGE], changeUrl);
    const marked = changesCsv([CHANGE], changeUrl, { bom: true });
    expect(plain.startsWith("id,")).toBe(true);
    expect(marked).toBe(`\ufeff${plain}`);
    expect(Buffer.from(marked, "utf8").subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
  });
});

describe("readCsv (the test's own reader)", () => {
  it("rejects what RFC 4180 does not allow", () => {
    expect(() => readCsv('a"b\r\n')).toThrow();
    expect(() => readCsv('"a"b\r\n')).toThrow();
    expect(() => readCsv("a\nb\r\n")).toThrow();
    expect(() => readCsv('"open\r\n')).toThrow();
  });
});
