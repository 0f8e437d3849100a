/** A well-formedness error and where it is (1-based line and column; columns count UTF-16 code units). */
export class XmlSyntaxError extends Error {
  override name = "XmlSyntaxError";
  constructor(
    readonly reason: string,
    readonly line: number,
    readonly column: number,
  ) {
    super(`${reason} at line ${line}, column ${column}`);
  }
}

export interface XmlScanHandlers {
  /** `attrs` in document order; a fresh plain object per element. */
  open(name: string, attrs: Record<string, string>): void;
  close(name: string): void;
  /** Character data and CDATA inside the root element, references decoded; one run may come in several calls. */
  text(text: string): void;
  /** The DOCTYPE declaration as written between `<!DOCTYPE` and its closing `>`. */
  doctype?(raw: string): void;
}

const LF = 0x0a;
const CR = 0x0d;
const QUOT = 0x22;
const HASH = 0x23;
const SEMI = 0x3b;
const LT = 0x3c;
const AMP = 0x26;
const APOS = 0x27;
const SLASH = 0x2f;
const EQ = 0x3d;
const GT = 0x3e;
const QUESTION = 0x3f;
const BANG = 0x21;
const RBRACKET = 0x5d;

// 2: may start a name, 1: may continue one. Non-ASCII name characters go through NAME.
const NAME_ASCII = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  const ch = String.fromCharCode(c);
  if (/[A-Za-z_:]/.test(ch)) NAME_ASCII[c] = 2;
  else if (/[0-9.-]/.test(ch)) NAME_ASCII[c] = 1;
}
// XML 1.0 fifth edition, productions [4] and [4a].
const NAME_START =
  ":A-Z_a-z\\u00C0-\\u00D6\\u00D8-\\u00F6\\u00F8-\\u02FF\\u0370-\\u037D\\u037F-\\u1FFF\\u200C-\\u200D\\u2070-\\u218F\\u2C00-\\u2FEF\\u3001-\\uD7FF\\uF900-\\uFDCF\\uFDF0-\\uFFFD\\u{10000}-\\u{EFFFF}";
const NAME = new RegExp(`^[${NAME_START}][${NAME_START}.0-9\\u00B7\\u0300-\\u036F\\u203F-\\u2040-]*$`, "u");

// Characters outside production [2] (Char), plus surrogates, which are fine in pairs.
const SUSPECT = /[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]/g;
const NOT_SPACE = /[^ \t\n\r]/;
const XML_DECLARATION =
  /^xml[ \t\r\n]+version[ \t\r\n]*=[ \t\r\n]*(?:"1\.[0-9]+"|'1\.[0-9]+')(?:[ \t\r\n]+encoding[ \t\r\n]*=[ \t\r\n]*(?:"[A-Za-z][A-Za-z0-9._-]*"|'[A-Za-z][A-Za-z0-9._-]*'))?(?:[ \t\r\n]+standalone[ \t\r\n]*=[ \t\r\n]*(?:"(?:yes|no)"|'(?:yes|no)'))?[ \t\r\n]*$/;
const PREDEFINED = [
  ["lt;", "<"],
  ["gt;", ">"],
  ["amp;", "&"],
  ["apos;", "'"],
  ["quot;", '"'],
] as const;
const MARKUP_OPENERS = ["<!--", "<![CDATA[", "<!DOCTYPE"];

const isSpace = (c: number) => c === 0x20 || c === 0x09 || c === LF || c === CR;
const isXmlChar = (cp: number) =>
  cp === 0x09 ||
  cp === LF ||
  cp === CR ||
  (cp >= 0x20 && cp <= 0xd7ff) ||
  (cp >= 0xe000 && cp <= 0xfffd) ||
  (cp >= 0x10000 && cp <= 0x10ffff);
const showChar = (s: string, i: number) => {
  const c = s.codePointAt(i)!;
  return c > 0x20 && c < 0x7f
    ? `'${String.fromCharCode(c)}'`
    : `U+${c.toString(16).toUpperCase().padStart(4, "0")}`;
};

