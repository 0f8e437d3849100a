// Matching the blocks of two versions of a page, so that the list diff
// reports what a reader would: the paragraph inserted, the one edited, the
// one removed, and nothing else.
//
// Positional keys (keys.ts) shift when a block is inserted or removed
// before others of its section. `alignBlocks` gives each block of the new
// version the key of the block it continues in the previous version:
//   1. blocks with the same text (and kind) are matched first, as the
//      longest common subsequence of the two pages in order;
//   2. between two such anchors, blocks of the same kind are matched by
//      word similarity (at least SIMILARITY), keeping order, the pairing
//      with the largest total similarity winning;
//   3. a block matched takes its previous key (and place in the order);
//      one not matched is new: it keeps its positional key unless a block
//      of the previous version had it ("h:S/p.3" then becomes "h:S/p.3+1"),
//      so it can never be mistaken for the block that held the key before.
// `diffLists` of the previous entries against the aligned ones then gives
// exactly the blocks added, removed and modified. Entries that are not page
// blocks (document links, keyed by their address) are passed through.

import type { Entry } from "@regwatch/core/schemas";
import { comparableText } from "@regwatch/core/text";
import { type BlockData, orderBetween } from "./keys.ts";

/** Two blocks whose words overlap this much (Dice coefficient) are one block edited. */
export const SIMILARITY = 0.5;
/** Largest table (previous × next blocks) for the exact longest common subsequence; beyond, unique lines anchor. */
const LCS_CELLS = 4_000_000;
/** Largest gap (previous × next blocks between two anchors) compared block by block for similarity. */
const SIMILARITY_CELLS = 250_000;

interface Block {
  entry: Entry;
  features?: Features;
  kind: string;
  /** Kind and comparable text: equal identities are the same block. */
  identity: string;
  order: string | null;
}

const blockData = (e: Entry): Partial<BlockData> | null =>
  e.data && typeof e.data.block === "string" ? (e.data as Partial<BlockData>) : null;

function toBlock(entry: Entry): Block {
  const data = blockData(entry)!;
  return {
    entry,
    kind: data.block!,
    identity: `${data.block}\u0000${comparableText(entry.text)}`,
    order: typeof data.order === "string" ? data.order : null,
  };
}

/**
 * `next` (one parse of the page) with its blocks' keys, parents and order
 * taken from their matches in `previous` (the entries stored for the page,
 * in any order: their `data.order` gives the page order). Pure; `next` is
 * not changed. Entries without `data.block` keep their keys.
 */
export function alignBlocks(previous: readonly Entry[], next: readonly Entry[]): Entry[] {
  const oldBlocks = previous
    .filter(blockData)
    .map(toBlock)
    .map((b, i) => ({ b, i }))
    // Stored entries come back in storage order; `order` is the page's. Ties (none expected) keep storage order.
    .sort((x, y) => (x.b.order ?? "").localeCompare(y.b.order ?? "") || x.i - y.i)
    .map(({ b }) => b);
  const newBlocks = next.filter(blockData).map(toBlock);
  const pairs = matchBlocks(oldBlocks, newBlocks);

  const matchOf = new Map<number, Block>(pairs.map(([i, j]) => [j, oldBlocks[i]!]));
  const previousKeys = new Set(previous.map((e) => e.key));
  const taken = new Set<string>(pairs.map(([i]) => oldBlocks[i]!.entry.key));
  for (const e of next) if (!blockData(e)) taken.add(e.key);
  const keyOf = new Map<string, string>();
  newBlocks.forEach((block, j) => {
    const match = matchOf.get(j);
    if (match) keyOf.set(block.entry.key, match.entry.key);
  });
  newBlocks.forEach((block, j) => {
    if (matchOf.has(j)) return;
    const own = block.entry.key;
    let key = own;
    for (let n = 1; previousKeys.has(key) || taken.has(key); n++) key = `${own}+${n}`;
    taken.add(key);
    keyOf.set(own, key);
  });

  // Orders: a match keeps its place; new blocks get places between their matched neighbours.
  const orders: string[] = [];
  for (let j = 0; j < newBlocks.length; ) {
    const match = matchOf.get(j);
    if (match?.order) {
      orders[j] = match.order;
      j++;
      continue;
    }
    let end = j;
    while (end < newBlocks.length && !matchOf.get(end)?.order) end++;
    const low = j > 0 ? orders[j - 1]! : null;
    const high = end < newBlocks.length ? matchOf.get(end)!.order! : null;
    let last = low;
    for (let k = j; k < end; k++) {
      // Stored orders out of step (entries stored before alignment was used) must not stop a run.
      last = orderBetween(last, high !== null && last !== null && !(last < high) ? null : high);
      orders[k] = last;
    }
    j = end;
  }

  const aligned = new Map<Entry, Entry>();
  newBlocks.forEach((block, j) => {
    const e = block.entry;
    const parentKey = e.parentKey === null ? null : (keyOf.get(e.parentKey) ?? e.parentKey);
    aligned.set(e, { ...e, key: keyOf.get(e.key)!, parentKey, data: { ...e.data, order: orders[j]! } });
  });
  return next.map((e) => aligned.get(e) ?? e);
}

