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