/** Index of the first character production [2] does not allow, or -1. */
function badChar(s: string): number {
  SUSPECT.lastIndex = 0;
  for (let m = SUSPECT.exec(s); m; m = SUSPECT.exec(s)) {
    const i = m.index;
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      SUSPECT.lastIndex = i + 2;
      continue;
    }
    return i;
  }
  return -1;
}

/** `s.indexOf(what, from)`, with "not found" as `s.length` so that it compares as "after everything". */
function find(s: string, what: string, from: number): number {
  const i = s.indexOf(what, from);
  return i === -1 ? s.length : i;
}

/**
 * A strict, non-validating XML 1.0 scanner over a sequence of string chunks.
 * It jumps between markup characters with `indexOf` instead of stepping
 * through a state machine per character, and keeps only the unfinished token
 * between chunks. Namespaces are not processed: names come as written. Only
 * XML's five entities and character references are expanded; every
 * well-formedness error throws an `XmlSyntaxError`.
 *
 * Characters XML does not allow are looked for once per chunk, with one
 * regular expression, rather than in every token. Line and column are worked
 * out only when an error is thrown, from a count of line breaks kept per
 * consumed chunk.
 */
export class XmlScanner {
  /** The unconsumed input: the unfinished tail of earlier chunks and the chunk being scanned. */
  private buf = "";
  /** Absolute offset of `buf[0]`. */
  private base = 0;
  /** Line breaks before `base`, and the absolute offset where the line containing `base` starts. */
  private lines = 0;
  private lineStart = 0;
  /**
   * When the unfinished token cannot end before this string appears, chunks
   * without it are set aside in `parked` instead of rescanning (and
   * re-concatenating) a growing tail each time.
   */
  private waitFor = "";
  private seam = "";
  private parked: string[] = [];
  private readonly stack: string[] = [];
  private rootSeen = false;
  private doctypeSeen = false;
  private ended = false;
  /** Set by `nameEnd`: the name has a non-ASCII character, so the fast check does not apply. */
  private wide = false;
  /** Next '&', CR and "]]>" in `buf` at or after where text was last looked at (`buf.length`: none). */
  private ampAt = -1;
  private crAt = -1;
  private cdataEndAt = -1;
  /** Set by `reference`: where the reference it decoded ends. */
  private refEnd = 0;

  constructor(private readonly handlers: XmlScanHandlers) {}

  write(chunk: string): void {
    if (this.ended) throw new Error("XmlScanner: write after end");
    const wait = this.waitFor;
    if (wait !== "") {
      // `seam` holds the input's last few characters, so that a marker cut by chunk boundaries is still seen.
      const k = wait.length - 1;
      const found = chunk.includes(wait) || (k > 0 && (this.seam + chunk.slice(0, k)).includes(wait));
      this.parked.push(chunk);
      if (!found) {
        if (k > 0) this.seam = chunk.length >= k ? chunk.slice(-k) : (this.seam + chunk).slice(-k);
        return;
      }
      this.buf += this.parked.join("");
      this.parked = [];
    } else {
      this.buf += chunk;
    }
    this.consume(this.scan(false));
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    if (this.parked.length > 0) this.buf += this.parked.join("");
    this.parked = [];
    const pos = this.scan(true);
    const open = this.stack[this.stack.length - 1];
    if (open !== undefined) this.fail(`unclosed element <${open}> at end of input`, pos);
    if (!this.rootSeen) this.fail("no root element", pos);
  }

  /** Scans `buf` as far as it can; returns where the unfinished tail starts. */
  private scan(final: boolean): number {
    const buf = this.buf;
    const len = buf.length;
    const bad = badChar(buf);
    // A high surrogate at the very end may be completed by the next chunk.
    if (bad !== -1 && (final || bad !== len - 1 || (buf.charCodeAt(bad) & 0xfc00) !== 0xd800)) {
      this.fail(`character ${showChar(buf, bad)} is not allowed in XML`, bad);
    }
    this.waitFor = "";
    this.ampAt = this.crAt = this.cdataEndAt = -1;
    let pos = 0;
    while (pos < len) {
      const lt = buf.indexOf("<", pos);
      if (lt !== pos) {
        const end = lt === -1 ? len : lt;
        const stop = this.text(pos, end, lt === -1 && !final);
        if (stop < end) return stop;
        pos = end;
        continue;
      }
      const next = this.markup(lt, final);
      if (next < 0) return pos;
      pos = next;
    }
    return pos;
  }

