import { tokenize, wordDiff } from "@regwatch/diff/word-diff";
import { describe, expect, it } from "vitest";

function sides(ops: ReturnType<typeof wordDiff>) {
  return {
    before: ops
      .filter(([op]) => op !== "+")
      .map(([, t]) => t)
      .join(""),
    after: ops
      .filter(([op]) => op !== "-")
      .map(([, t]) => t)
      .join(""),
  };
}

/** A small deterministic PRNG (LCG), so that random tests are the same every run. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1_103_515_245) + 12_345) >>> 0;
    return state / 2 ** 32;
  };
}

/**
 * Regulatory-sounding text of about `chars` characters: words of a small
 * vocabulary, sentences of 8–20 words (short enough to stay whole, and never
 * the same twice in two texts drawn with different seeds).
 */
function prose(random: () => number, chars: number, { punctuation = true } = {}): string {
  const vocabulary = (
    "equipment designed modified for the of and or having any following specially components " +
    "systems software technology production development use controlled reason control license " +
    "exception paragraph items described in this entry note see also semiconductor wafer etching " +
    "deposition lithography wavelength less than greater equal nm mm power frequency gate qubits"
  ).split(" ");
  const words: string[] = [];
  let length = 0;
  let sentence = 8 + Math.floor(random() * 13);
  while (length < chars) {
    let word = vocabulary[Math.floor(random() * vocabulary.length)]!;
    if (random() < 0.1) word = String(Math.floor(random() * 1000));
    if (punctuation && --sentence === 0) {
      word += random() < 0.7 ? "." : ";";
      sentence = 8 + Math.floor(random() * 13);
    }
    words.push(word);
    length += word.length + 1;
  }
  return words.join(" ");
}

function lcsLength(a: string, b: string): number {
  let row = new Array<number>(b.length + 1).fill(0);
  for (let i = 1; i <= a.length; i++) {
    const next = [0];
    for (let j = 1; j <= b.length; j++) {
      next[j] = a[i - 1] === b[j - 1] ? row[j - 1]! + 1 : Math.max(row[j]!, next[j - 1]!);
    }
    row = next;
  }
  return row[b.length]!;
}

