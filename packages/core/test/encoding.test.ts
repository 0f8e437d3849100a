import { decodeText } from "@regwatch/core/encoding";
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
