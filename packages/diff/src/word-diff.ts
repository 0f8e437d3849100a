import type { WordDiff } from "@regwatch/core/schemas";
import { type Budget, diffSequences, type Edit } from "./myers.ts";

/**
 * Steps (diagonals extended plus tokens compared, see myers.ts) one word diff
 * may spend, shared by the sentence-level pass and every changed block.
 *
 * A budget of work rather than a cap on block size, because Myers costs
 * about (tokens · edits), not tokens: a 100 000-token run-on paragraph with
 * two edits is cheap and deserves its word diff, a rewritten 5 000-token one
 * is not. Measured: 3 000 scattered one-word edits in a 200 KB text cost
 * 6·10^6 steps; a rewritten 20 KB paragraph 4·10^7, a rewritten 200 KB one
 * 5·10^8 (and its word diff is confetti nobody reads). 10^7 steps take about
 * 0.1 s, so any real amendment fits with room to spare and a rewrite gives
 * up after ~0.1 s and is shown whole.
 */
const WORK_BUDGET = 10_000_000;

/**
 * Beyond this many characters (before + after) no word diff is attempted: the
 * record carries `[["-", before], ["+", after]]`, which within the record
 * schema says "too large to word-diff". Every other cost is bounded by
 * WORK_BUDGET; this bounds the rest, the tokens held in memory (measured:
 * ~20 MB at the cap) and the size of the record. Our largest texts are far
 * smaller: a CCL paragraph is at most ~2 KB, a whole ECCN ~60 KB.
 */
const MAX_DIFF_CHARS = 1_000_000;

/**
 * A long sentence (a run-on list, a table flattened to text) is cut after
 * "breakpoint" words into pieces of at least this many tokens (~24 words):
 * without anchors a long paragraph with edits all over it would be one
 * block, priced as a whole against the budget. Sentences under twice this
 * length, most of them, stay whole.
 */
const MIN_CHUNK_TOKENS = 48;
/** One word in BREAK_EVERY is a breakpoint (by a hash of its text: the same word is one on both sides). */
const BREAK_EVERY = 16;

/** Words and the whitespace/punctuation between them, so that joining the tokens gives the text back. */
export function tokenize(text: string): string[] {
  if (CJK.test(text)) return text.match(CJK_TOKENS) ?? [];
  return text.match(/[\p{L}\p{N}]+|\s+|[^\p{L}\p{N}\s]/gu) ?? [];
}

// Chinese and Japanese write no spaces between words: a run of kanji and kana
// is not one word, or a one-character insertion in a Japanese item would read
// as the whole phrase replaced. Each such character is a token of its own;
// other letters and digits keep forming words.
const CJK = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}]/u;
const CJK_TOKENS =
  /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}]|(?:(?![\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}])[\p{L}\p{N}])+|\s+|[^\p{L}\p{N}\s]/gu;

/**
 * Word-level diff of two texts: joining the "=" and "-" parts gives `before`,
 * the "=" and "+" parts give `after`; adjacent parts of one kind are merged.
 *
 * Two levels, so that the cost follows the size of the change rather than
 * the size of the text: after trimming the common prefix and suffix, the
 * texts are cut into sentences (and long sentences into content-defined
 * chunks) and diffed sentence by sentence; only the runs of changed
 * sentences are diffed word by word (smallest first). Both levels are Myers
 * diffs in linear space under one shared work budget; a block the budget
 * cannot pay for is shown whole, as one "-" and one "+". Texts over
 * MAX_DIFF_CHARS are shown whole without tokenizing them.
 */
