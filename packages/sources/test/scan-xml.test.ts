import { parseXml } from "@regwatch/sources/xml";
import { describe, expect, it } from "vitest";
import { XmlScanner, XmlSyntaxError } from "../src/xml/scan-xml.ts";

type Event =
  | ["open", string, Record<string, string>]
  | ["close", string]
  | ["text", string]
  | ["doctype", string];

/** The scanner's events, adjacent text merged (consumers join text events). */
function scan(input: string | string[]): Event[] {
  const events: Event[] = [];
  const scanner = new XmlScanner({
    open: (name, attrs) => events.push(["open", name, { ...attrs }]),
    close: (name) => events.push(["close", name]),
    text: (t) => {
      const last = events[events.length - 1];
      if (last?.[0] === "text") last[1] += t;
      else events.push(["text", t]);
    },
    doctype: (raw) => events.push(["doctype", raw]),
  });
  for (const chunk of typeof input === "string" ? [input] : input) scanner.write(chunk);
  scanner.end();
  return events;
}

function scanError(input: string | string[]): XmlSyntaxError {
  try {
    scan(input);
  } catch (err) {
    if (err instanceof XmlSyntaxError) return err;
    throw err;
  }
  throw new Error("expected an XmlSyntaxError");
}

describe("XmlScanner events", () => {
  it("reports elements, attributes in document order and text, names as written", () => {
    expect(
      scan(
        '<?xml version="1.0" encoding="UTF-8"?>\n<r xml:lang="en" lims:pit-date=\'2024-01-02\'>a<b/>c</r>\n',
      ),
    ).toEqual([
      ["open", "r", { "xml:lang": "en", "lims:pit-date": "2024-01-02" }],
      ["text", "a"],
      ["open", "b", {}],
      ["close", "b"],
      ["text", "c"],
      ["close", "r"],
    ]);
  });

  it("gives a self-closing element as open then close, spaces allowed before '/>' and '>'", () => {
    expect(scan('<r><a x = "1" /><b ></b ></r>')).toEqual([
      ["open", "r", {}],
      ["open", "a", { x: "1" }],
      ["close", "a"],
      ["open", "b", {}],
      ["close", "b"],
      ["close", "r"],
    ]);
  });

  it("decodes the five predefined entities and character references in text and attributes", () => {
    expect(
      scan(
        '<r a="&lt;&gt;&amp;&apos;&quot;&#65;&#x42;&#x1F600;">&lt;&gt;&amp;&apos;&quot;&#65;&#x42;&#x1f600;</r>',
      ),
    ).toEqual([
      ["open", "r", { a: "<>&'\"AB\u{1F600}" }],
      ["text", "<>&'\"AB\u{1F600}"],
      ["close", "r"],
    ]);
  });

  it("gives CDATA content as text, markup characters and all, joined with the text around it", () => {
    expect(scan("<r>a<![CDATA[<b>&amp;]]]]><![CDATA[>]]>c<![CDATA[]]></r>")).toEqual([
      ["open", "r", {}],
      ["text", "a<b>&amp;]]>c"],
      ["close", "r"],
    ]);
  });

  it("skips comments and processing instructions anywhere", () => {
    expect(
      scan("<!-- before --><?pi data?><r>a<!-- in - side -->b<?pi x?>c</r><!-- after --><?pi?>"),
    ).toEqual([
      ["open", "r", {}],
      ["text", "abc"],
      ["close", "r"],
    ]);
  });

  it("reports the DOCTYPE as written and finds its end past ']' and '>' in literals and comments", () => {
    const subset = ' r [<!ELEMENT r ANY><!-- ] > --><!ATTLIST r a CDATA "x>]"><?pi ]>?>\n]';
    expect(scan(`<!DOCTYPE${subset}><r/>`)).toEqual([
      ["doctype", subset],
      ["open", "r", {}],
      ["close", "r"],
    ]);
    expect(scan('<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" "x.dtd"><html/>')[0]).toEqual([
      "doctype",
      ' html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" "x.dtd"',
    ]);
  });

  it("normalizes CRLF and lone CR to LF in text and CDATA", () => {
    expect(scan("<r>a\r\nb\rc\n<![CDATA[d\r\ne\rf]]></r>")).toEqual([
      ["open", "r", {}],
      ["text", "a\nb\nc\nd\ne\nf"],
      ["close", "r"],
    ]);
  });

  it("turns literal tab, LF, CR and CRLF in attribute values into one space each, references kept", () => {
    expect(scan('<r a="x\ty\nz\r\nw\rv&#10;&#9;&#13;"/>')[0]).toEqual([
      "open",
      "r",
      { a: "x y z w v\n\t\r" },
    ]);
  });

  it("accepts non-ASCII names and keeps attributes named like Object.prototype members as data", () => {
    expect(scan('<café 名前="1" __proto__="p" constructor="c"/>')[0]).toEqual([
      "open",
      "café",
      // Built from entries: in an object literal `__proto__:` would set the prototype.
      Object.fromEntries([
        ["名前", "1"],
        ["__proto__", "p"],
        ["constructor", "c"],
      ]),
    ]);
    const [, , attrs] = scan('<r __proto__="p"/>')[0] as ["open", string, Record<string, string>];
    expect(Object.keys(attrs)).toEqual(["__proto__"]);
  });

  it("does not report whitespace outside the root element", () => {
    expect(scan(" \n\t<r/>\r\n ")).toEqual([
      ["open", "r", {}],
      ["close", "r"],
    ]);
  });
});

