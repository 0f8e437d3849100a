import { isUtf8 } from "node:buffer";
import { TextDecoder } from "node:util";
import { SourceShapeChangedError } from "./errors.ts";

// Labels the WHATWG decoder knows under another name, or that servers send loosely.
const ALIASES: Record<string, string> = {
  "x-sjis": "shift_jis",
  sjis: "shift_jis",
  ms932: "shift_jis",
  cp932: "shift_jis",
  "windows-31j": "shift_jis",
  cp1252: "windows-1252",
};

export interface DecodedText {
  text: string;
  /** The charset used, lower case. */
  charset: string;
  /** Where the charset came from. */
  from: "bom" | "content-type" | "xml-declaration" | "html-meta" | "default";
}

function sniffDeclared(bytes: Uint8Array): { charset: string; from: DecodedText["from"] } | null {
  // Declarations are ASCII in every encoding we accept, so a latin1 view of the head is enough.
  const head = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.byteLength, 1024)).toString(
    "latin1",
  );
  const xml = /^\s*<\?xml[^>]*\bencoding\s*=\s*["']([A-Za-z0-9._:-]+)["']/.exec(head);
  if (xml?.[1]) return { charset: xml[1], from: "xml-declaration" };
  const meta = /<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9._:-]+)/i.exec(head);
  if (meta?.[1]) return { charset: meta[1], from: "html-meta" };
  return null;
}

// WHATWG maps latin1, iso-8859-1 and ascii labels to windows-1252 too. Node 20's
// decoder treats them all as plain ISO-8859-1 and turns 0x80–0x9F into C1
// controls instead of curly quotes, dashes and the euro sign, so those 32
// code points are mapped here (undefined in windows-1252: 81 8D 8F 90 9D).
const WINDOWS_1252_LABELS = new Set([
  "windows-1252",
  "cp1252",
  "x-cp1252",
  "latin1",
  "iso-8859-1",
  "iso8859-1",
  "l1",
  "us-ascii",
  "ascii",
]);
const WINDOWS_1252_HIGH =
  "\u20ac\ufffd\u201a\u0192\u201e\u2026\u2020\u2021\u02c6\u2030\u0160\u2039\u0152\ufffd\u017d\ufffd\ufffd\u2018\u2019\u201c\u201d\u2022\u2013\u2014\u02dc\u2122\u0161\u203a\u0153\ufffd\u017e\u0178";

function decodeWindows1252(bytes: Uint8Array): string {
  let out = "";
  for (let i = 0; i < bytes.length; i += 8192) {
    const chunk = bytes.subarray(i, i + 8192);
    let piece = "";
    for (const b of chunk) {
      if (b >= 0x80 && b <= 0x9f) {
        const c = WINDOWS_1252_HIGH[b - 0x80]!;
        if (c === "\ufffd")
          throw new SourceShapeChangedError(`byte 0x${b.toString(16)} is not defined in windows-1252`);
        piece += c;
      } else piece += String.fromCharCode(b);
    }
    out += piece;
  }
  return out;
}

function decoder(label: string): TextDecoder {
  const name = ALIASES[label.toLowerCase()] ?? label.toLowerCase();
  try {
    return new TextDecoder(name, { fatal: true });
  } catch {
    throw new SourceShapeChangedError(`unsupported character encoding "${label}"`);
  }
}

/**
 * The charset of a body: a byte-order mark, the Content-Type charset, the XML
 * declaration, an HTML meta tag, else UTF-8.
 */
function detectCharset(bytes: Uint8Array, contentType?: string | null): Omit<DecodedText, "text"> {
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return { charset: "utf-8", from: "bom" };
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return { charset: "utf-16le", from: "bom" };
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return { charset: "utf-16be", from: "bom" };
  const declared = /charset\s*=\s*"?([A-Za-z0-9._:-]+)/i.exec(contentType ?? "")?.[1];
  if (declared) return { charset: declared, from: "content-type" };
  const sniffed = sniffDeclared(bytes);
  return sniffed ?? { charset: "utf-8", from: "default" };
}

