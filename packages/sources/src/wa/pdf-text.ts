import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { MessageChannel, receiveMessageOnPort, Worker } from "node:worker_threads";
import { SourceShapeChangedError } from "@regwatch/core/errors";
import { runSteps } from "../steps.ts";
import { joinTwo, raisedText } from "./words.ts";

// A PDF read into lines of text, the way a person reads the page: pieces of
// text on one baseline make a line, ordered left to right; superscripts join
// the line they belong to; the running header and footer every page repeats
// (titles, page numbers, the list's date) and the footnotes at the foot of a
// page are taken out of the flow. What the lines mean is the list reader's
// business (parse.ts); this file knows PDFs, not export controls.

/** How much PDF the reader takes on: beyond these it refuses rather than grinds. */
export interface PdfLimits {
  maxBytes: number;
  maxPages: number;
  /** How long the reader may take before it gives up (the worker is stopped). */
  timeoutMs: number;
  /** Heap of the worker thread pdf.js runs in. */
  maxHeapMb: number;
}

export const PDF_LIMITS: PdfLimits = {
  // The WA list is about 1.4 MB and 240 pages, the EU dual-use list as a PDF
  // 2 MB and 253 pages: caps far above either, far below what would hurt.
  maxBytes: 50 * 1024 * 1024,
  maxPages: 2000,
  // The 253-page EU list reads in 2.5–7 s on two loaded cores; a minute is a broken file.
  timeoutMs: 120_000,
  maxHeapMb: 1024,
};

/** One line of text as printed, in points from the page's lower left corner. */
export interface PdfLine {
  page: number;
  /** Where the line starts and ends on the page. */
  x: number;
  xEnd: number;
  /** The baseline. */
  y: number;
  /** The font size most of the line is set in. */
  size: number;
  text: string;
  /** The line's pieces of text as placed on the page, left to right; their texts, joined, are `text`. */
  segments: PdfSegment[];
}

/** A piece of a line where the PDF places it: a table's cells start at their column's x. */
export interface PdfSegment {
  x: number;
  xEnd: number;
  text: string;
}

export interface PdfPage {
  number: number;
  width: number;
  height: number;
  /** The body, top to bottom. */
  lines: PdfLine[];
  /** Running header and footer lines taken out (titles, page numbers, dates). */
  running: PdfLine[];
  /** Footnote lines at the foot of the page, each footnote one string. */
  footnotes: string[];
}

/** What the PDF says about itself (its document information dictionary). */
export interface PdfInfo {
  title: string | null;
  author: string | null;
  creator: string | null;
  producer: string | null;
  /** YYYY-MM-DD of `CreationDate` / `ModDate`, when they are dates. */
  created: string | null;
  modified: string | null;
  pdfVersion: string | null;
  /** Encrypted without a user password (readable, with permissions restricted). */
  encrypted: boolean;
}

export interface PdfText {
  pages: PdfPage[];
  info: PdfInfo;
  stats: { pages: number; lines: number; running: number; footnotes: number; rotated: number };
  warnings: string[];
}

/** A piece of text as the worker sends it: [text, x, y, width, font size]. */
type RawItem = [string, number, number, number, number];
interface RawPage {
  number: number;
  width: number;
  height: number;
  rotation: number;
  items: RawItem[];
  rotated: number;
}
type WorkerAnswer =
  | { ok: true; info: Record<string, unknown>; pages: RawPage[] }
  | { ok: false; kind: "too-many-pages"; pages: number }
  | { ok: false; kind: "password" | "unreadable"; name: string; message: string };

// ---------------------------------------------------------------------------
// Running pdf.js.
// ---------------------------------------------------------------------------

const WORKER_URL = new URL("./pdf-text-worker.mjs", import.meta.url);
/** How long the calling thread sleeps between looks at the worker: the slice a `parseSteps` runner yields at. */
const WAIT_SLICE_MS = 50;

