// npm run bench: parse + diff of two full-size lists against a bare XML parse
// of the same two files, measured in the same run. Not part of npm test.
//
//   CA:  the real consolidations of 2024-07-23 and 2025-07-24 (../shared/samples/ca)
//   CCL: the real CCL content (633 ECCNs) rendered into eCFR markup, and a copy
//        with a few ECCNs and paragraphs added, removed and changed.
//
// And the word diff of a fully rewritten 20 KB and 200 KB paragraph against
// tokenizing the same two texts (the least any word diff must do); and the
// peak memory of ingesting a 60 MB list on both databases (large-document.ts);
// and reading Norway's yearly Lovtidend tar.bz2 against decompressing it (archive.ts);
// and reading the Wassenaar-numbered List II PDF against pdf.js's text alone (wa-pdf.ts).
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { decodeText } from "@regwatch/core/encoding";
import type { ListSnapshot } from "@regwatch/core/schemas";
import { diffLists } from "@regwatch/diff/diff-snapshots";
import { entryHash } from "@regwatch/diff/entry-hash";
import { tokenize as tokenizeWords, wordDiff } from "@regwatch/diff/word-diff";
import { findSource } from "@regwatch/sources/registry";
import { XmlScanner } from "@regwatch/sources/xml/scan-xml";
import { XMLParser } from "fast-xml-parser";
import { SaxesParser } from "saxes";
import { SAMPLES, sampleFiles } from "../conformance/samples-dir.ts";
import { recordContext } from "../support/record-context.ts";
import { type CclEntry, renderCclXml } from "../support/render-ccl.ts";

const RUNS = Number(process.env.BENCH_RUNS ?? 25);
const WARMUP = 5;

// Four bare parses of the same bytes, none doing any regwatch work:
//  - tokenize: decode and tokenize every element, attribute and text node, keeping nothing (saxes);
//  - scan: the same with regwatch's own scanner (xml/scan-xml.ts), which the parsers run on;
//  - tree: saxes building a generic element tree;
//  - fxp: fast-xml-parser building a JavaScript object, a common way to "just parse the XML".
function tokenize(bytes: Buffer): number {
  const parser = new SaxesParser();
  let events = 0;
  parser.on("opentag", () => {
    events++;
  });
  parser.write(decodeText(bytes).text).close();
  return events;
}
function scan(bytes: Buffer): number {
  let events = 0;
  const scanner = new XmlScanner({
    open() {
      events++;
    },
    close() {},
    text() {},
  });
  scanner.write(decodeText(bytes).text);
  scanner.end();
  return events;
}
// A generic element tree built from saxes events (name, attributes, children, text).
interface TreeNode {
  name: string;
  attributes: Record<string, string>;
  children: (TreeNode | string)[];
}
function tree(bytes: Buffer): TreeNode | undefined {
  const parser = new SaxesParser();
  const stack: TreeNode[] = [];
  let root: TreeNode | undefined;
  parser.on("opentag", (tag) => {
    const node: TreeNode = {
      name: tag.name,
      attributes: tag.attributes as Record<string, string>,
      children: [],
    };
    stack[stack.length - 1]?.children.push(node);
    root ??= node;
    stack.push(node);
  });
  parser.on("closetag", () => {
    stack.pop();
  });
  parser.on("text", (t) => {
    stack[stack.length - 1]?.children.push(t);
  });
  parser.write(decodeText(bytes).text).close();
  return root;
}
const fxpParser = new XMLParser({ ignoreAttributes: false, preserveOrder: true });
const fxp = (bytes: Buffer) => fxpParser.parse(decodeText(bytes).text);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function time(fn: () => unknown): number {
  const t = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t) / 1e6;
}

