// Wassenaar-style paragraph labels, as every list numbered like the
// Arrangement's prints them (the EU's Annex I, the Arrangement's own lists):
// letters under an entry, numbers under them, letters again, and so on.
// Where a labelled paragraph goes is decided here once for every reader.

export type LabelType = "letter" | "number";
export interface Label {
  value: string;
  type: LabelType;
}

/** A paragraph on the path from the entry down: its label (none for the entry itself) and how far in it is printed. */
export interface LabelledNode {
  label: Label | null;
  depth: number;
}

/** The label type a level takes: level 1 (under the entry) letters, level 2 numbers, … */
export const expectedType = (level: number): LabelType => (level % 2 === 1 ? "letter" : "number");
export const firstLabel = (type: LabelType) => (type === "letter" ? "a" : "1");
export const labelOrder = (l: Label) => (l.type === "letter" ? l.value.charCodeAt(0) : Number(l.value));
export const successor = (l: Label) =>
  l.type === "letter" ? String.fromCharCode(l.value.charCodeAt(0) + 1) : String(Number(l.value) + 1);

export interface PlaceOptions {
  /** How far apart two printed depths may be and still be one level (PDF x positions wobble). Default 0. */
  tolerance?: number;
  /**
   * Whether the deepest paragraph has children yet: a first label of the other
   * type printed further in under one without children is a level the list
   * skips ("1C350 Chemicals … as follows: 1. Thiodiglycol …"). Absent: never.
   */
  deepestHasChildren?: () => boolean;
}

/**
 * Where a labelled paragraph goes on `path` (index 0 the entry): the index it
 * takes (path.length: a child of the deepest; i: the next sibling of path[i]),
 * or null when it fits nowhere. Nesting (printed further in, or at the same
 * depth as a sibling) decides first; the exact next label ("b" after "a", "a"
 * as a first child) before a later one (a deleted paragraph skipped); then the deepest.
 */
export function placeLabel(
  path: readonly LabelledNode[],
  label: Label,
  depth: number,
  options: PlaceOptions = {},
): number | null {
  const tolerance = options.tolerance ?? 0;
  let best: { index: number; score: number } | null = null;
  const consider = (index: number, score: number) => {
    if (!best || score > best.score || (score === best.score && index > best.index)) best = { index, score };
  };
  const deepest = path.length - 1;
  const top = path[deepest]!;
  if (label.type === expectedType(path.length))
    consider(
      deepest + 1,
      (label.value === firstLabel(label.type) ? 2 : 1) + (depth > top.depth + tolerance ? 4 : 0),
    );
  else if (
    options.deepestHasChildren &&
    label.value === firstLabel(label.type) &&
    depth > top.depth + tolerance &&
    !options.deepestHasChildren()
  )
    consider(deepest + 1, 0.5 + 4);
  for (let i = 1; i <= deepest; i++) {
    const node = path[i]!;
    if (!node.label || node.label.type !== label.type || labelOrder(label) <= labelOrder(node.label))
      continue;
    consider(
      i,
      (label.value === successor(node.label) ? 2 : 1) + (Math.abs(depth - node.depth) <= tolerance ? 4 : 0),
    );
  }
  return best === null ? null : (best as { index: number }).index;
}
