import { SourceShapeChangedError } from "@regwatch/core/errors";
import { parseXml, textOf } from "@regwatch/sources/xml";
import { describe, expect, it } from "vitest";

describe("parseXml on hostile and broken input", () => {
  it("refuses entity declarations instead of expanding a billion laughs", () => {
    const lol = `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">${Array.from({ length: 9 }, (_, i) => `<!ENTITY lol${i + 1} "${`&lol${i === 0 ? "" : i};`.repeat(10)}">`).join("")}]><lolz>&lol9;</lolz>`;
    expect(() => parseXml(lol)).toThrow(SourceShapeChangedError);
    expect(() => parseXml(lol)).toThrow(/declares XML entities; refusing to expand them/);
  });

  it("refuses an external entity (XXE)", () => {
    const xxe = '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><r>&xxe;</r>';
    expect(() => parseXml(xxe)).toThrow(/refusing to expand/);
  });

  it("names an undefined entity as malformed XML", () => {
    expect(() => parseXml("<r>&nbsp;</r>")).toThrow(/malformed XML: .*undefined entity/i);
  });

  it("reports where a document breaks off", () => {
    expect(() => parseXml("<Regulation><Body><Section>", { fileName: "SOR-89-202.xml" })).toThrow(
      /^SOR-89-202\.xml: malformed XML: /,
    );
    expect(() => parseXml("")).toThrow(SourceShapeChangedError);
  });

  it("refuses nesting deeper than any legal text", () => {
    expect(() => parseXml(`${"<a>".repeat(300)}${"</a>".repeat(300)}`)).toThrow(/nested deeper than 256/);
  });

  it("keeps markup-looking text as text, entities resolved once", () => {
    const root = parseXml("<p>&lt;script&gt;alert(1)&lt;/script&gt; &amp;amp;</p>");
    expect(textOf(root)).toBe("<script>alert(1)</script> &amp;");
  });
});