let pdfjsLocation: { module: string; standardFonts: string; cMaps: string } | undefined;
/** pdf.js's legacy build (the one that runs on Node 20) and the font data it reads, found from here. */
function pdfjs() {
  if (!pdfjsLocation) {
    const require = createRequire(import.meta.url);
    const root = dirname(require.resolve("pdfjs-dist/package.json"));
    pdfjsLocation = {
      module: pathToFileURL(join(root, "legacy/build/pdf.mjs")).href,
      // pdf.js reads these with fs in Node: plain paths, ending in a separator.
      standardFonts: `${join(root, "standard_fonts")}/`,
      cMaps: `${join(root, "cmaps")}/`,
    };
  }
  return pdfjsLocation;
}

const ascii = (bytes: Uint8Array) =>
  Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("latin1");

/** The checks a body passes before pdf.js sees it: a PDF, whole, not too large. */
function checkBody(body: Uint8Array, what: string, limits: PdfLimits): void {
  if (body.byteLength > limits.maxBytes)
    throw new SourceShapeChangedError(
      `${what}: ${body.byteLength} bytes, more than the PDF reader takes (${limits.maxBytes})`,
    );
  // The header may follow some junk, as readers allow, but within the first KiB.
  const head = ascii(body.subarray(0, 1024));
  if (!head.includes("%PDF-")) {
    const start = head.trimStart().slice(0, 40).replace(/\s+/g, " ");
    const looks = /^<(?:!doctype|html|\?xml)/i.test(head.trimStart()) ? " (an HTML or XML page)" : "";
    throw new SourceShapeChangedError(`${what}: not a PDF${looks}; it starts "${start}"`);
  }
  // A PDF ends with %%EOF (trailing line ends or padding aside): without it the body was cut short.
  if (!ascii(body.subarray(Math.max(0, body.byteLength - 1024))).includes("%%EOF"))
    throw new SourceShapeChangedError(`${what}: truncated PDF (no %%EOF at its end)`);
}

/**
 * The text pieces of every page, read by pdf.js in a worker thread. Yields
 * while it waits, so a runner of `parseSteps` can serve others meanwhile; run
 * to the end at once, it simply waits.
 */
function* extractSteps(body: Uint8Array, what: string, limits: PdfLimits): Generator<void, WorkerAnswer> {
  const signal = new Int32Array(new SharedArrayBuffer(4));
  const { port1, port2 } = new MessageChannel();
  // A copy of exactly these bytes, handed over: the caller's bytes stay whole (they are archived
  // as fetched). Not `body.slice()`: on a Buffer that is a view, whose `.buffer` may be Node's
  // shared pool holding other buffers' bytes.
  const data = new Uint8Array(body).buffer;
  const where = pdfjs();
  const worker = new Worker(WORKER_URL, {
    workerData: {
      port: port2,
      signal,
      data,
      pdfjsUrl: where.module,
      standardFontDataUrl: where.standardFonts,
      cMapUrl: where.cMaps,
      maxPages: limits.maxPages,
    },
    transferList: [port2, data],
    resourceLimits: { maxOldGenerationSizeMb: limits.maxHeapMb },
  });
  try {
    const deadline = Date.now() + limits.timeoutMs;
    while (Atomics.wait(signal, 0, 0, WAIT_SLICE_MS) === "timed-out") {
      if (Date.now() > deadline)
        throw new SourceShapeChangedError(
          `${what}: the PDF reader gave no answer within ${limits.timeoutMs / 1000} s (a damaged or hostile PDF, or one too large for ${limits.maxHeapMb} MB)`,
        );
      yield;
    }
    const message = receiveMessageOnPort(port1);
    if (!message) throw new SourceShapeChangedError(`${what}: the PDF reader stopped without an answer`);
    return message.message as WorkerAnswer;
  } finally {
    port1.close();
    void worker.terminate();
  }
}

// ---------------------------------------------------------------------------
// Pieces to lines.
// ---------------------------------------------------------------------------

interface Piece {
  s: string;
  x: number;
  y: number;
  w: number;
  size: number;
  mark: "sup" | "sub" | null;
}

interface Cluster {
  y: number;
  size: number;
  pieces: Piece[];
}