function bench(name: string, sourceId: string, a: Buffer, b: Buffer) {
  const source = findSource(sourceId)!;
  const ctx = recordContext(source);
  let records = 0;
  let entries = 0;
  const ours = () => {
    const before = source.parse({ body: a }) as ListSnapshot;
    const after = source.parse({ body: b }) as ListSnapshot;
    const r = diffLists(
      before.entries.map((e) => ({ ...e, hash: entryHash(e) })),
      after.entries,
      ctx,
    );
    records = r.length;
    entries = before.entries.length + after.entries.length;
  };
  const runs = {
    tokenize: [] as number[],
    scan: [] as number[],
    tree: [] as number[],
    fxp: [] as number[],
    ours: [] as number[],
  };
  for (let i = 0; i < WARMUP + RUNS; i++) {
    // Interleaved so that all see the same machine state.
    const t1 = time(() => tokenize(a) + tokenize(b));
    const t2 = time(() => [tree(a), tree(b)]);
    const t3 = time(() => [fxp(a), fxp(b)]);
    const t4 = time(ours);
    const t5 = time(() => scan(a) + scan(b));
    if (i >= WARMUP) {
      runs.scan.push(t5);
      runs.tokenize.push(t1);
      runs.tree.push(t2);
      runs.fxp.push(t3);
      runs.ours.push(t4);
    }
  }
  const oursMs = median(runs.ours);
  const tokenizeMs = median(runs.tokenize);
  const scanMs = median(runs.scan);
  const treeMs = median(runs.tree);
  const fxpMs = median(runs.fxp);
  return {
    name,
    bytes: a.length + b.length,
    entries,
    records,
    tokenizeMs,
    scanMs,
    treeMs,
    fxpMs,
    oursMs,
    vsTokenize: oursMs / tokenizeMs,
    vsScan: oursMs / scanMs,
    vsTree: oursMs / treeMs,
    vsFxp: oursMs / fxpMs,
  };
}

const ca = sampleFiles("ca", /^justice-laws-xml-SOR-89-202-export-control-list-.*\.xml$/);
const caPair = [readFileSync(ca[2]!), readFileSync(ca[3]!)] as const;

const json = JSON.parse(readFileSync(join(SAMPLES, "us/ccl-derived-json-ecfr-2026-07-23.json"), "utf8")) as {
  entries: CclEntry[];
};
// A rewritten paragraph: two texts drawn independently from the words of the
// real CCL paragraphs (so with their frequencies: many "the", "of", "or" for
// the diff to match by accident), in sentences of 8–30 words. A seeded LCG,
// so that every run diffs the same texts. Built on demand: the --rss-only
// child must not hold them.
function rewrittenParagraph(cclWords: readonly string[], seed: number, chars: number): string {
  let state = seed;
  const random = () => {
    state = (Math.imul(state, 1_103_515_245) + 12_345) >>> 0;
    return state / 2 ** 32;
  };
  const words: string[] = [];
  let length = 0;
  while (length < chars) {
    const n = 8 + Math.floor(random() * 23);
    for (let i = 0; i < n; i++) {
      const word = cclWords[Math.floor(random() * cclWords.length)]!;
      words.push(i === n - 1 ? `${word}.` : word);
      length += word.length + 1;
    }
  }
  return words.join(" ").slice(0, chars);
}
function paragraphPairs() {
  const words = json.entries.flatMap((e) =>
    (e.items ?? []).flatMap((i) => i.text.match(/[\p{L}\p{N}]+/gu) ?? []),
  );
  return [
    [
      "word diff, rewritten 20 KB paragraph",
      rewrittenParagraph(words, 1, 20_000),
      rewrittenParagraph(words, 2, 20_000),
    ],
    [
      "word diff, rewritten 200 KB paragraph",
      rewrittenParagraph(words, 3, 200_000),
      rewrittenParagraph(words, 4, 200_000),
    ],
  ] as const;
}

function benchWordDiff(name: string, a: string, b: string) {
  let ops = 0;
  let tokens = 0;
  const runs = { tokenize: [] as number[], ours: [] as number[] };
  for (let i = 0; i < WARMUP + RUNS; i++) {
    const t1 = time(() => {
      tokens = tokenizeWords(a).length + tokenizeWords(b).length;
    });
    const t2 = time(() => {
      ops = wordDiff(a, b).length;
    });
    if (i >= WARMUP) {
      runs.tokenize.push(t1);
      runs.ours.push(t2);
    }
  }
  const oursMs = median(runs.ours);
  const tokenizeMs = median(runs.tokenize);
  return {
    name,
    bytes: a.length + b.length,
    tokens,
    ops,
    tokenizeMs,
    oursMs,
    vsTokenize: oursMs / tokenizeMs,
  };
}

