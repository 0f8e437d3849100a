// One artifact holding several fetched bodies, each byte for byte with its
// URL, content type and SHA-256. The Staatscourant's facts are split over two
// bodies: the SRU record knows the publication's number, dates and ministry,
// and only the publication's text says when it takes effect ("met ingang van
// de dag na de datum van uitgifte van de Staatscourant" needs both). A parser
// reads one artifact, so the page and the texts it links are kept together:
// archived as one, re-read as one by a later parser, each part checkable
// against its own hash.
//
// Layout (ASCII header lines, LF):
//   regwatch-bundle/1
//   part <byte length> <sha256 hex> <url> <content type, or ->
//   <the body's bytes>
//   (LF)                              …one block per part…
//   end

import { SourceShapeChangedError } from "@regwatch/core/errors";
import type { HttpResponse } from "@regwatch/core/http";
import { sha256Hex } from "@regwatch/core/text";

export const BUNDLE_CONTENT_TYPE = "application/x-regwatch-bundle";
const MAGIC = "regwatch-bundle/1\n";
const END = "end\n";

export interface BundlePart {
  url: string;
  contentType: string | null;
  body: Uint8Array;
}

const ascii = new TextEncoder();
const bytesEqual = (a: Uint8Array, at: number, b: Uint8Array) =>
  at + b.length <= a.length && b.every((x, i) => a[at + i] === x);

export const isBundle = (body: Uint8Array) => bytesEqual(body, 0, ascii.encode(MAGIC));

function header(part: BundlePart): string {
  if (/\s/.test(part.url)) throw new Error(`bundle part URL has whitespace: ${part.url}`);
  const type = part.contentType?.replace(/[\r\n]+/g, " ").trim() || "-";
  return `part ${part.body.length} ${sha256Hex(part.body)} ${part.url} ${type}\n`;
}

export function writeBundle(parts: readonly BundlePart[]): Uint8Array {
  const pieces: Uint8Array[] = [ascii.encode(MAGIC)];
  for (const part of parts) pieces.push(ascii.encode(header(part)), part.body, ascii.encode("\n"));
  pieces.push(ascii.encode(END));
  const out = new Uint8Array(pieces.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of pieces) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** The parts of a bundle. Strict: a length, hash or terminator that does not match is a damaged artifact. */
export function readBundle(body: Uint8Array, where = "bundle"): BundlePart[] {
  if (!isBundle(body)) throw new SourceShapeChangedError(`${where}: not a regwatch bundle`);
  const parts: BundlePart[] = [];
  let at = MAGIC.length;
  const decoder = new TextDecoder("utf-8", { fatal: true });
  for (;;) {
    const eol = body.indexOf(0x0a, at);
    if (eol === -1) throw new SourceShapeChangedError(`${where}: truncated bundle (no end line)`);
    const line = decoder.decode(body.subarray(at, eol));
    if (line === "end") {
      if (eol + 1 !== body.length)
        throw new SourceShapeChangedError(`${where}: bytes after the end of the bundle`);
      return parts;
    }
    const m = /^part (\d+) ([0-9a-f]{64}) (\S+) (.+)$/.exec(line);
    if (!m) throw new SourceShapeChangedError(`${where}: bad bundle header line "${line.slice(0, 120)}"`);
    const length = Number(m[1]);
    const start = eol + 1;
    if (start + length + 1 > body.length || body[start + length] !== 0x0a)
      throw new SourceShapeChangedError(`${where}: truncated bundle part ${parts.length + 1} (${m[3]})`);
    const part = body.subarray(start, start + length);
    if (sha256Hex(part) !== m[2])
      throw new SourceShapeChangedError(
        `${where}: bundle part ${parts.length + 1} (${m[3]}) does not match its SHA-256`,
      );
    parts.push({ url: m[3]!, contentType: m[4] === "-" ? null : m[4]!, body: part });
    at = start + length + 1;
  }
}

/**
 * The artifact for a page and the bodies it led to: the page's own response
 * (URL, validators, fetch time) with the bundle as its body.
 */
export function bundleResponse(page: HttpResponse, more: readonly HttpResponse[]): HttpResponse {
  const body = writeBundle(
    [page, ...more].map((r) => ({ url: r.url, contentType: r.contentType, body: r.body })),
  );
  const headers: Record<string, string> = {};
  for (const name of ["etag", "last-modified"]) if (page.headers[name]) headers[name] = page.headers[name]!;
  return { ...page, contentType: BUNDLE_CONTENT_TYPE, headers, body, sha256: sha256Hex(body) };
}