/** The font size most characters of these pieces are set in. */
function dominantSize(pieces: readonly Piece[]): number {
  const weight = new Map<number, number>();
  for (const p of pieces) {
    const size = Math.round(p.size * 10) / 10;
    weight.set(size, (weight.get(size) ?? 0) + p.s.trim().length);
  }
  let best = pieces[0]?.size ?? 0;
  let most = -1;
  for (const [size, n] of weight) if (n > most || (n === most && size > best)) [best, most] = [size, n];
  return best;
}

/** Text drawn twice a hair apart (a bold imitated by overprinting) is read once. */
function withoutOverprint(pieces: Piece[]): Piece[] {
  const seen = new Map<string, Piece[]>();
  return pieces.filter((p) => {
    if (!p.s.trim()) return true;
    const same = seen.get(p.s) ?? [];
    if (same.some((q) => Math.abs(q.x - p.x) < 1 && Math.abs(q.y - p.y) < 1)) return false;
    same.push(p);
    seen.set(p.s, same);
    return true;
  });
}

// Ligatures some fonts map their glyphs to: read as the letters they join.
const LIGATURES: Record<string, string> = { ﬀ: "ff", ﬁ: "fi", ﬂ: "fl", ﬃ: "ffi", ﬄ: "ffl", ﬅ: "st", ﬆ: "st" };

const pieceText = (s: string) =>
  s
    .replace(/\u00ad/g, "")
    .replace(/[\uFB00-\uFB06]/g, (c) => LIGATURES[c] ?? c)
    .replace(/\s+/g, " ")
    .normalize("NFC");

/**
 * A line's text and its segments: its pieces left to right, a space where the
 * gap between two is wider than a fraction of a space, a run of raised pieces
 * as `raisedText` reads it ("10⁻⁶", "m²", "°C"), with no space before it when
 * it follows the space or text before it closely ("M" + thin space + raised
 * "2" is "M²-factor").
 */
function lineText(pieces: Piece[], size: number): { text: string; segments: PdfSegment[] } {
  // Raised pieces side by side are one run: "-" and "6" raised are one exponent.
  const runs: Piece[] = [];
  for (const p of [...pieces].sort((a, b) => a.x - b.x)) {
    const last = runs[runs.length - 1];
    if (p.mark === "sup" && last?.mark === "sup" && p.s.trim() && p.x - (last.x + last.w) <= 0.12 * size)
      runs[runs.length - 1] = { ...last, s: last.s + p.s, w: p.x + p.w - last.x };
    else runs.push({ ...p });
  }
  const segments: PdfSegment[] = [];
  let end = Number.NEGATIVE_INFINITY;
  const text = () => segments.map((g) => g.text).join("");
  for (const p of runs) {
    let s = pieceText(p.s);
    const last = segments[segments.length - 1];
    if (!s.trim()) {
      // A space: the end of the segment before it, never a segment of its own.
      if (last && !last.text.endsWith(" ")) last.text += " ";
      end = Math.max(end, p.x + p.w);
      continue;
    }
    if (p.mark === "sup") s = raisedText(s);
    if (last) {
      const gap = p.x - end;
      if (p.mark === "sup" && gap < 0.25 * size) last.text = last.text.replace(/ +$/, "");
      else if (gap > 0.12 * size && !last.text.endsWith(" ")) last.text += " ";
      if (last.text.endsWith(" ")) s = s.trimStart();
    }
    segments.push({ x: round(p.x), xEnd: round(p.x + p.w), text: s });
    end = Math.max(end, p.x + p.w);
  }
  // Trimmed at both ends: the text starts with the first segment and ends with the last.
  if (segments.length) {
    segments[0]!.text = segments[0]!.text.trimStart();
    segments[segments.length - 1]!.text = segments[segments.length - 1]!.text.trimEnd();
  }
  return { text: text(), segments: segments.filter((g) => g.text) };
}

