// An HTML page as a source reads it: whole or not at all, and a page the
// browser rendered as the response the pipeline archives.

import { decodeText } from "@regwatch/core/encoding";
import { SourceShapeChangedError } from "@regwatch/core/errors";
import type { BrowserPage, HttpResponse } from "@regwatch/core/http";
import { sha256Hex } from "@regwatch/core/text";
import type { ParseInput } from "./define-source.ts";

// Page caches append a comment after </html> ("<!-- Page generated in 0.5 s -->"): allowed.
const ENDS_WHOLE = /<\/html\s*>(?:\s|<!--[\s\S]*?-->)*$/i;

/**
 * The page's text, decoded strictly in its charset (UTF-8 unless it says
 * otherwise); a page cut short (no `</html>` at its end) is a changed source,
 * never read as a shorter page. `where` names it in the error.
 */
export function wholeHtml(input: ParseInput, where: string): string {
  const { text } = decodeText(input.body, input.contentType ?? "text/html; charset=utf-8");
  if (!ENDS_WHOLE.test(text.slice(-1024)))
    throw new SourceShapeChangedError(`${where}: the page ends before </html> (truncated?)`);
  return text;
}

/** A rendered page as the response the pipeline archives: the browser's serialization, UTF-8, under `url`. */
export function responseOfPage(page: BrowserPage, url: string = page.url): HttpResponse {
  const body = new TextEncoder().encode(page.html);
  return {
    url,
    status: 200,
    notModified: false,
    contentType: "text/html; charset=utf-8",
    headers: {},
    body,
    sha256: sha256Hex(body),
    fetchedAt: page.fetchedAt,
  };
}