  /** Drops `buf[0, pos)`, counting its line breaks for later error positions. */
  private consume(pos: number): void {
    if (pos === 0) return;
    const buf = this.buf;
    const cr = buf.indexOf("\r");
    if (cr === -1 || cr >= pos) {
      for (let i = buf.indexOf("\n"); i !== -1 && i < pos; i = buf.indexOf("\n", i + 1)) {
        this.lines++;
        this.lineStart = this.base + i + 1;
      }
    } else {
      this.countBreaks(pos);
    }
    this.buf = buf.slice(pos);
    this.base += pos;
  }

  private countBreaks(to: number): void {
    const buf = this.buf;
    for (let i = 0; i < to; i++) {
      const c = buf.charCodeAt(i);
      if (c === LF || (c === CR && buf.charCodeAt(i + 1) !== LF)) {
        this.lines++;
        this.lineStart = this.base + i + 1;
      }
    }
  }

  private fail(reason: string, at: number): never {
    this.countBreaks(at);
    throw new XmlSyntaxError(reason, this.lines + 1, this.base + at - this.lineStart + 1);
  }

  /** Asks for more input, or fails when there is none. Returns -1 for `scan`. */
  private more(at: number, waitFor: string, final: boolean, reason: string): number {
    if (final) this.fail(reason, at);
    this.waitFor = waitFor;
    const k = waitFor.length - 1;
    this.seam = k > 0 ? this.buf.slice(-k) : "";
    return -1;
  }

  /** Character data in `buf[start, end)`; `open` when the run may continue in the next chunk. Returns where it stopped. */
  private text(start: number, end: number, open: boolean): number {
    const buf = this.buf;
    let cut = end;
    if (open) {
      // Hold back what the next chunk may change: CR (CRLF), a high surrogate, "]]" (of "]]>").
      const last = buf.charCodeAt(end - 1);
      if (last === CR || (last & 0xfc00) === 0xd800) cut--;
      else while (cut > start && end - cut < 2 && buf.charCodeAt(cut - 1) === RBRACKET) cut--;
      if (cut === start) return start;
    }
    if (this.stack.length === 0) {
      const raw = buf.slice(start, cut);
      const bad = raw.search(NOT_SPACE);
      if (bad !== -1) {
        const where = this.rootSeen ? "after the root element" : "before the root element";
        this.fail(`text ${where} (${showChar(raw, bad)})`, start + bad);
      }
      return cut;
    }
    if (this.cdataEndAt < start) this.cdataEndAt = find(buf, "]]>", start);
    if (this.cdataEndAt < cut) this.fail("']]>' is not allowed in character data", this.cdataEndAt);
    if (this.ampAt < start) this.ampAt = find(buf, "&", start);
    if (this.crAt < start) this.crAt = find(buf, "\r", start);
    if (this.ampAt >= cut && this.crAt >= cut) {
      this.handlers.text(buf.slice(start, cut));
      return cut;
    }
    let out = "";
    let from = start;
    for (;;) {
      if (this.ampAt < from) this.ampAt = find(buf, "&", from);
      if (this.crAt < from) this.crAt = find(buf, "\r", from);
      const i = Math.min(this.ampAt, this.crAt);
      if (i >= cut) break;
      if (i === this.crAt) {
        out += `${buf.slice(from, i)}\n`;
        from = buf.charCodeAt(i + 1) === LF ? i + 2 : i + 1;
        continue;
      }
      const ch = this.reference(i, cut, open);
      if (ch === null) {
        out += buf.slice(from, i);
        if (out !== "") this.handlers.text(out);
        return i;
      }
      out += buf.slice(from, i) + ch;
      from = this.refEnd;
    }
    out += buf.slice(from, cut);
    if (out !== "") this.handlers.text(out);
    return cut;
  }