/** Lines of one page, top to bottom. */
function linesOfPage(page: RawPage): PdfLine[] {
  const pieces = withoutOverprint(
    page.items
      .map(([s, x, y, w, size]) => ({ s, x, y, w, size, mark: null }) as Piece)
      .sort((a, b) => b.y - a.y || a.x - b.x),
  );
  // Pieces on one baseline, within a fifth of the font size (baselines jitter by a few hundredths).
  const clusters: Cluster[] = [];
  for (const p of pieces) {
    const last = clusters[clusters.length - 1];
    if (last && Math.abs(last.y - p.y) <= 0.2 * Math.max(last.size, p.size)) {
      last.pieces.push(p);
      last.size = Math.max(last.size, p.size);
    } else clusters.push({ y: p.y, size: p.size, pieces: [p] });
  }
  for (const c of clusters) {
    c.size = dominantSize(c.pieces);
    const main = c.pieces.filter((p) => Math.abs(p.size - c.size) < 0.05 * c.size);
    if (main.length) c.y = main.reduce((sum, p) => sum + p.y, 0) / main.length;
  }
  // A run of small text just above or below a line, within its width, is its superscript or subscript.
  const merged = new Set<Cluster>();
  const span = (c: Cluster): [number, number] => [
    Math.min(...c.pieces.map((p) => p.x)),
    Math.max(...c.pieces.map((p) => p.x + p.w)),
  ];
  for (let i = 0; i < clusters.length; i++) {
    const small = clusters[i]!;
    let host: Cluster | null = null;
    for (const j of [i - 1, i + 1]) {
      const other = clusters[j];
      if (!other || merged.has(other) || small.size > 0.8 * other.size) continue;
      if (Math.abs(small.y - other.y) > 0.75 * other.size) continue;
      const [a0, a1] = span(small);
      const [b0, b1] = span(other);
      // Within the line's width, or just before it (a footnote's mark before its text).
      if (a0 < b0 - 4 * other.size || a1 > b1 + 2 * other.size) continue;
      if (!host || Math.abs(small.y - other.y) < Math.abs(small.y - host.y)) host = other;
    }
    if (!host) continue;
    for (const p of small.pieces) {
      p.mark = p.y > host.y ? "sup" : "sub";
      host.pieces.push(p);
    }
    merged.add(small);
  }
  const lines: PdfLine[] = [];
  for (const c of clusters) {
    if (merged.has(c)) continue;
    for (const p of c.pieces)
      if (!p.mark && p.size < 0.8 * c.size && p.y - c.y > 0.15 * c.size) p.mark = "sup";
    const { text, segments } = lineText(c.pieces, c.size);
    if (!text) continue;
    const [x, xEnd] = span(c);
    lines.push({
      page: page.number,
      x: round(x),
      xEnd: round(xEnd),
      y: round(c.y),
      size: c.size,
      text,
      segments,
    });
  }
  return lines;
}

const round = (n: number) => Math.round(n * 10) / 10;

// ---------------------------------------------------------------------------
// Running headers and footers, footnotes.
// ---------------------------------------------------------------------------

/** How many lines deep a running header or footer may be (a title, a reference, a rule). */
const RUNNING_DEPTH = 3;
/** A page number as footers write it: "7", "- 7 -", "Page 7", "Page 7 of 240", "7/240". */
const PAGE_NUMBER = /^(?:[-–—]\s*)?(?:page\s+|side\s+|p\.\s*)?\d{1,4}(?:\s*(?:[-–—]|of|av|\/)\s*\d{0,4})?$/i;
/** A drawn rule typed as text ("______"). */
const RULE = /^[_\-–—=.\s]{5,}$/;

const shape = (text: string) => text.replace(/\d+/g, "#").replace(/\s+/g, " ").trim().toLowerCase();

/**
 * Takes out what repeats at the top and foot of the pages: from the outside
 * in, a band (lines at one height on many pages) is running when most of its
 * lines are page numbers or texts that recur in it (digits aside: "- 7 -
 * 05-12-2024"), or when it is on most pages and always stands further from
 * the body than paragraphs stand from each other (a title that changes with
 * each section); then each of its lines goes if it recurs, is a page number
 * or stands apart from the body. A body line that happens to start many
 * pages does not make a band running: its texts do not recur, and the next
 * paragraph follows at a paragraph's distance.
 */