describe("wordDiff", () => {
  it("marks a changed threshold as one word out, one word in", () => {
    expect(wordDiff("a distance of 75 mm or more", "a distance of 200 mm or more")).toEqual([
      ["=", "a distance of "],
      ["-", "75"],
      ["+", "200"],
      ["=", " mm or more"],
    ]);
  });

  it("gives back both texts exactly, whatever the edit", () => {
    const pairs: [string, string][] = [
      ["", "new paragraph"],
      ["old paragraph", ""],
      ["NS, AT", "NS, RS, AT"],
      ["a b c d e f", "a c d x f g"],
      [
        "Quantum computers supporting 34 or more qubits; and",
        "Quantum computers, supporting 34 or more physical qubits, or",
      ],
      ["same", "same"],
    ];
    for (const [a, b] of pairs) expect(sides(wordDiff(a, b))).toEqual({ before: a, after: b });
  });

  it("finds a minimal edit on a longer text", () => {
    const before = Array.from({ length: 400 }, (_, i) => `w${i}`).join(" ");
    const after = before.replace("w100 ", "").replace("w300", "w300 inserted");
    const ops = wordDiff(before, after);
    expect(sides(ops)).toEqual({ before, after });
    expect(ops.filter(([op]) => op !== "=")).toEqual([
      ["-", "w100 "],
      ["+", " inserted"],
    ]);
  });

  it("finds a shortest edit script (checked against the LCS by dynamic programming)", () => {
    // Punctuation only: each character is one token and there is no sentence
    // boundary, so this exercises the Myers search itself, ties and all.
    const random = seeded(1);
    for (let round = 0; round < 2000; round++) {
      const alphabet = ",-+*/#".slice(0, 2 + Math.floor(random() * 5));
      const text = () =>
        Array.from(
          { length: Math.floor(random() * 40) },
          () => alphabet[Math.floor(random() * alphabet.length)],
        ).join("");
      const [a, b] = [text(), text()];
      const ops = wordDiff(a, b);
      expect(sides(ops)).toEqual({ before: a, after: b });
      const edited = ops.filter(([op]) => op !== "=").reduce((n, [, t]) => n + t.length, 0);
      expect(edited, JSON.stringify([a, b])).toBe(a.length + b.length - 2 * lcsLength(a, b));
    }
  });

  it("gives back both texts on random multi-sentence edits, with no empty or unmerged parts", () => {
    const random = seeded(2);
    const pieces = ["a", "b", "the", "item", "x", ".", ";", ":", "\n", ",", " ", " ", " "];
    const text = (n: number) =>
      Array.from({ length: n }, () => pieces[Math.floor(random() * pieces.length)]).join("");
    for (let round = 0; round < 1000; round++) {
      const a = text(Math.floor(random() * 300));
      const cut = () => Math.floor(random() * a.length);
      const b =
        random() < 0.5 ? text(Math.floor(random() * 300)) : a.slice(0, cut()) + text(5) + a.slice(cut());
      const ops = wordDiff(a, b);
      expect(sides(ops)).toEqual({ before: a, after: b });
      for (let i = 0; i < ops.length; i++) {
        expect(ops[i]![1]).not.toBe("");
        if (i > 0) expect(ops[i]![0]).not.toBe(ops[i - 1]![0]);
      }
    }
  });

  it("gives back both texts on adversarial inputs, in a handful of parts", () => {
    // Each pair is either one small edit or a rewrite past the work budget:
    // at most a common head, one part out, one part in and a common tail.
    const unique = (prefix: string, n: number) =>
      Array.from({ length: n }, (_, i) => `${prefix}${i}`).join(" ");
    const pairs: [string, string][] = [
      ["a ".repeat(100_000), `${"a ".repeat(50_000)}b ${"a ".repeat(49_999)}`], // one edit in a run of identical tokens
      ["a b ".repeat(25_000), "b a ".repeat(25_000)],
      ["a. ".repeat(60_000), "b. ".repeat(60_000)], // many one-word sentences, all different
      ["a. ".repeat(60_000), "a. b. ".repeat(30_000)],
      [unique("u", 30_000), unique("v", 30_000)], // no token in common but the spaces
      [unique("u", 30_000), unique("u", 30_000).replace(/ /g, "\n")], // the same words, every line break new
      ["x".repeat(200_000), "y".repeat(200_000)], // one giant token each
    ];
    for (const [a, b] of pairs) {
      const ops = wordDiff(a, b);
      expect(sides(ops)).toEqual({ before: a, after: b });
      expect(ops.length).toBeLessThanOrEqual(4);
    }
  });

  it("keeps a small edit inside a 200 KB text word-precise", () => {
    const before = prose(seeded(3), 200_000);
    const words = before.split(" ");
    const after = words
      .map((w, i) => (i === 100 ? "alpha" : i === words.length - 100 ? "omega" : w))
      .join(" ");
    const ops = wordDiff(before, after);
    expect(sides(ops)).toEqual({ before, after });
    expect(ops.filter(([op]) => op !== "=")).toEqual([
      ["-", words[100]!.replace(/\W+$/, "")],
      ["+", "alpha"],
      ["-", words[words.length - 100]!.replace(/\W+$/, "")],
      ["+", "omega"],
    ]);
  });

  it("word-diffs rewritten stretches of a 200 KB paragraph that has no punctuation", () => {
    // 100 stretches of 40 words rewritten: one word diff of the whole costs
    // more than the budget, so this passes only if the paragraph is cut into
    // chunks and only the changed chunks are word-diffed.
    const words = prose(seeded(4), 200_000, { punctuation: false }).split(" ");
    const rewritten = new Set<number>();
    for (let start = 10; start + 40 < words.length; start += Math.floor(words.length / 100)) {
      for (let i = start; i < start + 40; i++) rewritten.add(i);
    }
    const before = words.join(" ");
    const after = words.map((w, i) => (rewritten.has(i) ? `new${i}` : w)).join(" ");
    const ops = wordDiff(before, after);
    expect(sides(ops)).toEqual({ before, after });
    const joined = (kind: string) =>
      ops
        .filter(([op]) => op === kind)
        .map(([, t]) => t)
        .join("");
    expect(joined("-")).toBe([...rewritten].map((i) => words[i]).join(""));
    expect(joined("+")).toBe([...rewritten].map((i) => `new${i}`).join(""));
  });

  it("shows a fully rewritten 200 KB paragraph as one part out and one part in", () => {
    const before = `Old ${prose(seeded(5), 200_000)} old`;
    const after = `New ${prose(seeded(6), 200_000)} new`;
    expect(wordDiff(before, after)).toEqual([
      ["-", before],
      ["+", after],
    ]);
  });

  it("shows a rewritten block whole and still word-diffs a small edit elsewhere", () => {
    // The block costs several times the work budget to word-diff (a rewritten
    // 24 KB); the one-word edit is diffed first and still fits.
    const blockBefore = `${prose(seeded(7), 24_000)} old`;
    const blockAfter = `${prose(seeded(8), 24_000)} new`;
    const text = (controls: string, block: string) =>
      `Paragraph a is controlled for ${controls}. Paragraph b is not. ${block}. Note: see also 3B991.`;
    expect(wordDiff(text("NS", blockBefore), text("RS", blockAfter))).toEqual([
      ["=", "Paragraph a is controlled for "],
      ["-", "NS"],
      ["+", "RS"],
      ["=", ". Paragraph b is not. "],
      ["-", blockBefore],
      ["+", blockAfter],
      ["=", ". Note: see also 3B991."],
    ]);
  });

  it("does not word-diff texts over a million characters: before out, after in", () => {
    const before = prose(seeded(9), 600_000);
    const after = before.replace(/ /, " inserted ");
    expect(wordDiff(before, after)).toEqual([
      ["-", before],
      ["+", after],
    ]);
  });

  it("splits Japanese into characters, so an insertion in a phrase is shown as itself", () => {
    expect(tokenize("CMOS集積回路、4.5ケルビン")).toEqual([
      "CMOS",
      "集",
      "積",
      "回",
      "路",
      "、",
      "4",
      ".",
      "5",
      "ケ",
      "ル",
      "ビ",
      "ン",
    ]);
    const diff = wordDiff("量子計算機であって、次のもの", "量子計算機又はその部分品であって、次のもの");
    expect(diff).toEqual([
      ["=", "量子計算機"],
      ["+", "又はその部分品"],
      ["=", "であって、次のもの"],
    ]);
  });

  it("splits words, numbers, punctuation and spaces", () => {
    expect(tokenize("10^-4 (SiGe:Si) ≥ 100:1")).toEqual([
      "10",
      "^",
      "-",
      "4",
      " ",
      "(",
      "SiGe",
      ":",
      "Si",
      ")",
      " ",
      "≥",
      " ",
      "100",
      ":",
      "1",
    ]);
  });
});