  /**
   * What the reference at `buf[amp]` stands for (it must end before `limit`),
   * with `refEnd` set past its ';'; null when `open` and more input may still
   * complete it.
   */
  private reference(amp: number, limit: number, open: boolean): string | null {
    const buf = this.buf;
    let i = amp + 1;
    if (buf.charCodeAt(i) === HASH) {
      const hex = buf.charCodeAt(++i) === 0x78;
      if (hex) i++;
      const digitsFrom = i;
      let cp = 0;
      for (; i < limit; i++) {
        const c = buf.charCodeAt(i);
        const lower = c | 0x20;
        const d =
          c >= 0x30 && c <= 0x39 ? c - 0x30 : hex && lower >= 0x61 && lower <= 0x66 ? lower - 0x57 : -1;
        if (d < 0) break;
        // Clamped: any larger value is just as invalid, and the sum stays exact.
        cp = Math.min(cp * (hex ? 16 : 10) + d, 0x110000);
      }
      if (i >= limit) {
        if (open) return null;
        this.fail("unterminated character reference", amp);
      }
      if (buf.charCodeAt(i) !== SEMI || i === digitsFrom) this.fail("malformed character reference", amp);
      if (!isXmlChar(cp)) {
        this.fail(`character reference ${buf.slice(amp, i + 1)} is not an allowed XML character`, amp);
      }
      this.refEnd = i + 1;
      return String.fromCodePoint(cp);
    }
    for (const [ref, ch] of PREDEFINED) {
      if (buf.startsWith(ref, i)) {
        this.refEnd = i + ref.length;
        return ch;
      }
    }
    const end = this.nameEnd(i);
    if (end >= limit) {
      if (open) return null;
      this.fail("'&' that starts no reference (unescaped '&'?)", amp);
    }
    if (end === i || buf.charCodeAt(end) !== SEMI)
      this.fail("'&' that starts no reference (unescaped '&'?)", amp);
    const name = this.name(i, end, "entity name");
    return this.fail(`undefined entity &${name};`, amp);
  }

  /** Markup starting at `buf[lt] === "<"`; returns where it ends, or -1 when it needs more input. */
  private markup(lt: number, final: boolean): number {
    const buf = this.buf;
    if (lt + 1 === buf.length) return this.more(lt, "", final, "'<' at end of input");
    const c = buf.charCodeAt(lt + 1);
    if (c === SLASH) return this.endTag(lt, final);
    if (c !== BANG && c !== QUESTION) return this.startTag(lt, final);
    if (c === QUESTION) return this.processingInstruction(lt, final);
    if (buf.startsWith("<!--", lt)) return this.comment(lt, final);
    if (buf.startsWith("<![CDATA[", lt)) return this.cdata(lt, final);
    if (buf.startsWith("<!DOCTYPE", lt)) return this.doctype(lt, final);
    const rest = buf.slice(lt);
    if (MARKUP_OPENERS.some((o) => o.startsWith(rest))) return this.more(lt, "", final, "unclosed markup");
    return this.fail("'<!' that starts no comment, CDATA section or DOCTYPE", lt);
  }

  /** End of the name starting at `i` (ASCII name characters, or any non-ASCII one: `name` decides). */
  private nameEnd(i: number): number {
    const buf = this.buf;
    const len = buf.length;
    let wide = false;
    for (; i < len; i++) {
      const c = buf.charCodeAt(i);
      if (c >= 128) wide = true;
      else if (NAME_ASCII[c] === 0) break;
    }
    this.wide = wide;
    return i;
  }

  /** `buf[start, end)` as a name, right after the `nameEnd` that found `end`. */
  private name(start: number, end: number, what: string): string {
    const name = this.buf.slice(start, end);
    if (this.wide ? !NAME.test(name) : NAME_ASCII[name.charCodeAt(0)] !== 2) {
      this.fail(`${what} "${name}" is not a valid XML name`, start);
    }
    return name;
  }