function takeOutRunning(pages: PdfPage[]): number {
  const withText = pages.filter((p) => p.lines.length);
  const minPages = withText.length >= 3 ? Math.max(2, Math.ceil(0.3 * withText.length)) : withText.length;
  if (withText.length < 2) return 0;
  let taken = 0;
  for (const side of ["top", "bottom"] as const) {
    for (let depth = 0; depth < RUNNING_DEPTH; depth++) {
      const outer = (p: PdfPage) => (side === "top" ? p.lines[0] : p.lines[p.lines.length - 1]);
      const inner = (p: PdfPage) => (side === "top" ? p.lines[1] : p.lines[p.lines.length - 2]);
      const candidates = withText
        .filter((p) => p.lines.length)
        .map((p) => ({ page: p, line: outer(p)! }))
        .sort((a, b) => a.line.y - b.line.y);
      let any = false;
      for (let i = 0; i < candidates.length; ) {
        let j = i + 1;
        while (j < candidates.length && candidates[j]!.line.y - candidates[j - 1]!.line.y <= 2.5) j++;
        const band = candidates.slice(i, j);
        i = j;
        if (band.length < minPages) continue;
        const counts = new Map<string, number>();
        for (const c of band) counts.set(shape(c.line.text), (counts.get(shape(c.line.text)) ?? 0) + 1);
        const recurs = (l: PdfLine) =>
          PAGE_NUMBER.test(l.text) || RULE.test(l.text) || (counts.get(shape(l.text)) ?? 0) >= 2;
        const apartBy = (page: PdfPage, line: PdfLine, sizes: number) => {
          const next = inner(page);
          return !next || Math.abs(line.y - next.y) >= sizes * Math.max(line.size, next.size);
        };
        // Running: mostly texts that recur, or (titles that change from page to page) a band on
        // most pages that always stands well apart from the body, further than paragraphs are.
        const recurring = band.filter((c) => recurs(c.line)).length >= 0.6 * band.length;
        const standsApart =
          band.length >= 0.6 * withText.length && band.every((c) => apartBy(c.page, c.line, 2));
        if (!recurring && !standsApart) continue;
        for (const { page, line } of band) {
          if (!recurs(line) && !standsApart && !apartBy(page, line, 1.2)) continue;
          page.running.push(line);
          page.lines.splice(side === "top" ? 0 : page.lines.length - 1, 1);
          taken++;
          any = true;
        }
      }
      if (!any) break;
    }
  }
  for (const p of pages) p.running.sort((a, b) => b.y - a.y);
  return taken;
}

/** A footnote's mark at the start of its text: "*", "¹" (a raised number), "†". */
const FOOTNOTE_MARK = /^(?:[⁰¹²³⁴⁵⁶⁷⁸⁹]{1,2}|\*{1,3}|[†‡§])\s*\S/;

/**
 * Footnotes: at the foot of the page, set smaller than the body and apart
 * from it, each starting with its mark. They are read out of the flow, so
 * that a footnote printed under an entry never becomes that entry's words.
 */
function takeOutFootnotes(page: PdfPage): number {
  const body = page.lines;
  if (body.length < 3) return 0;
  const bodySize = dominantLineSize(body);
  let start = body.length;
  while (start > 1 && body[start - 1]!.size <= 0.95 * bodySize) start--;
  if (start === body.length) return 0;
  const above = body[start - 1]!;
  const first = body[start]!;
  if (above.y - first.y < 1.2 * bodySize || !FOOTNOTE_MARK.test(first.text)) return 0;
  const notes: string[] = [];
  for (const line of body.slice(start)) {
    if (FOOTNOTE_MARK.test(line.text) || !notes.length) notes.push(line.text);
    else notes[notes.length - 1] = joinTwo(notes[notes.length - 1]!, line.text, null);
  }
  page.footnotes.push(...notes);
  page.lines = body.slice(0, start);
  return notes.length;
}

