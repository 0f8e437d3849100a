// npm run bench: parse + diff of two full-size lists against a bare XML parse
// of the same two files, measured in the same run. Not part of npm test.
//
//   CA:  the real consolidations of 2024-07-23 and 2025-07-24 (../shared/samples/ca)
//   CCL: the real CCL content (633 ECCNs) rendered into eCFR markup, and a copy
//        with a few ECCNs and paragraphs added, removed and changed.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { decodeText } from "@regwatch/core/encoding";
import type { ListSnapshot } from "@regwatch/core/schemas";
import { diffLists, type RecordContext } from "@regwatch/diff/diff-snapshots";
import { entryHash } from "@regwatch/diff/entry-hash";
import { findSource } from "@regwatch/sources/registry";
import { SaxesParser } from "saxes";
import { SAMPLES, sampleFiles } from "../conformance/samples-dir.ts";
import { type CclEntry, renderCclXml } from "../support/render-ccl.ts";

const RUNS = Number(process.env.BENCH_RUNS ?? 25);
const WARMUP = 5;

function bareParse(bytes: Buffer): number {
  // The floor: decode the bytes and tokenize every element, attribute and text node, keeping nothing.
  const parser = new SaxesParser();
  let events = 0;
  parser.on("opentag", () => {
    events++;
  });
  parser.write(decodeText(bytes).text).close();
  return events;
}

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
  const ctx: RecordContext = {
    source: { id: source.id, jurisdiction: source.jurisdiction },
    detectedAt: "2026-01-01T00:00:00.000Z",
    provenance: {
      artifactSha256: "0".repeat(64),
      fetchedAt: "2026-01-01T00:00:00.000Z",
      parserVersion: source.parserVersion,
    },
    origin: "regulatory",
    url: null,
    citation: null,
    publishedAt: null,
    effectiveAt: null,
  };
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
  const bare = () => bareParse(a) + bareParse(b);
  const tOurs: number[] = [];
  const tBare: number[] = [];
  for (let i = 0; i < WARMUP + RUNS; i++) {
    // Interleaved so that both see the same machine state.
    const x = time(bare);
    const y = time(ours);
    if (i >= WARMUP) {
      tBare.push(x);
      tOurs.push(y);
    }
  }
  const bareMs = median(tBare);
  const oursMs = median(tOurs);
  return { name, bytes: a.length + b.length, entries, records, bareMs, oursMs, ratio: oursMs / bareMs };
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
        items: e.items.map((i) => (i.paragraph === "a" ? { ...i, text: `${i.text} (revised)` } : i)),
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

const results = [
  bench("ca.export-control-list (2024 → 2025)", "ca.export-control-list", ...caPair),
  bench("us.ecfr.ccl (full CCL, 633 ECCNs)", "us.ecfr.ccl", ...cclPair),
];
const peakRssMb = process.resourceUsage().maxRSS / 1024;

console.log(`regwatch bench — median of ${RUNS} runs after ${WARMUP} warm-up, Node ${process.version}`);
console.log(
  "pair                                      bytes   entries records   bare ms   parse+diff ms   ratio",
);
for (const r of results) {
  console.log(
    `${r.name.padEnd(40)} ${String(r.bytes).padStart(8)} ${String(r.entries).padStart(8)} ${String(r.records).padStart(7)} ${r.bareMs.toFixed(1).padStart(9)} ${r.oursMs.toFixed(1).padStart(15)} ${r.ratio.toFixed(2).padStart(7)}×`,
  );
}
console.log(`peak RSS: ${peakRssMb.toFixed(0)} MB (target ≤ 256 MB); target ratio ≤ 1.5×`);
console.log(JSON.stringify({ results, peakRssMb: Math.round(peakRssMb) }));