  private startTag(lt: number, final: boolean): number {
    const buf = this.buf;
    const len = buf.length;
    const unclosed = "unclosed start tag";
    let i = this.nameEnd(lt + 1);
    if (i === len) return this.more(lt, ">", final, unclosed);
    if (i === lt + 1) this.fail(`${showChar(buf, i)} after '<' (unescaped '<'?)`, i);
    const name = this.name(lt + 1, i, "element name");
    const attrs: Record<string, string> = {};
    for (;;) {
      const gap = i;
      while (i < len && isSpace(buf.charCodeAt(i))) i++;
      if (i === len) return this.more(lt, ">", final, unclosed);
      const c = buf.charCodeAt(i);
      if (c === GT) {
        this.openElement(name, attrs, lt);
        return i + 1;
      }
      if (c === SLASH) {
        if (i + 1 === len) return this.more(lt, ">", final, unclosed);
        if (buf.charCodeAt(i + 1) !== GT) this.fail(`expected '>' after '/' in <${name}>`, i + 1);
        this.openElement(name, attrs, lt);
        this.stack.pop();
        this.handlers.close(name);
        return i + 2;
      }
      const at = i;
      i = this.nameEnd(at);
      if (i === at) this.fail(`${showChar(buf, at)} in start tag <${name}>`, at);
      if (at === gap) this.fail(`attributes of <${name}> must be separated by whitespace`, at);
      if (i === len) return this.more(lt, ">", final, unclosed);
      const attr = this.name(at, i, "attribute name");
      while (i < len && isSpace(buf.charCodeAt(i))) i++;
      if (i === len) return this.more(lt, ">", final, unclosed);
      if (buf.charCodeAt(i) !== EQ) this.fail(`attribute ${attr} of <${name}> has no value`, at);
      i++;
      while (i < len && isSpace(buf.charCodeAt(i))) i++;
      if (i === len) return this.more(lt, ">", final, unclosed);
      const q = buf.charCodeAt(i);
      if (q !== QUOT && q !== APOS) this.fail(`value of attribute ${attr} of <${name}> is not quoted`, i);
      const close = buf.indexOf(q === QUOT ? '"' : "'", i + 1);
      if (close === -1) return this.more(lt, q === QUOT ? '"' : "'", final, unclosed);
      if (Object.hasOwn(attrs, attr)) this.fail(`duplicate attribute ${attr} in <${name}>`, at);
      const value = this.attributeValue(i + 1, close);
      // A plain object as consumers expect; only "__proto__" would not become an own property by assignment.
      if (attr === "__proto__")
        Object.defineProperty(attrs, attr, { value, enumerable: true, writable: true });
      else attrs[attr] = value;
      i = close + 1;
    }
  }

  /** The value in `buf[start, end)` after attribute-value normalization (XML 1.0 3.3.3). */
  private attributeValue(start: number, end: number): string {
    const buf = this.buf;
    let i = start;
    for (; i < end; i++) {
      const c = buf.charCodeAt(i);
      if (c < 0x20 || c === AMP || c === LT) break;
    }
    if (i === end) return buf.slice(start, end);
    let out = "";
    let from = start;
    for (; i < end; i++) {
      const c = buf.charCodeAt(i);
      if (c === AMP) {
        out += buf.slice(from, i) + this.reference(i, end, false);
        from = this.refEnd;
        i = from - 1;
      } else if (c === 0x09 || c === LF || c === CR) {
        // Line ends are normalized first, so CRLF is one space.
        out += `${buf.slice(from, i)} `;
        if (c === CR && buf.charCodeAt(i + 1) === LF) i++;
        from = i + 1;
      } else if (c === LT) {
        this.fail("'<' is not allowed in an attribute value", i);
      }
    }
    return out + buf.slice(from, end);
  }

  private openElement(name: string, attrs: Record<string, string>, lt: number): void {
    if (this.stack.length === 0 && this.rootSeen) this.fail(`second root element <${name}>`, lt);
    this.rootSeen = true;
    this.stack.push(name);
    this.handlers.open(name, attrs);
  }