function dominantLineSize(lines: readonly PdfLine[]): number {
  const weight = new Map<number, number>();
  for (const l of lines) weight.set(l.size, (weight.get(l.size) ?? 0) + l.text.length);
  return [...weight].sort((a, b) => b[1] - a[1] || b[0] - a[0])[0]?.[0] ?? 0;
}

// ---------------------------------------------------------------------------
// The whole document.
// ---------------------------------------------------------------------------

const infoString = (info: Record<string, unknown>, key: string) => {
  const v = info[key];
  return typeof v === "string" && v.trim() ? v.trim().normalize("NFC") : null;
};

/** "D:20241205103000+01'00'" → 2024-12-05 (a day the calendar has), else null. */
export function pdfDate(value: string | null): string | null {
  const m = value ? /^(?:D:)?(\d{4})(\d{2})(\d{2})/.exec(value) : null;
  if (!m) return null;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(Date.UTC(y, mo - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === mo - 1 && date.getUTCDate() === d
    ? `${m[1]}-${m[2]}-${m[3]}`
    : null;
}

/**
 * The text of a PDF, page by page, as lines. Refuses, with the reason, a body
 * that is not a PDF, one cut short, one that needs a password, one pdf.js
 * cannot read (a damaged cross-reference it cannot rebuild), one beyond the
 * limits, and one without any text at all (a scan).
 */
export function* readPdfTextSteps(
  body: Uint8Array,
  what = "PDF",
  limits: PdfLimits = PDF_LIMITS,
): Generator<void, PdfText> {
  checkBody(body, what, limits);
  const answer = yield* extractSteps(body, what, limits);
  if (!answer.ok) {
    if (answer.kind === "too-many-pages")
      throw new SourceShapeChangedError(
        `${what}: ${answer.pages} pages, more than the PDF reader takes (${limits.maxPages})`,
      );
    if (answer.kind === "password")
      throw new SourceShapeChangedError(`${what}: the PDF is encrypted and needs a password to open`);
    throw new SourceShapeChangedError(
      `${what}: damaged or unreadable PDF (${answer.name}: ${answer.message})`,
    );
  }
  const warnings: string[] = [];
  const pages: PdfPage[] = [];
  let rotated = 0;
  for (const raw of answer.pages) {
    rotated += raw.rotated;
    if (raw.rotation % 360 !== 0)
      warnings.push(`page ${raw.number} is turned ${raw.rotation}°; its lines are read as set, not as shown`);
    pages.push({
      number: raw.number,
      width: raw.width,
      height: raw.height,
      lines: linesOfPage(raw),
      running: [],
      footnotes: [],
    });
    if (raw.number % 25 === 0) yield;
  }
  if (rotated) warnings.push(`${rotated} pieces of text set at an angle were not read`);
  const running = takeOutRunning(pages);
  let footnotes = 0;
  for (const page of pages) footnotes += takeOutFootnotes(page);
  const lines = pages.reduce((n, p) => n + p.lines.length, 0);
  if (!lines && !running)
    throw new SourceShapeChangedError(`${what}: the PDF holds no text (${pages.length} pages of images?)`);
  const info = answer.info;
  return {
    pages,
    info: {
      title: infoString(info, "Title"),
      author: infoString(info, "Author"),
      creator: infoString(info, "Creator"),
      producer: infoString(info, "Producer"),
      created: pdfDate(infoString(info, "CreationDate")),
      modified: pdfDate(infoString(info, "ModDate")),
      pdfVersion: infoString(info, "PDFFormatVersion"),
      encrypted: Boolean(infoString(info, "EncryptFilterName")),
    },
    stats: { pages: pages.length, lines, running, footnotes, rotated },
    warnings,
  };
}

export function readPdfText(body: Uint8Array, what = "PDF", limits: PdfLimits = PDF_LIMITS): PdfText {
  return runSteps(readPdfTextSteps(body, what, limits));
}
