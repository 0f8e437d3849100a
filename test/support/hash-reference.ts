// The fast normalizeText / comparableText / entryHash must give exactly what
// the first versions gave: stored hashes depend on them. The reference below
// is a frozen copy of those versions; do not "fix" it.
import { createHash } from "node:crypto";
import type { Entry } from "@regwatch/core/schemas";
import { comparableText, normalizeText } from "@regwatch/core/text";
import { entryHash } from "@regwatch/diff/entry-hash";

const REF_MAY_NEED_NFC =
  /\p{M}|[\u0374\u037e\u0387\u1100-\u11ff\u1f71-\u1ffd\u2126\u212a\u212b\u2329\u232a\uf900-\ufaff]/u;
export function refNormalizeText(text: string): string {
  const collapsed = /[^\S ]|\s\s|^\s|\s$|\u200b/.test(text) ? text.replace(/[\s\u200b]+/g, " ").trim() : text;
  return REF_MAY_NEED_NFC.test(collapsed) ? collapsed.normalize("NFC") : collapsed;
}
const REF_FOLD: Record<string, string> = {};
for (const c of "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d") REF_FOLD[c] = "-";
for (const c of "\u2018\u2019\u201a\u2032") REF_FOLD[c] = "'";
for (const c of "\u201c\u201d\u201e\u2033") REF_FOLD[c] = '"';
export function refComparableText(text: string): string {
  return refNormalizeText(text).replace(
    /[\u2010-\u2015\u2212\ufe58\ufe63\uff0d\u2018\u2019\u201a\u2032\u201c\u201d\u201e\u2033]|[([] | (?=[,;:.!?)\]])/g,
    (m) => (m.length === 2 ? m[0]! : (REF_FOLD[m] ?? "")),
  );
}
export function refEntryHash(entry: Entry): string {
  return createHash("sha256")
    .update(refComparableText(entry.heading ?? ""))
    .update("\u0000")
    .update(refComparableText(entry.text))
    .digest("hex");
}

/** Compares all three on each text; returns the texts that differ (empty when all agree). */
export function mismatches(texts: Iterable<string>): string[] {
  const bad: string[] = [];
  for (const text of texts) {
    if (
      normalizeText(text) !== refNormalizeText(text) ||
      comparableText(text) !== refComparableText(text) ||
      entryHash({ key: "k", parentKey: null, heading: text, text }) !==
        refEntryHash({ key: "k", parentKey: null, heading: text, text })
    )
      bad.push(text);
  }
  return bad;
}

export function entryTexts(entries: readonly Entry[]): string[] {
  return entries.flatMap((e) => [e.heading ?? "", e.text]);
}
// A seeded generator, so that a failure can be reproduced.
function lcg(seed: number) {
  let state = seed;
  return () => {
    state = (Math.imul(state, 1_103_515_245) + 12_345) >>> 0;
    return state / 2 ** 32;
  };
}
const PIECES = [
  ..."abcXYZ019",
  " ",
  "  ",
  "\n",
  "\r\n",
  "\t",
  "\u000b",
  "\u000c",
  "\u0085",
  "\u00a0",
  "\u1680",
  "\u180e",
  "\u2000",
  "\u2007",
  "\u200a",
  "\u200b",
  "\u200c",
  "\u2028",
  "\u2029",
  "\u202f",
  "\u205f",
  "\u3000",
  "\ufeff",
  "\u0301",
  "\u0327",
  "\u0308",
  "e\u0301",
  "\u00e9",
  "\u212b",
  "\u2126",
  "\u0387",
  "\u1100\u1161",
  "\uf900",
  "\u20d7",
  "\ud834\udd65",
  "\ud800",
  ..."\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d\u2018\u2019\u201a\u2032\u201c\u201d\u201e\u2033\u2016\u2034",
  ...",;:.!?)]([-'\"",
  " ,",
  " .",
  " )",
  "( ",
  "[ ",
  "µ",
  "≤",
  "π",
];
export function randomStrings(count: number, seed: number): string[] {
  const random = lcg(seed);
  const out: string[] = [];
  for (let n = 0; n < count; n++) {
    const length = Math.floor(random() * 40);
    let s = "";
    for (let i = 0; i < length; i++) s += PIECES[Math.floor(random() * PIECES.length)]!;
    out.push(s);
  }
  return out;
}
