import { load } from "cheerio/slim";
import { describe, expect, it } from "vitest";
import { htmlLines, htmlText } from "../src/html-lines.ts";

const nodes = (html: string) => load(html, null, false).root().contents().toArray();

describe("HTML read as lines", () => {
  it("gives a line per block, inline markup joined, spaces collapsed and NFC", () => {
    const html =
      "<h2>Article 1<sup>er</sup></h2><p>Les  biens <em>à double</em>\n usage</p><ul><li>a) un</li><li>b) deux<br>suite</li></ul>text after";
    expect(htmlLines(nodes(html)).map(({ text, level }) => [text, level])).toEqual([
      ["Article 1er", 2],
      ["Les biens à double usage", 0],
      ["a) un", 0],
      ["b) deux", 0],
      ["suite", 0],
      ["text after", 0],
    ]);
    // Decomposed "é" (e + combining acute) is stored composed.
    expect(htmlText(nodes("<p>re\u0301gime</p>"))).toBe("r\u00e9gime");
  });

  it("keeps a table's cells on their row's line, or gives each its own", () => {
    const html =
      "<table><tr><th>ECCN</th><th>Item</th></tr><tr><td>3B001</td><td>Equipment</td></tr></table>";
    expect(htmlText(nodes(html))).toBe("ECCN Item\n3B001 Equipment");
    expect(htmlText(nodes(html), { cells: "line" })).toBe("ECCN\nItem\n3B001\nEquipment");
  });

  it("reads raised text joined, or after a caret where it is an exponent", () => {
    expect(htmlText(nodes("<p>10<sup>-4</sup> Pa</p>"))).toBe("10-4 Pa");
    expect(htmlText(nodes("<p>10<sup>-4</sup> Pa</p>"), { sup: "caret" })).toBe("10^-4 Pa");
  });

  it("skips script, style, embedded documents and comments, and keeps markup written as text", () => {
    const html =
      '<p>before</p><script>alert("x")</script><style>p{}</style><noscript>enable JS</noscript><template><p>t</p></template><!-- c --><p>&lt;script&gt;shown&lt;/script&gt;</p>';
    expect(htmlText(nodes(html))).toBe("before\n<script>shown</script>");
  });

  it("writes what a source asks for in place of code, on a line of its own", () => {
    const seen: string[] = [];
    const text = htmlText(nodes("<p>a<script>x()</script>b</p>"), {
      code: (el) => {
        seen.push(el.name);
        return "[code]";
      },
    });
    expect(text).toBe("a\n[code]\nb");
    expect(seen).toEqual(["script"]);
  });

  it("takes heading levels and prefixes from the source, and names the block a line began in", () => {
    const html = '<p class="Heading1">Part 1</p><ol><li>first</li><li><p>inner</p>tail</li></ol>';
    const lines = htmlLines(nodes(html), {
      headingLevel: (el) => (el.attribs.class === "Heading1" ? 1 : 0),
      prefix: (el) => (el.name === "li" ? "• " : ""),
    });
    expect(lines.map(({ text, level, block }) => [text, level, block?.name ?? null])).toEqual([
      ["Part 1", 1, "p"],
      ["• first", 0, "li"],
      ["•", 0, "li"],
      ["inner", 0, "p"],
      // After a nested block has ended, no block began the line.
      ["tail", 0, null],
    ]);
  });
});