function featuresOf(block: Block): Features {
  block.features ??= features(block.entry.text);
  return block.features;
}

/** Order-preserving pairs [previous index, next index]: exact matches, then similar ones between them. */
function matchBlocks(a: readonly Block[], b: readonly Block[]): [number, number][] {
  const exact = exactMatches(a, b, 0, a.length, 0, b.length);
  const pairs: [number, number][] = [];
  let ai = 0;
  let bi = 0;
  for (const [i, j] of [...exact, [a.length, b.length] as [number, number]]) {
    pairs.push(...similarMatches(a, b, ai, i, bi, j));
    if (i < a.length) pairs.push([i, j]);
    ai = i + 1;
    bi = j + 1;
  }
  return pairs;
}

/** The longest common subsequence of identities in a[aLo,aHi) × b[bLo,bHi), as index pairs in order. */
function exactMatches(
  a: readonly Block[],
  b: readonly Block[],
  aLo: number,
  aHi: number,
  bLo: number,
  bHi: number,
): [number, number][] {
  const head: [number, number][] = [];
  while (aLo < aHi && bLo < bHi && a[aLo]!.identity === b[bLo]!.identity) head.push([aLo++, bLo++]);
  const tail: [number, number][] = [];
  while (aLo < aHi && bLo < bHi && a[aHi - 1]!.identity === b[bHi - 1]!.identity)
    tail.unshift([--aHi, --bHi]);
  const n = aHi - aLo;
  const m = bHi - bLo;
  if (n === 0 || m === 0) return [...head, ...tail];
  if (n * m <= LCS_CELLS) return [...head, ...lcs(a, b, aLo, aHi, bLo, bHi), ...tail];
  // Too large for the table: blocks that occur once on each side anchor, in order, and the gaps recurse.
  const anchors = uniqueAnchors(a, b, aLo, aHi, bLo, bHi);
  if (!anchors.length) return [...head, ...tail];
  const middle: [number, number][] = [];
  let pa = aLo;
  let pb = bLo;
  for (const [i, j] of anchors) {
    middle.push(...exactMatches(a, b, pa, i, pb, j), [i, j]);
    pa = i + 1;
    pb = j + 1;
  }
  middle.push(...exactMatches(a, b, pa, aHi, pb, bHi));
  return [...head, ...middle, ...tail];
}

function lcs(
  a: readonly Block[],
  b: readonly Block[],
  aLo: number,
  aHi: number,
  bLo: number,
  bHi: number,
): [number, number][] {
  const n = aHi - aLo;
  const m = bHi - bLo;
  const width = m + 1;
  const table =
    n < 65_535 && m < 65_535 ? new Uint16Array((n + 1) * width) : new Uint32Array((n + 1) * width);
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      table[i * width + j] =
        a[aLo + i]!.identity === b[bLo + j]!.identity
          ? table[(i + 1) * width + j + 1]! + 1
          : Math.max(table[(i + 1) * width + j]!, table[i * width + j + 1]!);
    }
  }
  const out: [number, number][] = [];
  for (let i = 0, j = 0; i < n && j < m; ) {
    if (a[aLo + i]!.identity === b[bLo + j]!.identity) {
      out.push([aLo + i, bLo + j]);
      i++;
      j++;
    } else if (table[(i + 1) * width + j]! >= table[i * width + j + 1]!) i++;
    else j++;
  }
  return out;
}

