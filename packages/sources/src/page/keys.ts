// Keys of a page's blocks. A key says where a block stands, never what it
// says: the headings above it and its place among the blocks of its kind
// under the nearest one ("h:Export controls/h:Licensing/p.3"). So a
// paragraph whose words change keeps its key and is reported "modified",
// with a word-level redline, instead of removed and added.
//
// Position alone cannot survive an insertion: a paragraph inserted in the
// middle of a section moves every later paragraph of that section to the
// next number. Parsed on its own, a page gives these positional keys, and a
// diff of them reports the shifted paragraphs of that one section as
// modified (the rest of the page is untouched: numbering restarts under
// every heading). `alignBlocks` (align.ts) removes that: it matches the
// blocks of two versions by content and gives each block of the new version
// the key its match had, so an insertion is exactly one added block.

import type { Entry } from "@regwatch/core/schemas";
import type { TechnologyId } from "@regwatch/core/taxonomy";
import type { BlockKind, PageBlock } from "./extract.ts";

/** What a page block entry keeps besides its text (none of it is compared: `entryHash` reads heading and text). */
export interface BlockData {
  block: BlockKind;
  /** 1–6 for headings. */
  level?: number;
  /**
   * Where the block stands in the page, as a string that sorts in page
   * order and leaves room between any two: a block inserted later gets one
   * between its neighbours' without renumbering them (see `orderBetween`).
   */
  order: string;
  /** The headings the block stands under now ("Export controls › Licensing"), for readers. */
  context?: string;
  /** Technologies the person watching the page tagged it with. */
  technologies?: TechnologyId[];
}

/** Longest heading text kept in a key; the key only has to tell sections apart. */
const SEGMENT_CHARS = 60;

function segment(text: string): string {
  const cut = text.replace(/\//g, "-");
  return `h:${cut.length > SEGMENT_CHARS ? cut.slice(0, SEGMENT_CHARS).trimEnd() : cut}`;
}

const DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz";

/** The order of the i-th block (from 0) of a freshly parsed page: fixed width, so strings sort as numbers. */
export function initialOrder(index: number): string {
  // Never ending in "0", so that `orderBetween` always finds room before it.
  return `${(index + 1).toString(36).padStart(5, "0")}i`;
}

/**
 * A string strictly between `low` and `high` in sort order (null: no bound
 * on that side), over base-36 digits, never ending in "0". Repeated
 * insertions at one place make the strings one digit longer each ~5 times.
 */
export function orderBetween(low: string | null, high: string | null): string {
  const a = low ?? "";
  let b = high;
  if (b !== null && !(a < b)) throw new Error(`no order between "${a}" and "${b}"`);
  let out = "";
  for (let i = 0; ; i++) {
    const da = i < a.length ? DIGITS.indexOf(a[i]!) : 0;
    const db = b !== null && i < b.length ? DIGITS.indexOf(b[i]!) : DIGITS.length;
    if (da < 0 || db < 0) throw new Error(`order strings must be base-36: "${a}", "${b}"`);
    if (db - da > 1) return out + DIGITS[Math.floor((da + db) / 2)];
    out += DIGITS[da];
    // From here on anything longer than `a` is below `b`.
    if (db - da === 1) b = null;
  }
}

/** The key of a page's one h1, its title: the rest of the page stands under it, without repeating it in every key. */
export const TITLE_KEY = "title";

/**
 * A page's blocks as list entries with positional keys: a heading by the
 * path of headings down to it ("h:Export controls/h:Licensing"; a second
 * heading with the same path gets "~2"), every other block by its nearest
 * heading and its number among the blocks of its kind there
 * ("h:Export controls/p.3", "…/li.2", "…/tr.4"; "p.1" at the top). A page
 * with one h1 has it as its title (`title`), which keys do not repeat. The
 * parent of a block is its nearest heading, so a section added or removed
 * whole is one record with its blocks.
 */
export function blocksToEntries(
  blocks: readonly PageBlock[],
  technologies: readonly TechnologyId[] = [],
): Entry[] {
  const titled = blocks.filter((b) => b.kind === "h" && b.level === 1).length === 1;
  const used = new Set<string>();
  const stack: { level: number; key: string }[] = [];
  const counters = new Map<string, number>();
  const prefixOf = (key: string | null) => (key === null || key === TITLE_KEY ? "" : `${key}/`);
  const entries: Entry[] = [];
  blocks.forEach((block, index) => {
    const data: BlockData = { block: block.kind, order: initialOrder(index) };
    if (block.headings.length) data.context = block.headings.join(" › ");
    if (technologies.length) data.technologies = [...technologies];
    if (block.kind === "h") {
      const level = block.level ?? 6;
      while (stack.length && stack[stack.length - 1]!.level >= level) stack.pop();
      const parentKey = stack[stack.length - 1]?.key ?? null;
      const base = titled && level === 1 ? TITLE_KEY : `${prefixOf(parentKey)}${segment(block.text)}`;
      let key = base;
      for (let n = 2; used.has(key); n++) key = `${base}~${n}`;
      used.add(key);
      stack.push({ level, key });
      data.level = level;
      entries.push({ key, parentKey, heading: null, text: block.text, data: { ...data } });
      return;
    }
    const section = stack[stack.length - 1]?.key ?? null;
    const prefix = prefixOf(section);
    const counter = `${prefix}\u0000${block.kind}`;
    const n = (counters.get(counter) ?? 0) + 1;
    counters.set(counter, n);
    const key = `${prefix}${block.kind}.${n}`;
    used.add(key);
    entries.push({ key, parentKey: section, heading: null, text: block.text, data: { ...data } });
  });
  return entries;
}
