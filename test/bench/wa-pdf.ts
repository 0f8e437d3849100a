// npm run bench, the Wassenaar-numbered list as a PDF: reading the EU dual-use
// list as Norway publishes it (List II, 253 pages) into its entries, against
// the least any reader must do with it: pdf.js opening it and giving the text
// of every page (in this process, the pieces thrown away). Median of a few runs
// after one warm-up, and the peak RSS of a process doing each alone.
//
// Alone, from the repository root:
//   node --import tsx -e 'import("./test/bench/wa-pdf.ts").then(m => m.benchWassenaarPdf())'
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath, pathToFileURL } from "node:url";
import { readList } from "../../packages/sources/src/wa/parse.ts";
import { readPdfText } from "../../packages/sources/src/wa/pdf-text.ts";
import { SAMPLES } from "../conformance/samples-dir.ts";

const RUNS = 3;
// Our own target: the list read (pdf.js in a worker, lines, blocks, entries) within twice pdf.js alone.
const TARGET_RATIO = 2;
const LIST_II = "no/no-export-control-list-II-dual-use-2022-03.pdf";

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[sorted.length >> 1]!;
}

async function time(fn: () => unknown): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

/** pdf.js alone: every page's text content, nothing kept. Returns the number of text pieces. */
async function pdfjsText(body: Uint8Array): Promise<number> {
  const require = createRequire(import.meta.url);
  const root = dirname(require.resolve("pdfjs-dist/package.json"));
  const pdfjs = await import(pathToFileURL(join(root, "legacy/build/pdf.mjs")).href);
  const doc = await pdfjs.getDocument({
    data: new Uint8Array(body),
    isEvalSupported: false,
    disableFontFace: true,
    useSystemFonts: false,
    standardFontDataUrl: `${join(root, "standard_fonts")}/`,
    verbosity: 0,
  }).promise;
  let pieces = 0;
  try {
    for (let n = 1; n <= doc.numPages; n++) {
      const page = await doc.getPage(n);
      pieces += (await page.getTextContent()).items.length;
      page.cleanup();
    }
  } finally {
    await doc.destroy();
  }
  return pieces;
}

/** The peak RSS (MB) of a process that does `what` once (`--rss-only=read|pdfjs`). */
function peakRssOf(what: "read" | "pdfjs"): number {
  const out = execFileSync(
    process.execPath,
    ["--import", "tsx", fileURLToPath(import.meta.url), `--rss-only=${what}`],
    {
      encoding: "utf8",
    },
  );
  return Number(/peak-rss-mb (\d+)/.exec(out)?.[1] ?? Number.NaN);
}

export async function benchWassenaarPdf(): Promise<void> {
  const body = readFileSync(join(SAMPLES, LIST_II));
  // The reader wa.wassenaar.lists runs (its parse also wants the WA-LIST stamp, which Norway's copy has not).
  const read = () => readList(readPdfText(body));
  const list = read();
  const pieces = await pdfjsText(body);
  const readRuns: number[] = [];
  const baselineRuns: number[] = [];
  // Interleaved, so that load from elsewhere falls on both alike.
  for (let i = 0; i < RUNS; i++) {
    readRuns.push(await time(read));
    baselineRuns.push(await time(() => pdfjsText(body)));
  }
  const [readMs, baselineMs] = [median(readRuns), median(baselineRuns)];
  const entries = list.entries.length;
  const ratio = readMs / baselineMs;
  const [readRss, pdfjsRss] = [peakRssOf("read"), peakRssOf("pdfjs")];
  console.log(
    `\nWassenaar list PDF (the wa.wassenaar.lists reader): ${LIST_II}, ${body.length} bytes, ${pieces} text pieces → ${entries} entries`,
  );
  console.log(
    `  regwatch read (pdf.js in a worker, lines, blocks, entries) ${readMs.toFixed(0).padStart(6)} ms`,
  );
  console.log(
    `  baseline: pdf.js text of every page, in process           ${baselineMs.toFixed(0).padStart(6)} ms`,
  );
  console.log(
    `  ratio ${ratio.toFixed(2)}× (target ≤ ${TARGET_RATIO}×: ${ratio <= TARGET_RATIO ? "met" : "MISSED"})`,
  );
  console.log(`  peak RSS of a process reading it: ${readRss} MB; of pdf.js alone: ${pdfjsRss} MB`);
}

// A child measuring one thing's peak RSS.
const only = process.argv.find((a) => a.startsWith("--rss-only="))?.slice("--rss-only=".length);
if (only) {
  const body = readFileSync(join(SAMPLES, LIST_II));
  if (only === "read") readList(readPdfText(body));
  else await pdfjsText(body);
  console.log(`peak-rss-mb ${Math.round(process.resourceUsage().maxRSS / 1024)}`);
}