/** Identities found exactly once on each side, paired, reduced to the longest run increasing on both. */
function uniqueAnchors(
  a: readonly Block[],
  b: readonly Block[],
  aLo: number,
  aHi: number,
  bLo: number,
  bHi: number,
): [number, number][] {
  const count = (blocks: readonly Block[], lo: number, hi: number) => {
    const seen = new Map<string, number>();
    for (let i = lo; i < hi; i++) {
      const id = blocks[i]!.identity;
      seen.set(id, seen.has(id) ? -1 : i);
    }
    return seen;
  };
  const inA = count(a, aLo, aHi);
  const inB = count(b, bLo, bHi);
  const candidates: [number, number][] = [];
  for (const [id, i] of inA) {
    const j = inB.get(id);
    if (i >= 0 && j !== undefined && j >= 0) candidates.push([i, j]);
  }
  candidates.sort((x, y) => x[0] - y[0]);
  // Longest increasing subsequence of the b indices (patience sorting).
  const tails: number[] = [];
  const back: number[] = new Array(candidates.length).fill(-1);
  candidates.forEach(([, j], k) => {
    let lo = 0;
    let hi = tails.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (candidates[tails[mid]!]![1] < j) lo = mid + 1;
      else hi = mid;
    }
    if (lo > 0) back[k] = tails[lo - 1]!;
    tails[lo] = k;
  });
  const out: [number, number][] = [];
  for (let k = tails.length ? tails[tails.length - 1]! : -1; k >= 0; k = back[k]!)
    out.unshift(candidates[k]!);
  return out;
}

const WORD = /[\p{L}\p{N}]+/gu;

/** What similarity reads of a text, computed once per block. */
interface Features {
  words: Map<string, number>;
  wordCount: number;
  bigrams: Map<string, number> | null;
  text: string;
}

function features(text: string): Features {
  const comparable = comparableText(text).toLowerCase();
  const words = new Map<string, number>();
  let wordCount = 0;
  for (const [w] of comparable.matchAll(WORD)) {
    words.set(w, (words.get(w) ?? 0) + 1);
    wordCount++;
  }
  return { words, wordCount, bigrams: null, text: comparable };
}

function bigramsOf(f: Features): Map<string, number> {
  if (f.bigrams) return f.bigrams;
  const counts = new Map<string, number>();
  for (let i = 0; i + 1 < f.text.length; i++) {
    const g = f.text.slice(i, i + 2);
    counts.set(g, (counts.get(g) ?? 0) + 1);
  }
  f.bigrams = counts;
  return counts;
}

function dice(x: Map<string, number>, y: Map<string, number>): number {
  let total = 0;
  let common = 0;
  for (const n of x.values()) total += n;
  for (const n of y.values()) total += n;
  const [small, large] = x.size <= y.size ? [x, y] : [y, x];
  for (const [k, n] of small) common += Math.min(n, large.get(k) ?? 0);
  return total === 0 ? 0 : (2 * common) / total;
}

/** Fewer words than this on either side, and character pairs are compared instead: one word is most of the text. */
const SHORT_WORDS = 4;

function similarityOf(x: Features, y: Features): number {
  if (Math.min(x.wordCount, y.wordCount) < SHORT_WORDS) return dice(bigramsOf(x), bigramsOf(y));
  return dice(x.words, y.words);
}

/**
 * How alike two blocks' texts are, 0–1: the Dice coefficient of their words;
 * for short blocks (a heading, a row of a few cells) of their character pairs.
 */
export function similarity(x: string, y: string): number {
  return similarityOf(features(x), features(y));
}

/**
 * Pairs in a[aLo,aHi) × b[bLo,bHi) of one kind and at least SIMILARITY alike,
 * in order, with the largest total similarity. A gap too large to compare
 * block by block (a page rewritten) is left unmatched: added and removed.
 */
function similarMatches(
  a: readonly Block[],
  b: readonly Block[],
  aLo: number,
  aHi: number,
  bLo: number,
  bHi: number,
): [number, number][] {
  const n = aHi - aLo;
  const m = bHi - bLo;
  if (n === 0 || m === 0 || n * m > SIMILARITY_CELLS) return [];
  const score = new Float64Array(n * m);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < m; j++) {
      const x = a[aLo + i]!;
      const y = b[bLo + j]!;
      const s = x.kind === y.kind ? similarityOf(featuresOf(x), featuresOf(y)) : 0;
      score[i * m + j] = s >= SIMILARITY ? s : -1;
    }
  }
  const width = m + 1;
  const best = new Float64Array((n + 1) * width);
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      const s = score[i * m + j]!;
      best[i * width + j] = Math.max(
        best[(i + 1) * width + j]!,
        best[i * width + j + 1]!,
        s > 0 ? s + best[(i + 1) * width + j + 1]! : 0,
      );
    }
  }
  const out: [number, number][] = [];
  for (let i = 0, j = 0; i < n && j < m; ) {
    const s = score[i * m + j]!;
    if (s > 0 && best[i * width + j] === s + best[(i + 1) * width + j + 1]!) {
      out.push([aLo + i, bLo + j]);
      i++;
      j++;
    } else if (best[i * width + j] === best[(i + 1) * width + j]) i++;
    else j++;
  }
  return out;
}