// Peak memory of the word diffs alone, and of tokenizing the same texts alone,
// each in a child process of its own (peak RSS never goes down).
if (process.argv.includes("--rss-word-diff") || process.argv.includes("--rss-tokenize")) {
  const diff = process.argv.includes("--rss-word-diff");
  const pairs = paragraphPairs();
  for (let i = 0; i < 5; i++) {
    for (const [, a, b] of pairs) {
      if (diff) wordDiff(a, b);
      else {
        tokenizeWords(a);
        tokenizeWords(b);
      }
    }
  }
  console.log(JSON.stringify({ peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024) }));
  process.exit(0);
}

const changed = json.entries
  .filter((e) => e.eccn !== "0A002") // one ECCN removed
  .map((e) => {
    if (e.eccn === "3B001") return { ...e, reasonForControl: "NS, RS, MT, AT" }; // reasons changed
    if (e.eccn === "4A906" && e.items) return { ...e, items: e.items.filter((i) => i.paragraph !== "a.2") }; // paragraph removed
    if (e.eccn === "1C010" && e.items)
      return {
        ...e,
        // Paragraph a only: notes later in 1C010 have lettered lines "a." of their own.
        items: e.items.map((i, n) =>
          n === e.items!.findIndex((x) => x.paragraph === "a") ? { ...i, text: `${i.text} (revised)` } : i,
        ),
      };
    return e;
  });
changed.push({
  ...json.entries.find((e) => e.eccn === "3B001")!,
  eccn: "3B999",
  heading: "A new ECCN for the benchmark.",
  items: [],
});
const cclPair = [Buffer.from(renderCclXml(json.entries)), Buffer.from(renderCclXml(changed))] as const;

// Peak memory of regwatch's own work, measured alone in a child process (the
// bare parsers above hold their trees too and would inflate the figure).
if (process.argv.includes("--rss-only")) {
  for (const [id, a, b] of [
    ["ca.export-control-list", ...caPair],
    ["us.ecfr.ccl", ...cclPair],
  ] as const) {
    const source = findSource(id)!;
    for (let i = 0; i < 5; i++) {
      const before = source.parse({ body: a }) as ListSnapshot;
      const after = source.parse({ body: b }) as ListSnapshot;
      diffLists(
        before.entries.map((e) => ({ ...e, hash: entryHash(e) })),
        after.entries,
        recordContext(source),
      );
    }
  }
  console.log(JSON.stringify({ peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024) }));
  process.exit(0);
}

const results = [
  bench("ca.export-control-list (2024 → 2025)", "ca.export-control-list", ...caPair),
  bench("us.ecfr.ccl (full CCL, 633 ECCNs)", "us.ecfr.ccl", ...cclPair),
];
const peakRssMb = process.resourceUsage().maxRSS / 1024;
// After the figure above, so that it still measures the list benches alone.
const wordDiffResults = paragraphPairs().map(([name, a, b]) => benchWordDiff(name, a, b));
const child = (flag: string) =>
  JSON.parse(
    execFileSync(process.execPath, ["--import", "tsx", fileURLToPath(import.meta.url), flag], {
      encoding: "utf8",
    }),
  ) as { peakRssMb: number };
const alone = child("--rss-only");
const wordDiffRss = child("--rss-word-diff");
const tokenizeRss = child("--rss-tokenize");

