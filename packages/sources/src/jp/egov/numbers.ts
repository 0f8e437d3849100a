// Japanese statute numbering, as keys read it. The same provision is written
// "第十九号", "十九", "一九" (the positional form e-Gov uses in tables: "一六",
// "四〇"), "１９" or "19" depending on the era of the text, the table and the
// typesetter; keys must not move when only the writing does. So keys take
// Arabic digits and ASCII brackets, and the label as written stays in the
// entry's `data.label`. Branch numbers keep their "の" ("五の二" → "5の2"),
// as Japanese citations write them ("5の2の項"); iroha labels (イ, ロ, ハ …)
// are letters, not numbers, and are kept as they are.

const DIGITS: Record<string, number> = {
  〇: 0,
  零: 0,
  一: 1,
  二: 2,
  三: 3,
  四: 4,
  五: 5,
  六: 6,
  七: 7,
  八: 8,
  九: 9,
};
const UNITS: Record<string, number> = { 十: 10, 百: 100, 千: 1000 };

/** A run of kanji numerals: "十九", "百二", "三千四十" (counting) or "一六", "四〇" (positional); null if malformed. */
export function kanjiNumber(text: string): number | null {
  if (!text) return null;
  if (/^[〇零一二三四五六七八九]+$/.test(text)) {
    // Positional: each character one decimal digit ("一〇〇" is 100).
    let n = 0;
    for (const c of text) n = n * 10 + DIGITS[c]!;
    return n;
  }
  let total = 0;
  let tenThousands = 0;
  let digit: number | null = null;
  let lastUnit = Number.POSITIVE_INFINITY;
  for (const c of text) {
    if (c === "万") {
      if (tenThousands || (total === 0 && digit === null)) return null;
      tenThousands = (total + (digit ?? 0)) * 10_000;
      total = 0;
      digit = null;
      lastUnit = Number.POSITIVE_INFINITY;
    } else if (c in UNITS) {
      const unit = UNITS[c]!;
      // Units fall strictly ("十百" and "十十" are not numbers); a bare unit counts one.
      if (unit >= lastUnit) return null;
      total += (digit ?? 1) * unit;
      digit = null;
      lastUnit = unit;
    } else if (c in DIGITS) {
      if (digit !== null) return null;
      digit = DIGITS[c]!;
    } else return null;
  }
  return tenThousands + total + (digit ?? 0);
}

const KANJI_RUN = /[〇零一二三四五六七八九十百千万]+/g;

/**
 * A label as keys write it: full-width forms folded (NFKC: "（１）" → "(1)",
 * "ⅲ" → "iii"), kanji numerals as Arabic digits, spaces removed. Anything
 * that is not a number is left as it is ("イ", "及び", "の").
 */
export function keyLabel(raw: string): string {
  return raw
    .normalize("NFKC")
    .replace(/\s+/g, "")
    .replace(KANJI_RUN, (run) => {
      const n = kanjiNumber(run);
      return n === null ? run : String(n);
    });
}

// The kinds of label that open a numbered line in a table cell, in the
// forms e-Gov writes them: "（一）", "（十三の二）", "１", "５の２", "一", "イ",
// "（１）", "（ｉ）". Matched on the NFKC form, so full- and half-width agree.
const KANA_LABELS =
  "イロハニホヘトチリヌルヲワカヨタレソツネナラムウヰノオクヤマケフコエテアサキユメミシヱヒモセス";
const KANJI_NUMERAL = "[〇一二三四五六七八九十百千]+(?:の[〇一二三四五六七八九十百千]+)*";
const ARABIC_NUMERAL = "[0-9]+(?:の[0-9]+)*";
const LINE_LABEL = new RegExp(
  `^(\\((?:${KANJI_NUMERAL})\\)|\\((?:${ARABIC_NUMERAL})\\)|\\([ivxlc]+\\)|${ARABIC_NUMERAL}|${KANJI_NUMERAL}|[${KANA_LABELS}])[\\s\\u3000]+(?=\\S)`,
);

/** The kind of a line label: its nesting level in a cell is set by the order kinds first appear. */
export type LabelKind = "paren-kanji" | "paren-arabic" | "paren-roman" | "arabic" | "kanji" | "kana";

export interface LineLabel {
  /** As written ("（十三の二）", "５の２"). */
  raw: string;
  kind: LabelKind;
  /** As keys write it ("(13の2)", "5の2"). */
  key: string;
  /** The line without its label and the space after it. */
  rest: string;
}

/**
 * The label a line of a table cell opens with, when it opens with one and a
 * space (e-Gov writes an ideographic space after it): "（一）　銃砲…" →
 * "(1)". A line that merely begins with a numeral ("一キログラム以上の…") has
 * no space after it and is not a label.
 */
export function lineLabel(line: string): LineLabel | null {
  // Fold only the head: NFKC of the whole line would rewrite its text.
  const m = LINE_LABEL.exec(line.slice(0, 16).normalize("NFKC"));
  if (!m) return null;
  const label = m[1]!;
  // The label as written: fold the line a character at a time until the
  // folded text covers the label ("ⅲ" folds to three letters).
  const chars = [...line];
  let folded = "";
  let rawLength = 0;
  while (folded.length < label.length && rawLength < chars.length)
    folded += chars[rawLength++]!.normalize("NFKC");
  const raw = chars.slice(0, rawLength).join("");
  let restStart = rawLength;
  while (restStart < chars.length && /[\s\u3000]/.test(chars[restStart]!)) restStart++;
  const rest = chars.slice(restStart).join("");
  const kind: LabelKind = label.startsWith("(")
    ? /^\([0-9]/.test(label)
      ? "paren-arabic"
      : /^\([ivxlc]/.test(label)
        ? "paren-roman"
        : "paren-kanji"
    : /^[0-9]/.test(label)
      ? "arabic"
      : KANA_LABELS.includes(label)
        ? "kana"
        : "kanji";
  return { raw, kind, key: keyLabel(raw), rest };
}

/**
 * The number in a heading: "第七条", "第三十六条の二" → "7", "36の2";
 * "第四章の二　処分等の求め" → "4の2"; "第二十九条から第三十一条まで" →
 * "29:31" (a range of deleted articles, as e-Gov's `Num` writes it). With
 * `whole`, the heading must be the number and nothing else (an article
 * title); otherwise a name may follow (a chapter title).
 */
export function headingNumber(title: string, unit: string, whole: boolean): string | null {
  const t = title.normalize("NFKC").replace(/\s+/g, "");
  const n = "[〇一二三四五六七八九十百千0-9]+";
  const range = new RegExp(`^第(${n})${unit}から第(${n})${unit}まで$`).exec(t);
  if (range) return `${keyLabel(range[1]!)}:${keyLabel(range[2]!)}`;
  const one = new RegExp(`^第(${n})${unit}((?:の${n})*)${whole ? "$" : ""}`).exec(t);
  return one ? keyLabel(one[1]! + one[2]!) : null;
}

/** e-Gov's `Num` attribute as a key segment: "36_2" → "36の2", "29:31" stays. */
export function numAttribute(num: string | undefined): string | null {
  if (!num || !/^[0-9]+(?:_[0-9]+)*(?::[0-9]+(?:_[0-9]+)*)?$/.test(num)) return null;
  return num.replace(/_/g, "の").replace(/(^|[^0-9])0+(?=[0-9])/g, "$1");
}
