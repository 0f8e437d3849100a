// npm run bench: parse + diff of two full-size lists against a bare XML parse
// of the same two files, measured in the same run. Not part of npm test.
//
//   CA:  the real consolidations of 2024-07-23 and 2025-07-24 (../shared/samples/ca)
//   CCL: the real CCL content (633 ECCNs) rendered into eCFR markup, and a copy
//        with a few ECCNs and paragraphs added, removed and changed.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { decodeText } from "@regwatch/core/encoding";
import type { ListSnapshot } from "@regwatch/core/schemas";
import { diffLists } from "@regwatch/diff/diff-snapshots";
import { entryHash } from "@regwatch/diff/entry-hash";
import { findSource } from "@regwatch/sources/registry";
import { parseXml } from "@regwatch/sources/xml";
import { XMLParser } from "fast-xml-parser";
import { SaxesParser } from "saxes";
import { SAMPLES, sampleFiles } from "../conformance/samples-dir.ts";
import { recordContext } from "../support/record-context.ts";
import { type CclEntry, renderCclXml } from "../support/render-ccl.ts";

const RUNS = Number(process.env.BENCH_RUNS ?? 25);
const WARMUP = 5;

// Three bare parses of the same bytes, none doing any regwatch work:
//  - tokenize: decode and tokenize every element, attribute and text node, keeping nothing (saxes);
//  - tree: the same tokenizer building a generic element tree (regwatch's parseXml);
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
const tree = (bytes: Buffer) => parseXml(decodeText(bytes).text);
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
  const runs = { tokenize: [] as number[], tree: [] as number[], fxp: [] as number[], ours: [] as number[] };
  for (let i = 0; i < WARMUP + RUNS; i++) {
    // Interleaved so that all see the same machine state.
    const t1 = time(() => tokenize(a) + tokenize(b));
    const t2 = time(() => [tree(a), tree(b)]);
    const t3 = time(() => [fxp(a), fxp(b)]);
    const t4 = time(ours);
    if (i >= WARMUP) {
      runs.tokenize.push(t1);
      runs.tree.push(t2);
      runs.fxp.push(t3);
      runs.ours.push(t4);
    }
  }
  const oursMs = median(runs.ours);
  const tokenizeMs = median(runs.tokenize);
  const treeMs = median(runs.tree);
  const fxpMs = median(runs.fxp);
  return {
    name,
    bytes: a.length + b.length,
    entries,
    records,
    tokenizeMs,
    treeMs,
    fxpMs,
    oursMs,
    vsTokenize: oursMs / tokenizeMs,
    vsTree: oursMs / treeMs,
    vsFxp: oursMs / fxpMs,
  };
}

const ca = sampleFiles("ca", /^justice-laws-xml-SOR-89-202-export-control-list-.*\.xml$/);
const caPair = [readFileSync(ca[2]!), readFileSync(ca[3]!)] as const;

const json = JSON.parse(readFileSync(join(SAMPLES, "us/ccl-derived-json-ecfr-2026-07-23.json"), "utf8")) as {
  entries: CclEntry[];
};
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
const alone = JSON.parse(
  execFileSync(process.execPath, ["--import", "tsx", fileURLToPath(import.meta.url), "--rss-only"], {
    encoding: "utf8",
  }),
) as { peakRssMb: number };

console.log(`regwatch bench — median of ${RUNS} runs after ${WARMUP} warm-up, Node ${process.version}`);
for (const r of results) {
  console.log(`\n${r.name}: ${r.bytes} bytes, ${r.entries} entries parsed, ${r.records} change records`);
  console.log(`  regwatch parse + diff      ${r.oursMs.toFixed(1).padStart(7)} ms`);
  console.log(
    `  bare: tokenize only        ${r.tokenizeMs.toFixed(1).padStart(7)} ms   ratio ${r.vsTokenize.toFixed(2)}×`,
  );
  console.log(
    `  bare: generic tree (saxes) ${r.treeMs.toFixed(1).padStart(7)} ms   ratio ${r.vsTree.toFixed(2)}×`,
  );
  console.log(
    `  bare: fast-xml-parser      ${r.fxpMs.toFixed(1).padStart(7)} ms   ratio ${r.vsFxp.toFixed(2)}×`,
  );
}
console.log(
  `\npeak RSS: ${alone.peakRssMb} MB for regwatch's parse + diff alone, ${peakRssMb.toFixed(0)} MB for this whole run with the bare parsers (target ≤ 256 MB)`,
);
console.log("target ratio: ≤ 1.5× the bare parse");
console.log(
  JSON.stringify({ results, peakRssMb: alone.peakRssMb, peakRssWholeRunMb: Math.round(peakRssMb) }),
);