export function wordDiff(before: string, after: string): WordDiff {
  if (before === after) return before ? [["=", before]] : [];
  if (before.length + after.length > MAX_DIFF_CHARS) return replaced(before, after);

  const tokens = new TokenInterner();
  const a: Side = { text: before, ...tokens.sequence(tokenize(before)) };
  const b: Side = { text: after, ...tokens.sequence(tokenize(after)) };
  let start = 0;
  while (start < a.ids.length && start < b.ids.length && a.ids[start] === b.ids[start]) start++;
  let endA = a.ids.length;
  let endB = b.ids.length;
  while (endA > start && endB > start && a.ids[endA - 1] === b.ids[endB - 1]) {
    endA--;
    endB--;
  }

  const budget: Budget = { left: WORK_BUDGET };
  const segments = diffSentences(a, b, start, endA, endB, tokens.kinds, budget);
  // Smallest blocks first: when the budget runs out it is the largest
  // rewrites that are shown whole, not whichever came last in the text.
  const wordEdits = new Map<Block, Edit[] | null>();
  const blocks = segments.filter((seg): seg is Block => "aFrom" in seg);
  for (const block of blocks.sort((x, y) => size(x) - size(y))) {
    const edits = diffSequences(
      a.ids.subarray(block.aFrom, block.aTo),
      b.ids.subarray(block.bFrom, block.bTo),
      budget,
    );
    wordEdits.set(block, edits);
  }

  const ops: WordDiff = [];
  const emit = (op: "=" | "+" | "-", side: Side, from: number, to: number) => {
    const text = side.text.slice(side.at[from], side.at[to]);
    if (!text) return;
    const last = ops[ops.length - 1];
    if (last && last[0] === op) last[1] += text;
    else ops.push([op, text]);
  };
  emit("=", a, 0, start);
  for (const seg of segments) {
    if (!("aFrom" in seg)) {
      emit("=", a, seg.from, seg.to);
      continue;
    }
    const edits = wordEdits.get(seg);
    if (!edits) {
      emit("-", a, seg.aFrom, seg.aTo);
      emit("+", b, seg.bFrom, seg.bTo);
      continue;
    }
    for (const e of edits) {
      if (e.op === "+") emit("+", b, seg.bFrom + e.start, seg.bFrom + e.end);
      else emit(e.op, a, seg.aFrom + e.start, seg.aFrom + e.end);
    }
  }
  emit("=", a, endA, a.ids.length);
  return ops;
}

/**
 * Diffs a[start, endA) and b[start, endB) sentence by sentence, into runs of
 * unchanged sentences and blocks of changed ones, as token ranges. When the
 * sentence diff itself is over budget, the whole range is one block.
 */
function diffSentences(
  a: Side,
  b: Side,
  start: number,
  endA: number,
  endB: number,
  kinds: readonly Kind[],
  budget: Budget,
): (Unchanged | Block)[] {
  const sentenceIds = new Interner();
  const boundsA = sentences(a, start, endA, kinds);
  const boundsB = sentences(b, start, endB, kinds);
  const idsA = sentenceIds.ids(boundsA, (s, e) => a.text.slice(a.at[s], a.at[e]));
  const idsB = sentenceIds.ids(boundsB, (s, e) => b.text.slice(b.at[s], b.at[e]));
  const edits = diffSequences(idsA, idsB, budget) ?? [
    { op: "-", start: 0, end: idsA.length },
    { op: "+", start: 0, end: idsB.length },
  ];
  const segments: (Unchanged | Block)[] = [];
  let block: Block | null = null;
  let ia = 0;
  let ib = 0;
  for (const edit of edits) {
    const count = edit.end - edit.start;
    if (edit.op === "=") {
      block = null;
      segments.push({ from: boundsA[ia]!, to: boundsA[ia + count]! });
      ia += count;
      ib += count;
      continue;
    }
    if (!block) {
      block = { aFrom: boundsA[ia]!, aTo: boundsA[ia]!, bFrom: boundsB[ib]!, bTo: boundsB[ib]! };
      segments.push(block);
    }
    if (edit.op === "-") {
      ia += count;
      block.aTo = boundsA[ia]!;
    } else {
      ib += count;
      block.bTo = boundsB[ib]!;
    }
  }
  return segments;
}

/** The diff that says "no word diff": the whole before out, the whole after in. */
function replaced(before: string, after: string): WordDiff {
  const ops: WordDiff = [];
  if (before) ops.push(["-", before]);
  if (after) ops.push(["+", after]);
  return ops;
}

/** A run of unchanged sentences: tokens [from, to) of before. */
interface Unchanged {
  from: number;
  to: number;
}