  private endTag(lt: number, final: boolean): number {
    const buf = this.buf;
    const len = buf.length;
    const open = this.stack[this.stack.length - 1];
    // The common case, checked in place: the open element's name and '>'.
    if (open !== undefined && buf.charCodeAt(lt + 2 + open.length) === GT && buf.startsWith(open, lt + 2)) {
      this.stack.pop();
      this.handlers.close(open);
      return lt + 3 + open.length;
    }
    const end = this.nameEnd(lt + 2);
    if (end === len) return this.more(lt, ">", final, "unclosed end tag");
    let i = end;
    while (i < len && isSpace(buf.charCodeAt(i))) i++;
    if (i === len) return this.more(lt, ">", final, "unclosed end tag");
    if (end === lt + 2 || buf.charCodeAt(i) !== GT) this.fail("malformed end tag", i);
    if (open === undefined || end - lt - 2 !== open.length || !buf.startsWith(open, lt + 2)) {
      const name = buf.slice(lt + 2, end);
      if (open === undefined) this.fail(`end tag </${name}> without an open element`, lt);
      this.fail(`end tag </${name}> does not match <${open}>`, lt);
    }
    this.stack.pop();
    this.handlers.close(open);
    return i + 1;
  }

  private comment(lt: number, final: boolean): number {
    const buf = this.buf;
    const close = buf.indexOf("-->", lt + 4);
    if (close === -1) return this.more(lt, "-->", final, "unclosed comment");
    const dashes = buf.indexOf("--", lt + 4);
    if (dashes < close) this.fail("'--' is not allowed inside a comment", dashes);
    return close + 3;
  }

  private cdata(lt: number, final: boolean): number {
    const buf = this.buf;
    const close = buf.indexOf("]]>", lt + 9);
    if (close === -1) return this.more(lt, "]]>", final, "unclosed CDATA section");
    if (this.stack.length === 0) this.fail("CDATA section outside the root element", lt);
    const raw = buf.slice(lt + 9, close);
    const text = raw.includes("\r") ? raw.replace(/\r\n?/g, "\n") : raw;
    if (text !== "") this.handlers.text(text);
    return close + 3;
  }

  private processingInstruction(lt: number, final: boolean): number {
    const buf = this.buf;
    const close = buf.indexOf("?>", lt + 2);
    if (close === -1) return this.more(lt, "?>", final, "unclosed processing instruction");
    const end = this.nameEnd(lt + 2);
    if (end === lt + 2) this.fail("processing instruction without a target", lt + 2);
    const target = this.name(lt + 2, end, "processing instruction target");
    if (end < close && !isSpace(buf.charCodeAt(end)))
      this.fail(`malformed processing instruction <?${target}`, end);
    if (target.toLowerCase() === "xml") {
      if (this.base + lt !== 0 || target !== "xml") {
        this.fail("XML declaration is allowed only at the very start of the document", lt);
      }
      if (!XML_DECLARATION.test(buf.slice(lt + 2, close))) this.fail("malformed XML declaration", lt);
    }
    return close + 2;
  }

  private doctype(lt: number, final: boolean): number {
    const buf = this.buf;
    const len = buf.length;
    if (this.rootSeen || this.doctypeSeen)
      this.fail("DOCTYPE is allowed only once, before the root element", lt);
    const unclosed = "unclosed DOCTYPE";
    let i = lt + 9;
    if (i < len && !isSpace(buf.charCodeAt(i))) this.fail("malformed DOCTYPE", i);
    // Quoted literals, comments and PIs may hold '>' or ']'; the internal subset '[...]' holds declarations.
    let subset = false;
    while (i < len) {
      const c = buf.charCodeAt(i);
      if (c === QUOT || c === APOS) {
        const close = buf.indexOf(c === QUOT ? '"' : "'", i + 1);
        if (close === -1) return this.more(lt, ">", final, unclosed);
        i = close + 1;
      } else if (subset && c === LT && buf.startsWith("<!--", i)) {
        const close = buf.indexOf("-->", i + 4);
        if (close === -1) return this.more(lt, ">", final, unclosed);
        i = close + 3;
      } else if (subset && c === LT && buf.startsWith("<?", i)) {
        const close = buf.indexOf("?>", i + 2);
        if (close === -1) return this.more(lt, ">", final, unclosed);
        i = close + 2;
      } else if (c === 0x5b && !subset) {
        subset = true;
        i++;
      } else if (c === RBRACKET && subset) {
        subset = false;
        i++;
      } else if (c === GT && !subset) {
        this.doctypeSeen = true;
        this.handlers.doctype?.(buf.slice(lt + 9, i));
        return i + 1;
      } else {
        i++;
      }
    }
    return this.more(lt, ">", final, unclosed);
  }
}
