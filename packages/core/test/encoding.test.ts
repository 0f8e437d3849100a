import { decodeChunks, decodeText } from "@regwatch/core/encoding";
import { SourceShapeChangedError } from "@regwatch/core/errors";
import { describe, expect, it } from "vitest";

describe("decodeText", () => {
  it("decodes Shift_JIS declared in the XML declaration", () => {
    // 輸出貿易管理令 in Shift_JIS, inside an XML document that says so.
    const head = Buffer.from('<?xml version="1.0" encoding="Shift_JIS"?><Law>', "latin1");
    const body = Buffer.from([
      0x97, 0x41, 0x8f, 0x6f, 0x96, 0x66, 0x88, 0xd5, 0x8a, 0xc7, 0x97, 0x9d, 0x97, 0xdf,
    ]);
    const tail = Buffer.from("</Law>", "latin1");
    const decoded = decodeText(Buffer.concat([head, body, tail]));
    expect(decoded.text).toContain("輸出貿易管理令");
    expect(decoded).toMatchObject({ charset: "shift_jis", from: "xml-declaration" });
  });

  it("decodes windows-1252 declared in Content-Type, curly quotes and the euro sign included", () => {
    const bytes = Buffer.from([0x93, 0x45, 0x55, 0x52, 0x94, 0x20, 0x80, 0x35]);
    const decoded = decodeText(bytes, "text/html; charset=windows-1252");
    expect(decoded.text).toBe("\u201cEUR\u201d \u20ac5");
    expect(decoded.from).toBe("content-type");
  });

  it("treats latin1 labels as windows-1252, as browsers do", () => {
    expect(decodeText(Buffer.from([0x96, 0x20, 0xe9]), "text/plain; charset=ISO-8859-1").text).toBe(
      "\u2013 \u00e9",
    );
  });

  it("prefers the byte-order mark and drops it", () => {
    const decoded = decodeText(
      Buffer.from([0xef, 0xbb, 0xbf, 0x3c, 0x61, 0x2f, 0x3e]),
      "text/xml; charset=iso-8859-1",
    );
    expect(decoded).toEqual({ text: "<a/>", charset: "utf-8", from: "bom" });
  });

  it("takes the charset from an HTML meta tag", () => {
    const html = Buffer.concat([
      Buffer.from('<html><head><meta charset="Shift_JIS"></head><body>'),
      Buffer.from([0x93, 0xfa, 0x96, 0x7b]),
    ]);
    expect(decodeText(html).text).toContain("日本");
  });

  it("refuses bytes that are not valid in the chosen encoding instead of inventing characters", () => {
    const latin1 = Buffer.from("caf\xe9", "latin1");
    expect(() => decodeText(latin1)).toThrow(SourceShapeChangedError);
    expect(() => decodeText(latin1)).toThrow(/not valid utf-8.*no charset was declared/);
  });

  it("names an unknown charset", () => {
    expect(() => decodeText(Buffer.from("x"), "text/plain; charset=x-klingon")).toThrow(
      /unsupported character encoding "x-klingon"/,
    );
  });
});

describe("decodeChunks", () => {
  const joined = (bytes: Uint8Array, contentType: string | null, size: number) =>
    [...decodeChunks(bytes, contentType, size).chunks].join("");

  it("gives the same text as decodeText whatever the slice size, characters split across slices included", () => {
    // Two-, three- and four-byte UTF-8 characters at every offset against small slices.
    const text = "§ 3B001 \u201cGAAFET\u201d 輸出 \u{1F4C8} naïve – end";
    const bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text.repeat(7))]);
    for (const size of [1, 2, 3, 4, 5, 7, 16, 1 << 20]) {
      expect(joined(bytes, null, size)).toBe(decodeText(bytes).text);
    }
    const sjis = Buffer.concat([
      Buffer.from('<?xml version="1.0" encoding="Shift_JIS"?><Law>', "latin1"),
      Buffer.from([0x97, 0x41, 0x8f, 0x6f, 0x96, 0x66, 0x88, 0xd5, 0x8a, 0xc7]),
      Buffer.from("</Law>", "latin1"),
    ]);
    for (const size of [1, 3, 64]) expect(joined(sjis, null, size)).toBe(decodeText(sjis).text);
    const cp1252 = Buffer.from([0x93, 0x45, 0x55, 0x52, 0x94, 0x20, 0x80, 0x35]);
    expect(joined(cp1252, "text/html; charset=windows-1252", 3)).toBe("\u201cEUR\u201d \u20ac5");
    expect(joined(Buffer.alloc(0), null, 8)).toBe("");
  });

  it("keeps Latin-1 text at one byte a character", () => {
    // TextDecoder in stream mode returns two-byte strings: a large list would take twice the memory.
    const { chunks } = decodeChunks(Buffer.from("caf\u00e9 ".repeat(1000)), null, 256);
    for (const chunk of chunks) expect(/[^\x00-\xff]/.test(chunk)).toBe(false);
    expect(Buffer.byteLength([...decodeChunks(Buffer.from("ab"), null).chunks].join(""), "latin1")).toBe(2);
  });

  it("refuses invalid bytes when their slice is reached, with decodeText's message", () => {
    const bytes = Buffer.concat([Buffer.from("a".repeat(100)), Buffer.from([0xc3, 0x28]), Buffer.from("b")]);
    const { chunks } = decodeChunks(bytes, null, 16);
    expect(() => [...chunks]).toThrow(/not valid utf-8.*no charset was declared/);
    // A truncated multi-byte character at the very end is invalid too.
    expect(() => [...decodeChunks(Buffer.from([0x61, 0xe2, 0x80]), null, 2).chunks]).toThrow(
      SourceShapeChangedError,
    );
  });
});