console.log(`regwatch bench — median of ${RUNS} runs after ${WARMUP} warm-up, Node ${process.version}`);
for (const r of results) {
  console.log(`\n${r.name}: ${r.bytes} bytes, ${r.entries} entries parsed, ${r.records} change records`);
  console.log(`  regwatch parse + diff      ${r.oursMs.toFixed(1).padStart(7)} ms`);
  console.log(
    `  bare: tokenize only (saxes)${r.tokenizeMs.toFixed(1).padStart(7)} ms   ratio ${r.vsTokenize.toFixed(2)}× (target ≤ 3×)`,
  );
  console.log(
    `  bare: regwatch's scanner   ${r.scanMs.toFixed(1).padStart(7)} ms   ratio ${r.vsScan.toFixed(2)}×`,
  );
  console.log(
    `  bare: generic tree (saxes) ${r.treeMs.toFixed(1).padStart(7)} ms   ratio ${r.vsTree.toFixed(2)}× (target < 1×)`,
  );
  console.log(
    `  bare: fast-xml-parser      ${r.fxpMs.toFixed(1).padStart(7)} ms   ratio ${r.vsFxp.toFixed(2)}× (target < 1×)`,
  );
}
console.log(
  `\npeak RSS: ${alone.peakRssMb} MB for regwatch's parse + diff alone, ${peakRssMb.toFixed(0)} MB for this whole run with the bare parsers (target ≤ 256 MB)`,
);
console.log("target ratio: ≤ 1.5× the bare parse");
for (const r of wordDiffResults) {
  console.log(`\n${r.name}: ${r.bytes} characters, ${r.tokens} tokens, ${r.ops} diff parts`);
  console.log(`  regwatch wordDiff          ${r.oursMs.toFixed(1).padStart(7)} ms`);
  console.log(
    `  bare: tokenize both texts  ${r.tokenizeMs.toFixed(1).padStart(7)} ms   ratio ${r.vsTokenize.toFixed(2)}×`,
  );
}
console.log(
  `\npeak RSS: ${wordDiffRss.peakRssMb} MB for the word diffs alone, ${tokenizeRss.peakRssMb} MB for tokenizing the same texts alone (same process setup)`,
);
// A 60 MB document through `regwatch ingest`, each in its own process, on
// PGlite and (with DATABASE_URL) on the PostgreSQL server.
// Imported here: it loads the database drivers, which the --rss-only children must not carry.
const { benchLargeDocument } = await import("./large-document.ts");
const large = await benchLargeDocument(60 * 1024 * 1024);
for (const r of large) {
  console.log(
    `\ningest of a ${(r.bytes / 1048576).toFixed(1)} MB CCL on ${r.database}: ${(r.ms / 1000).toFixed(1)} s (${r.outcome})`,
  );
  console.log(
    `  peak RSS ${r.peakRssMb.toFixed(0)} MB; the same command on the real-size CCL (${(r.baselineBytes / 1048576).toFixed(1)} MB): ${r.baselinePeakRssMb.toFixed(0)} MB, ${(r.baselineMs / 1000).toFixed(1)} s`,
  );
  console.log(`  memory the extra bytes cost: ${r.extraPerByte.toFixed(2)} bytes per byte (target ≤ 4)`);
}
console.log(
  JSON.stringify({
    results,
    largeDocument: large,
    peakRssMb: alone.peakRssMb,
    peakRssWholeRunMb: Math.round(peakRssMb),
    wordDiff: wordDiffResults,
    wordDiffPeakRssMb: wordDiffRss.peakRssMb,
    tokenizePeakRssMb: tokenizeRss.peakRssMb,
  }),
);
// Whole processes: `regwatch --help` and `regwatch diff` of the CCL pair above against
// `node -e 0` and a Python peer, with peak RSS (whole-process.ts).
const { benchWholeProcessOn } = await import("./whole-process.ts");
await benchWholeProcessOn(cclPair);
// The job layer: an unchanged poll of each source, and (with REDIS_URL) jobs per
// second through the BullMQ runner against bare BullMQ (jobs.ts).
const { benchJobs } = await import("./jobs.ts");
await benchJobs();
// Alerts: matching one change against 100k subscriptions, by index and one by one (match.ts).
const { benchLovtidendArchive } = await import("./archive.ts");
await benchLovtidendArchive();
const { benchWassenaarPdf } = await import("./wa-pdf.ts");
await benchWassenaarPdf();

const { benchMatch } = await import("./match.ts");
await benchMatch();
// Mail: 10,000 alert messages through regwatch's pooled mailer and through bare
// nodemailer with the same pool, to a local SMTP server (deliver.ts).
const { benchDeliver } = await import("./deliver.ts");
await benchDeliver();
// Alerts end to end (with REDIS_URL): a new list version to 1,000 alerts accepted
// over SMTP, through the service's BullMQ runner on PGlite (alert-latency.ts).
const { benchAlertLatency } = await import("./alert-latency.ts");
await benchAlertLatency();
// The web server (with DATABASE_URL): p95 of the filtered changes list and of full-text
// search over 1M change records in PostgreSQL at 20 concurrent clients, against /health
// in the same run (web-latency.ts).
const { benchWebLatency } = await import("./web-latency.ts");
await benchWebLatency();
