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
 * Bytes to text, using (in order) a byte-order mark, the Content-Type charset,
 * the XML declaration, an HTML meta tag, else UTF-8. Decoding is strict: bytes
 * that are not valid in the chosen encoding are an error, never U+FFFD
 * replacement characters silently stored as regulation text.
 */
export function decodeText(bytes: Uint8Array, contentType?: string | null): DecodedText {
  let charset: string;
  let from: DecodedText["from"];
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) {
    charset = "utf-8";
    from = "bom";
  } else if (bytes[0] === 0xff && bytes[1] === 0xfe) {
    charset = "utf-16le";
    from = "bom";
  } else if (bytes[0] === 0xfe && bytes[1] === 0xff) {
    charset = "utf-16be";
    from = "bom";
  } else {
    const declared = /charset\s*=\s*"?([A-Za-z0-9._:-]+)/i.exec(contentType ?? "")?.[1];
    const sniffed = declared ? null : sniffDeclared(bytes);
    charset = declared ?? sniffed?.charset ?? "utf-8";
    from = declared ? "content-type" : (sniffed?.from ?? "default");
  }
  if (WINDOWS_1252_LABELS.has(charset.toLowerCase())) {
    return { text: decodeWindows1252(bytes), charset: "windows-1252", from };
  }
  try {
    // TextDecoder drops a leading BOM of its own encoding.
    return { text: decoder(charset).decode(bytes), charset: charset.toLowerCase(), from };
  } catch (err) {
    if (err instanceof SourceShapeChangedError) throw err;
    throw new SourceShapeChangedError(
      `body is not valid ${charset} (charset from ${from})${from === "default" ? "; no charset was declared" : ""}`,
    );
  }
}