function invalid(charset: string, from: DecodedText["from"]): SourceShapeChangedError {
  return new SourceShapeChangedError(
    `body is not valid ${charset} (charset from ${from})${from === "default" ? "; no charset was declared" : ""}`,
  );
}

/**
 * Bytes to text, using (in order) a byte-order mark, the Content-Type charset,
 * the XML declaration, an HTML meta tag, else UTF-8. Decoding is strict: bytes
 * that are not valid in the chosen encoding are an error, never U+FFFD
 * replacement characters silently stored as regulation text.
 */
export function decodeText(bytes: Uint8Array, contentType?: string | null): DecodedText {
  const { charset, from } = detectCharset(bytes, contentType);
  if (WINDOWS_1252_LABELS.has(charset.toLowerCase())) {
    return { text: decodeWindows1252(bytes), charset: "windows-1252", from };
  }
  try {
    // TextDecoder drops a leading BOM of its own encoding.
    return { text: decoder(charset).decode(bytes), charset: charset.toLowerCase(), from };
  } catch (err) {
    if (err instanceof SourceShapeChangedError) throw err;
    throw invalid(charset, from);
  }
}

// A slice of text big enough that per-slice overhead vanishes, small enough
// that a reader holds little more than the bytes and what it keeps.
const CHUNK_BYTES = 1 << 20;

/**
 * The same text as `decodeText`, as slices of about `chunkBytes` bytes each,
 * so that a streaming reader never holds the whole decoded document (a 60 MB
 * body would otherwise be another 60 to 120 MB of string). Same strictness:
 * an invalid byte throws when its slice is reached.
 */
export function decodeChunks(
  bytes: Uint8Array,
  contentType?: string | null,
  chunkBytes = CHUNK_BYTES,
): Omit<DecodedText, "text"> & { chunks: Iterable<string> } {
  const { charset, from } = detectCharset(bytes, contentType);
  const label = ALIASES[charset.toLowerCase()] ?? charset.toLowerCase();
  if (WINDOWS_1252_LABELS.has(label)) {
    return { charset: "windows-1252", from, chunks: slices(bytes, chunkBytes, decodeWindows1252) };
  }
  if (label === "utf-8" || label === "utf8") {
    // Node's own UTF-8 decoding keeps Latin-1 text at one byte a character
    // (TextDecoder in stream mode returns two-byte strings: twice the memory);
    // slices are cut on character boundaries and checked strictly first.
    const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const start = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
    function* utf8(): Generator<string> {
      let offset = start;
      do {
        let end = Math.min(offset + chunkBytes, buffer.byteLength);
        // Cut before the first byte of a character (continuation bytes are
        // 10xxxxxx), or after it when one character is longer than a slice.
        const continues = (i: number) => i < buffer.byteLength && (buffer[i]! & 0xc0) === 0x80;
        let back = end;
        while (back > offset && continues(back)) back--;
        if (back > offset) end = back;
        else while (continues(end)) end++;
        const slice = buffer.subarray(offset, end);
        if (!isUtf8(slice)) throw invalid(charset, from);
        yield slice.toString("utf8");
        offset = end;
      } while (offset < buffer.byteLength);
    }
    return { charset: "utf-8", from, chunks: utf8() };
  }
  const textDecoder = decoder(charset);
  return {
    charset: label,
    from,
    chunks: slices(bytes, chunkBytes, (slice, last) => {
      try {
        // A multi-byte character split across slices is held until the next one.
        return textDecoder.decode(slice, { stream: !last });
      } catch {
        throw invalid(charset, from);
      }
    }),
  };
}

function* slices(
  bytes: Uint8Array,
  size: number,
  decode: (slice: Uint8Array, last: boolean) => string,
): Generator<string> {
  let offset = 0;
  do {
    const last = offset + size >= bytes.byteLength;
    yield decode(bytes.subarray(offset, offset + size), last);
    offset += size;
  } while (offset < bytes.byteLength);
}