describe("XmlScanner on malformed XML", () => {
  const cases: [string, string, RegExp][] = [
    ["mismatched end tag", "<a><b></a>", /end tag <\/a> does not match <b> at line 1, column 7$/],
    ["unclosed element", "<a><b></b>", /unclosed element <a> at end of input/],
    ["end tag with no open element", "</a>", /end tag <\/a> without an open element/],
    ["end tag after the root", "<a/></a>", /end tag <\/a> without an open element/],
    ["text after the root", "<a/>x", /text after the root element \('x'\)/],
    ["text before the root", "x<a/>", /text before the root element/],
    ["second root", "<a/><b/>", /second root element <b>/],
    ["entity outside the root", "<a/>&amp;", /text after the root element/],
    ["empty document", "", /no root element/],
    ["prolog only", '<?xml version="1.0"?>\n<!-- c -->', /no root element/],
    ["unclosed start tag", "<a><b", /unclosed start tag/],
    ["unclosed start tag in an attribute", '<a b="x', /unclosed start tag/],
    ["unclosed end tag", "<a></a", /unclosed end tag/],
    ["unclosed comment", "<a><!-- x", /unclosed comment/],
    ["unclosed CDATA", "<a><![CDATA[x", /unclosed CDATA section/],
    ["unclosed processing instruction", "<a><?pi x", /unclosed processing instruction/],
    ["unclosed DOCTYPE", "<!DOCTYPE a [<!ELEMENT a ANY>", /unclosed DOCTYPE/],
    ["'<' at the end", "<a><", /'<' at end of input/],
    ["'<' in an attribute value", '<a b="1<2"/>', /'<' is not allowed in an attribute value/],
    ["unquoted attribute value", "<a b=c/>", /value of attribute b of <a> is not quoted/],
    ["attribute without a value", "<a b/>", /attribute b of <a> has no value/],
    ["duplicate attribute", '<a b="1" b="2"/>', /duplicate attribute b in <a>/],
    ["attributes without space between", '<a b="1"c="2"/>', /must be separated by whitespace/],
    ["element name starting with a digit", "<1a/>", /element name "1a" is not a valid XML name/],
    ["attribute name starting with '-'", '<a -b="1"/>', /attribute name "-b" is not a valid XML name/],
    ["non-name character in a name", "<a\u00d7b/>", /element name "a\u00d7b" is not a valid XML name/],
    ["space after '<'", "<a>< b/></a>", /U\+0020 after '<'/],
    ["stray character in a tag", "<a b='1' %/>", /'%' in start tag <a>/],
    ["'/' not followed by '>'", "<a/ >", /expected '>' after '\/'/],
    ["bare '&'", "<a>AT&T</a>", /'&' that starts no reference/],
    ["'&' with a space", "<a>x & y;</a>", /'&' that starts no reference/],
    ["unterminated reference", "<a>&amp</a>", /'&' that starts no reference/],
    ["undefined entity", "<a>&nbsp;</a>", /undefined entity &nbsp;/],
    ["undefined entity in an attribute", '<a b="&copy;"/>', /undefined entity &copy;/],
    ["reference to U+0000", "<a>&#0;</a>", /character reference &#0; is not an allowed XML character/],
    ["reference to a surrogate", "<a>&#xD800;</a>", /&#xD800; is not an allowed XML character/],
    ["reference beyond Unicode", "<a>&#x110000;</a>", /&#x110000; is not an allowed XML character/],
    ["malformed character reference", "<a>&#12a;</a>", /malformed character reference/],
    ["uppercase X in a hex reference", "<a>&#X41;</a>", /malformed character reference/],
    ["empty character reference", "<a>&#;</a>", /malformed character reference/],
    ["']]>' in text", "<a>x]]>y</a>", /']]>' is not allowed in character data/],
    ["C0 control character", "<a>x\u0001</a>", /character U\+0001 is not allowed in XML at line 1, column 5/],
    ["control character in an attribute", '<a b="\u001f"/>', /character U\+001F is not allowed/],
    ["control character in a comment", "<a><!--\u0008--></a>", /character U\+0008 is not allowed/],
    ["U+FFFE", "<a>\ufffe</a>", /character U\+FFFE is not allowed/],
    ["U+FFFF", "<a>\uffff</a>", /character U\+FFFF is not allowed/],
    ["lone high surrogate", "<a>\ud800x</a>", /character U\+D800 is not allowed/],
    ["lone low surrogate", "<a>\udc00</a>", /character U\+DC00 is not allowed/],
    ["'--' in a comment", "<a><!-- a -- b --></a>", /'--' is not allowed inside a comment/],
    ["comment ending in '--->'", "<a><!-- a ---></a>", /'--' is not allowed inside a comment/],
    [
      "unknown '<!' markup",
      "<a><!ELEMENT a ANY></a>",
      /'<!' that starts no comment, CDATA section or DOCTYPE/,
    ],
    [
      "XML declaration not first",
      ' <?xml version="1.0"?><a/>',
      /XML declaration is allowed only at the very start/,
    ],
    [
      "XML declaration in content",
      '<a><?xml version="1.0"?></a>',
      /XML declaration is allowed only at the very start/,
    ],
    ["reserved PI target", "<a><?XML x?></a>", /XML declaration is allowed only at the very start/],
    ["malformed XML declaration", '<?xml encoding="UTF-8"?><a/>', /malformed XML declaration/],
    ["PI without a target", "<a><? x?></a>", /processing instruction without a target/],
    ["DOCTYPE after the root", "<a/><!DOCTYPE a>", /DOCTYPE is allowed only once, before the root element/],
    ["two DOCTYPEs", "<!DOCTYPE a><!DOCTYPE a><a/>", /DOCTYPE is allowed only once/],
    ["CDATA outside the root", "<![CDATA[x]]><a/>", /CDATA section outside the root element/],
    ["malformed end tag", "<a></a x>", /malformed end tag/],
  ];
  for (const [what, input, message] of cases) {
    it(`refuses ${what}`, () => {
      expect(scanError(input).message).toMatch(message);
    });
  }

  it("gives the line and column of the error, CRLF and lone CR counting as one line break", () => {
    expect(scanError("<a>\n  <b>\n</a>").message).toMatch(/does not match <b> at line 3, column 1$/);
    expect(scanError("<a>\r\n\r\n  <b>x</c>").message).toMatch(/at line 3, column 7$/);
    expect(scanError("<a>\r\r  &bad;</a>").message).toMatch(/at line 3, column 3$/);
    const error = scanError(["<a>\nxx", "x\nyy", "y</a><b/>"]);
    expect([error.line, error.column]).toEqual([3, 8]);
  });

  it("refuses a surrogate left alone at the end of the input", () => {
    expect(scanError(["<a>x</a>", "\ud800"]).message).toMatch(/U\+D800/);
  });

  it("keeps the 'malformed XML:' prefix and the position through parseXml", () => {
    expect(() => parseXml("<a>\n</b>", { fileName: "x.xml" })).toThrow(
      /^x\.xml: malformed XML: end tag <\/b> does not match <a> at line 2, column 1$/,
    );
  });
});

describe("XmlScanner on input in slices", () => {
  // Every construct, with multi-character tokens (references, CRLF, a surrogate pair, "]]" near '>') that a cut can split.
  const doc =
    '\ufeff<?xml version="1.0"?>\r\n<!DOCTYPE r [<!ATTLIST r a CDATA "]>">]>\n' +
    "<!-- c - -->" +
    "<r a=\"x&amp;y\" b='&#x1F600;\t\r\nz\u{1F600}'>t&lt;&#65;\u{1F600}]]&gt;] ]\r\n\r<![CDATA[c<>]]]>" +
    "<s/><t x='>'></t><?pi d?>e&quot;</r>\r\n<!--z-->";
  const body = doc.slice(1);
  const whole = scan(body);

  it("sees the whole document the same way as a baseline", () => {
    expect(whole).toEqual([
      ["doctype", ' r [<!ATTLIST r a CDATA "]>">]'],
      ["open", "r", { a: "x&y", b: "\u{1F600}  z\u{1F600}" }],
      ["text", "t<A\u{1F600}]]>] ]\n\nc<>]"],
      ["open", "s", {}],
      ["close", "s"],
      ["open", "t", { x: ">" }],
      ["close", "t"],
      ["text", 'e"'],
      ["close", "r"],
    ]);
  });

  it("gives the same events when cut in two at every position", () => {
    for (let i = 0; i <= body.length; i++) {
      expect(scan([body.slice(0, i), body.slice(i)]), `cut at ${i}`).toEqual(whole);
    }
  });

  it("gives the same events one character at a time, and with empty chunks in between", () => {
    expect(scan([...body.split(""), ""])).toEqual(whole);
    expect(scan(body.split("").flatMap((c) => [c, ""]))).toEqual(whole);
  });

  it("finds the same errors wherever the input is cut", () => {
    const bad = '<r a="1">x &#0; y</r>';
    const expected = scanError(bad).message;
    for (let i = 0; i <= bad.length; i++) {
      expect(scanError([bad.slice(0, i), bad.slice(i)]).message, `cut at ${i}`).toBe(expected);
    }
    const split = ["<r>x]", "]", ">y</r>"];
    expect(scanError(split).message).toMatch(/']]>' is not allowed in character data/);
  });

  it("reports each element once its chunk has arrived, whatever the chunks cut", () => {
    const seen: string[] = [];
    const scanner = new XmlScanner({ open: (name) => seen.push(name), close() {}, text() {} });
    const input = "<r><!-- c --><?pi x?><![CDATA[x]]><a b='>'/><s/>";
    for (const c of input) {
      scanner.write(c);
      scanner.write("");
    }
    expect(seen).toEqual(["r", "a", "s"]);
  });

  it("scans a comment, CDATA section and text far longer than a chunk", () => {
    const long = "x".repeat(100_000);
    const input = `<r><!--${long}--><![CDATA[${long}]]>${long}</r>`;
    const chunks: string[] = [];
    for (let i = 0; i < input.length; i += 997) chunks.push(input.slice(i, i + 997));
    const events = scan(chunks);
    expect(events.map((e) => (e[0] === "text" ? e[1].length : e))).toEqual([
      ["open", "r", {}],
      200_000,
      ["close", "r"],
    ]);
    expect(events[1]).toEqual(["text", long + long]);
  });
});
