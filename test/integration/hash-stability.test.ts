// The fast normalizeText / comparableText / entryHash must give exactly what
// the first versions gave: stored hashes depend on them. The reference below
// is a frozen copy of those versions; do not "fix" it.
import { describe, expect, it } from "vitest";
import { mismatches, randomStrings } from "../support/hash-reference.ts";

describe("normalizeText, comparableText and entryHash are unchanged", () => {
  it("on random strings of spaces, marks, dashes, quotes and punctuation", () => {
    expect(mismatches(randomStrings(5000, 1))).toEqual([]);
  });

  it("on every UTF-16 code unit, alone and between letters and spaces", () => {
    const texts: string[] = [];
    for (let c = 0; c <= 0xffff; c++) {
      const ch = String.fromCharCode(c);
      texts.push(ch, `a${ch}b`, ` ${ch} `, `e${ch}\u0301`, `(${ch} ,`);
    }
    expect(mismatches(texts)).toEqual([]);
  });
});
