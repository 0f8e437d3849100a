// npm run bench, subscription matching: one change against 100k subscriptions,
// through SubscriptionIndex and by brute force (matchesFilters on every
// subscription), on the same changes. Median per change after warm-up.
// Targets: index ≤ 100 ms per change, ≥ 20× faster than brute force.
//
// Alone, from the repository root:
//   node --import tsx -e 'import("./test/bench/match.ts").then(m => m.benchMatch())'
import { performance } from "node:perf_hooks";
import { matchesFilters, SubscriptionIndex } from "@regwatch/alerts/match";
import { createRng, randomChange, randomFilters } from "../support/subscriptions.ts";

const SUBSCRIPTIONS = 100_000;
const CHANGES = 200;
const WARMUP = 20;
const INDEX_TARGET_MS = 100;
const SPEEDUP_TARGET = 20;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

export async function benchMatch(): Promise<void> {
  const rng = createRng(0x5ec7);
  const subs = Array.from({ length: SUBSCRIPTIONS }, (_, i) => ({
    id: `sub-${i}`,
    filters: randomFilters(rng),
  }));
  const changes = Array.from({ length: CHANGES }, () => randomChange(rng));

  const buildStart = performance.now();
  const index = new SubscriptionIndex();
  for (const s of subs) index.add(s.id, s.filters);
  const buildMs = performance.now() - buildStart;

  const bruteForce = (c: (typeof changes)[number]) =>
    subs.filter((s) => matchesFilters(s.filters, c)).map((s) => s.id);

  for (const c of changes.slice(0, WARMUP)) {
    index.match(c);
    bruteForce(c);
  }
  // The two loops apart: brute force leaves garbage whose collection would land in the index's timings.
  const indexMs: number[] = [];
  const viaIndex: string[][] = [];
  for (const c of changes) {
    const t = performance.now();
    viaIndex.push(index.match(c));
    indexMs.push(performance.now() - t);
  }
  const bruteMs: number[] = [];
  changes.forEach((c, n) => {
    const t = performance.now();
    const viaScan = bruteForce(c);
    bruteMs.push(performance.now() - t);
    // Same answer, or the timing means nothing.
    const got = viaIndex[n]!;
    if (got.length !== viaScan.length || got.some((id, i) => id !== viaScan[i])) {
      throw new Error(`index and brute force disagree on ${JSON.stringify(c)}`);
    }
  });
  const matched = viaIndex.map((ids) => ids.length);

  const result = {
    subscriptions: SUBSCRIPTIONS,
    changes: CHANGES,
    buildMs: Number(buildMs.toFixed(1)),
    indexMedianMs: Number(median(indexMs).toFixed(3)),
    indexP95Ms: Number(percentile(indexMs, 0.95).toFixed(3)),
    bruteForceMedianMs: Number(median(bruteMs).toFixed(2)),
    speedup: Number((median(bruteMs) / median(indexMs)).toFixed(1)),
    matchedMedian: median(matched),
    matchedMax: Math.max(...matched),
  };
  console.log(
    `\nmatch one change against ${SUBSCRIPTIONS / 1000}k subscriptions: index ${result.indexMedianMs.toFixed(2)} ms (target ≤ ${INDEX_TARGET_MS} ms), brute force ${result.bruteForceMedianMs.toFixed(1)} ms, ${result.speedup}× faster (target ≥ ${SPEEDUP_TARGET}×)`,
  );
  console.log(
    `  index p95 ${result.indexP95Ms.toFixed(2)} ms; ids matched per change: median ${result.matchedMedian}, max ${result.matchedMax}; building the index: ${result.buildMs.toFixed(0)} ms`,
  );
  console.log(JSON.stringify({ match: result }));
}
