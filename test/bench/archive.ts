// npm run bench, Norway's Lovtidend archive: parsing the real 2025 tar.bz2
// (2.6 MB → 28.5 MB, 1,272 LTI documents) into its export-control
// amendments, against the least any reader must do with it: decompress it
// (the same pure-JavaScript bzip2 decoder, output thrown away). Median of a
// few runs after one warm-up; heap growth kept after the parse (nothing of
// the left-out documents should stay alive).
//
// Alone, from the repository root:
//   node --expose-gc --import tsx -e 'import("./test/bench/archive.ts").then(m => m.benchLovtidendArchive())'
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { findSource } from "@regwatch/sources/registry";
import { bunzip2 } from "../../packages/sources/src/no/lovdata/bzip2.ts";
import { SAMPLES } from "../conformance/samples-dir.ts";

const RUNS = 5;
// Our own target: reading 28 MB of XML documents should cost at most twice the decompression again.
const TARGET_RATIO = 3;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[sorted.length >> 1]!;
}

function time(fn: () => unknown): number {
  const start = performance.now();
  fn();
  return performance.now() - start;
}

export async function benchLovtidendArchive(): Promise<void> {
  const body = readFileSync(
    join(SAMPLES, "no/lovdata-public-data-lovtidend-avd1-2025-snapshot-2025-10-28.tar.bz2"),
  );
  const source = findSource("no.lovdata.export-control")!;
  const parse = () => source.parse({ body, contentType: "application/x-bzip2", url: null });
  let decompressed = 0;
  const decompress = () => {
    decompressed = bunzip2(body, () => {}, { maxBytes: 256 * 1024 * 1024 });
  };
  parse();
  decompress();
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const heapBefore = process.memoryUsage().heapUsed;
  const parseMs = median(Array.from({ length: RUNS }, () => time(parse)));
  const snapshot = parse();
  gc?.();
  const heapKept = process.memoryUsage().heapUsed - heapBefore;
  const baselineMs = median(Array.from({ length: RUNS }, () => time(decompress)));
  const documents = snapshot.kind === "documents" ? snapshot.documents.length : 0;
  const ratio = parseMs / baselineMs;
  console.log(
    `\nLovtidend archive (no.lovdata.export-control): ${body.length} bytes → ${decompressed} bytes, ${documents} documents kept`,
  );
  console.log(`  regwatch parse (decompress, untar, read, filter) ${parseMs.toFixed(0).padStart(6)} ms`);
  console.log(`  baseline: bzip2 decompress alone               ${baselineMs.toFixed(0).padStart(6)} ms`);
  console.log(
    `  ratio ${ratio.toFixed(2)}× (target ≤ ${TARGET_RATIO}×: ${ratio <= TARGET_RATIO ? "met" : "MISSED"}); heap kept after the parse ${(heapKept / 1024 / 1024).toFixed(1)} MB${gc ? "" : " (run with --expose-gc for a clean figure)"}`,
  );
}