/** A run of changed sentences: tokens [aFrom, aTo) of before and [bFrom, bTo) of after. */
interface Block {
  aFrom: number;
  aTo: number;
  bFrom: number;
  bTo: number;
}

function size(block: Block): number {
  return block.aTo - block.aFrom + block.bTo - block.bFrom;
}

/** What a token can do to a sentence boundary. */
type Kind = "other" | "word" | "breakpoint" | "space" | "line-break" | "stop";

function kindOf(token: string): Kind {
  if (/^\s/u.test(token)) return token.includes("\n") ? "line-break" : "space";
  if (/^[\p{L}\p{N}]/u.test(token)) return isBreakpoint(token) ? "breakpoint" : "word";
  return /^[.;:!?。；：！？]$/u.test(token) ? "stop" : "other";
}

/** FNV-1a: a fixed hash, so that the same word is a breakpoint in every run and on both sides. */
function isBreakpoint(word: string): boolean {
  let h = 0x811c9dc5;
  for (let i = 0; i < word.length; i++) h = Math.imul(h ^ word.charCodeAt(i), 0x01000193);
  return (h >>> 0) % BREAK_EVERY === 0;
}

/** Tokens of one text as interned ids, with the character offset of each token (and of the end). */
interface Sequence {
  ids: Int32Array;
  at: Int32Array;
}

/** One side of the diff: its text and its tokens. */
interface Side extends Sequence {
  text: string;
}

/** Equal strings get equal ids, so that the diffs compare integers. */
class Interner {
  private readonly byText = new Map<string, number>();

  protected id(text: string): number {
    let id = this.byText.get(text);
    if (id === undefined) {
      id = this.byText.size;
      this.byText.set(text, id);
    }
    return id;
  }

  /** Ids of the units between consecutive boundaries, keyed by their text. */
  ids(bounds: readonly number[], text: (start: number, end: number) => string): Int32Array {
    const ids = new Int32Array(Math.max(0, bounds.length - 1));
    for (let i = 0; i + 1 < bounds.length; i++) ids[i] = this.id(text(bounds[i]!, bounds[i + 1]!));
    return ids;
  }
}

/** Interns tokens, and remembers each distinct token's kind so that it is classified once. */
class TokenInterner extends Interner {
  readonly kinds: Kind[] = [];

  protected override id(text: string): number {
    const id = super.id(text);
    if (id === this.kinds.length) this.kinds.push(kindOf(text));
    return id;
  }

  sequence(tokens: string[]): Sequence {
    const ids = new Int32Array(tokens.length);
    const at = new Int32Array(tokens.length + 1);
    for (let i = 0; i < tokens.length; i++) {
      ids[i] = this.id(tokens[i]!);
      at[i + 1] = at[i]! + tokens[i]!.length;
    }
    return { ids, at };
  }
}

/**
 * Token indices where sentences start in [from, to), with `to` last (no
 * sentence at all when the range is empty). A sentence ends at a line break
 * or at the space after . ; : ! ?; a long one is cut further after
 * breakpoint words, leaving no piece shorter than MIN_CHUNK_TOKENS (short
 * pieces like "of the." would match by accident and pin a rewrite in place).
 * Every rule looks only at the tokens themselves, so after an edit the
 * boundaries fall back into step within a sentence or so.
 */
function sentences(seq: Sequence, from: number, to: number, kinds: readonly Kind[]): number[] {
  const bounds = [from];
  const chunk = (start: number, end: number) => {
    let last = start;
    for (let i = start + MIN_CHUNK_TOKENS - 1; i < end - MIN_CHUNK_TOKENS; i++) {
      if (kinds[seq.ids[i]!] === "breakpoint" && i + 1 - last >= MIN_CHUNK_TOKENS) {
        bounds.push(i + 1);
        last = i + 1;
      }
    }
    bounds.push(end);
  };
  let start = from;
  for (let i = from; i < to - 1; i++) {
    const kind = kinds[seq.ids[i]!]!;
    if (kind === "line-break" || (kind === "space" && i > 0 && kinds[seq.ids[i - 1]!] === "stop")) {
      chunk(start, i + 1);
      start = i + 1;
    }
  }
  if (to > start) chunk(start, to);
  return bounds;
}
