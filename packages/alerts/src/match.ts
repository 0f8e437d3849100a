// Matching change records to subscriptions.
//
// `matchesFilters` is the reference: one subscription, one change, read
// straight from the rules. `SubscriptionIndex` gives the same answer for many
// subscriptions without looking at each one: every subscription is filed
// under the values of ONE of its dimensions (its "anchor", the one least
// likely to match an arbitrary change), and a change only visits the buckets
// of its own values. Each subscription found that way is then checked in full
// by the same predicates as the reference, so the index can only be wrong by
// missing a candidate, never by matching too much.
import type { ChangeRecord } from "@regwatch/core/schemas";
import type { StoredFilters } from "@regwatch/db/schema";

/** What one subscription asks for (stored as such in `subscriptions.filters`). */
export type SubscriptionFilters = StoredFilters;

export type ChangeRecordLike = Pick<
  ChangeRecord,
  "source" | "jurisdiction" | "kind" | "subject" | "title" | "before" | "after" | "technologies" | "countries"
>;

/** An entry pattern, upper-cased: an entry and its sub-paragraphs, or a plain prefix ("3B*"). */
interface EntryPattern {
  wildcard: boolean;
  /** The key ("3B001") or, for a wildcard, the prefix without its "*" ("3B"). */
  key: string;
}

/** Filters as compared: trimmed, codes and entry keys upper-case, keywords lower-case, blanks dropped. */
interface NormalizedFilters {
  technologies: readonly string[];
  jurisdictions: readonly string[];
  countries: readonly string[];
  entries: readonly EntryPattern[];
  kinds: readonly string[];
  sources: readonly string[];
  keywords: readonly string[];
}

/** A change with the lookups every subscription needs computed once. */
interface PreparedChange {
  source: string;
  jurisdiction: string;
  kind: string;
  technologies: ReadonlySet<string>;
  countries: ReadonlySet<string>;
  /** Upper-cased subject. */
  subject: string;
  /** The keys an exact entry pattern may equal: the subject and each prefix ending before "." or "(". */
  entryKeys: ReadonlySet<string>;
  /** Title, subject, before, after: whitespace collapsed, lower-cased; computed on first use. */
  texts: () => readonly string[];
}

function cleanList(values: readonly string[], transform: (v: string) => string): string[] {
  const out = new Set<string>();
  for (const v of values) {
    const t = transform(v.trim());
    if (t !== "") out.add(t);
  }
  return [...out];
}

const identity = (v: string) => v;
const upper = (v: string) => v.toUpperCase();

function normalizeText(text: string): string {
  return text.replace(/\s+/g, " ").trim().toLowerCase();
}

// Entry keys are compared upper-case as a whole: "3b001" is 3B001, and the
// paragraph letters of one entry never differ only by case in any list we read.
function parseEntryPattern(raw: string): EntryPattern | null {
  const p = raw.trim().toUpperCase();
  if (p === "") return null;
  if (p.endsWith("*")) return { wildcard: true, key: p.replace(/\*+$/, "") };
  return { wildcard: false, key: p };
}

function normalizeFilters(filters: SubscriptionFilters): NormalizedFilters {
  const entries = new Map<string, EntryPattern>();
  for (const raw of filters.entries) {
    const pattern = parseEntryPattern(raw);
    if (pattern) entries.set(`${pattern.wildcard ? "*" : "="}${pattern.key}`, pattern);
  }
  return {
    technologies: cleanList(filters.technologies, identity),
    jurisdictions: cleanList(filters.jurisdictions, upper),
    countries: cleanList(filters.countries, upper),
    entries: [...entries.values()],
    kinds: cleanList(filters.kinds, identity),
    sources: cleanList(filters.sources, identity),
    keywords: cleanList(filters.keywords, normalizeText),
  };
}

/** Prefixes of `key` at which a sub-paragraph starts: "5506(2)(c)" → "5506", "5506(2)". */
function entryAncestors(key: string): string[] {
  const out: string[] = [];
  for (let i = 1; i < key.length; i++) {
    const c = key[i];
    if (c === "." || c === "(") out.push(key.slice(0, i));
  }
  return out;
}

function prepareChange(change: ChangeRecordLike): PreparedChange {
  const subject = change.subject.toUpperCase();
  let texts: string[] | undefined;
  return {
    source: change.source,
    jurisdiction: change.jurisdiction.toUpperCase(),
    kind: change.kind,
    technologies: new Set(change.technologies),
    countries: new Set(change.countries.map(upper)),
    subject,
    entryKeys: new Set([subject, ...entryAncestors(subject)]),
    texts: () => {
      texts ??= [change.title, change.subject, change.before ?? "", change.after ?? ""].map(normalizeText);
      return texts;
    },
  };
}

const WORD_CHAR = /[\p{L}\p{N}_]/u;

/** Whether the code point ending just before `index` is a word character. */
function wordCharBefore(text: string, index: number): boolean {
  if (index <= 0) return false;
  let start = index - 1;
  const unit = text.charCodeAt(start);
  if (unit >= 0xdc00 && unit <= 0xdfff && start > 0) start--;
  return WORD_CHAR.test(String.fromCodePoint(text.codePointAt(start) ?? 0));
}

/** Whether the code point starting at `index` is a word character. */
function wordCharAt(text: string, index: number): boolean {
  if (index >= text.length) return false;
  return WORD_CHAR.test(String.fromCodePoint(text.codePointAt(index) ?? 0));
}

/** `keyword` (normalized) occurs in `text` (normalized) with no word character touching either end. */
function containsPhrase(text: string, keyword: string): boolean {
  for (let i = text.indexOf(keyword); i !== -1; i = text.indexOf(keyword, i + 1)) {
    if (!wordCharBefore(text, i) && !wordCharAt(text, i + keyword.length)) return true;
  }
  return false;
}

function anyIn(values: readonly string[], set: ReadonlySet<string>): boolean {
  for (const v of values) if (set.has(v)) return true;
  return false;
}

function entryMatches(pattern: EntryPattern, change: PreparedChange): boolean {
  return pattern.wildcard ? change.subject.startsWith(pattern.key) : change.entryKeys.has(pattern.key);
}

// Cheap dimensions first: most subscriptions fail on one of them before the text is read.
function matchesPrepared(f: NormalizedFilters, c: PreparedChange): boolean {
  if (f.jurisdictions.length > 0 && !f.jurisdictions.includes(c.jurisdiction)) return false;
  if (f.sources.length > 0 && !f.sources.includes(c.source)) return false;
  if (f.kinds.length > 0 && !f.kinds.includes(c.kind)) return false;
  if (f.technologies.length > 0 && !anyIn(f.technologies, c.technologies)) return false;
  return matchesRest(f, c);
}

/** Countries, entries and keywords: the dimensions the index cannot answer from bitmasks. */
function matchesRest(f: NormalizedFilters, c: PreparedChange): boolean {
  // A change that names no country never satisfies a country filter.
  if (f.countries.length > 0 && !anyIn(f.countries, c.countries)) return false;
  if (f.entries.length > 0 && !f.entries.some((p) => entryMatches(p, c))) return false;
  if (f.keywords.length > 0) {
    const texts = c.texts();
    if (!f.keywords.some((k) => texts.some((t) => containsPhrase(t, k)))) return false;
  }
  return true;
}

/**
 * Whether `change` satisfies `filters`: for every non-empty dimension, at
 * least one of its values (AND across dimensions, OR within one). Values are
 * trimmed and blank ones ignored, so a list of blanks is an empty list.
 */
export function matchesFilters(filters: SubscriptionFilters, change: ChangeRecordLike): boolean {
  return matchesPrepared(normalizeFilters(filters), prepareChange(change));
}

// ---------------------------------------------------------------------------
// The index.

type Dimension =
  | "technologies"
  | "jurisdictions"
  | "countries"
  | "kinds"
  | "sources"
  | "entryKeys"
  | "entryPrefixes"
  | "keywordTokens";

// The share of changes a single value is expected to match, to pick the
// anchor whose buckets a change visits least. Rough, from what the sources
// publish: 9 technologies and most changes carry one or two; 13
// jurisdictions with most changes from the US; 3 source ids; 4 kinds; an
// entry key is one of thousands; most changes name no country at all; a
// keyword's word is rare in a title. Only speed depends on these numbers.
const SELECTIVITY = {
  technologies: 0.2,
  jurisdictions: 0.15,
  countries: 0.02,
  kinds: 0.4,
  sources: 0.4,
  entry: 0.002,
  /** A wildcard prefix as short as "3" matches a tenth of the list; each extra character narrows it. */
  wildcardByLength: [1, 0.1, 0.03, 0.01, 0.003] as readonly number[],
  keyword: 0.01,
};

const TOKEN = /[\p{L}\p{N}_]+/gu;

/** The longest word of a normalized keyword, which every text containing the keyword contains as a word. */
function keywordAnchor(keyword: string): string | null {
  let best: string | null = null;
  for (const [token] of keyword.matchAll(TOKEN))
    if (best === null || token.length > best.length) best = token;
  return best;
}

function chooseAnchors(f: NormalizedFilters): { dimension: Dimension; value: string }[] {
  const options: { cost: number; anchors: { dimension: Dimension; value: string }[] }[] = [];
  const simple = (dimension: Dimension, values: readonly string[], weight: number) => {
    if (values.length > 0) {
      options.push({ cost: values.length * weight, anchors: values.map((value) => ({ dimension, value })) });
    }
  };
  simple("technologies", f.technologies, SELECTIVITY.technologies);
  simple("jurisdictions", f.jurisdictions, SELECTIVITY.jurisdictions);
  simple("countries", f.countries, SELECTIVITY.countries);
  simple("kinds", f.kinds, SELECTIVITY.kinds);
  simple("sources", f.sources, SELECTIVITY.sources);
  if (f.entries.length > 0) {
    let cost = 0;
    for (const p of f.entries) {
      cost += p.wildcard ? (SELECTIVITY.wildcardByLength[p.key.length] ?? 0.001) : SELECTIVITY.entry;
    }
    const anchors = f.entries.map((p) => ({
      dimension: (p.wildcard ? "entryPrefixes" : "entryKeys") as Dimension,
      value: p.key,
    }));
    options.push({ cost, anchors });
  }
  if (f.keywords.length > 0) {
    const tokens = f.keywords.map(keywordAnchor);
    // A keyword with no word in it ("++") can match without any word of the
    // text being known, so this dimension cannot be the anchor.
    if (tokens.every((t) => t !== null)) {
      options.push({
        cost: tokens.length * SELECTIVITY.keyword,
        anchors: tokens.map((value) => ({ dimension: "keywordTokens" as Dimension, value: value as string })),
      });
    }
  }
  options.sort((a, b) => a.cost - b.cost);
  return options[0]?.anchors ?? [];
}

/**
 * Values of one dimension (technologies, jurisdictions, kinds, sources) as
 * bits, so that a subscription's constraint on it is one integer. Only 31
 * values get a bit: a subscription naming any other value is checked the
 * slow way, by `matchesPrepared`.
 */
class BitInterner {
  readonly #bits = new Map<string, number>();

  /** The subscription's mask, or -1 when a value has no bit left. */
  maskFor(values: readonly string[]): number {
    let mask = 0;
    for (const v of values) {
      let bit = this.#bits.get(v);
      if (bit === undefined) {
        if (this.#bits.size >= 31) return -1;
        bit = 1 << this.#bits.size;
        this.#bits.set(v, bit);
      }
      mask |= bit;
    }
    return mask;
  }

  /** The change's mask: bits of the values any subscription has named. */
  maskOf(values: Iterable<string>): number {
    let mask = 0;
    for (const v of values) mask |= this.#bits.get(v) ?? 0;
    return mask;
  }
}

// Per subscription slot, STRIDE int32s side by side, so that the common
// check touches one cache line: the four masks (0 = no constraint), then flags.
const STRIDE = 5;
const TECH = 0;
const JUR = 1;
const KIND = 2;
const SOURCE = 3;
const FLAGS = 4;
/** A mask could not be built: check with `matchesPrepared`. */
const SLOW = 1;
/** Countries, entries or keywords constrain it: check those with `matchesRest`. */
const REST = 2;

/**
 * Subscriptions indexed for matching: `match(change)` returns the ids of
 * exactly the subscriptions for which `matchesFilters` holds, in insertion
 * order (an id added again after `remove`, or replaced by `add`, counts from
 * its latest `add`). Cost per change: the subscriptions filed under the
 * change's own values, not the number of subscriptions.
 */
export class SubscriptionIndex {
  /** Slots are handed out in insertion order and never reused until `#compact`. */
  readonly #slotById = new Map<string, number>();
  #ids: (string | undefined)[] = [];
  #filters: (NormalizedFilters | undefined)[] = [];
  #packed = new Int32Array(1024 * STRIDE);
  /** The `match` call that last looked at each slot, so that one call checks a slot once. */
  #visited = new Uint32Array(1024);
  #visit = 0;
  #buckets = SubscriptionIndex.#emptyBuckets();
  /** Slots with no dimension to file them under (no filters at all): checked on every change. */
  #unanchored: number[] = [];
  #bits = SubscriptionIndex.#emptyInterners();
  /** Removed slots still listed in buckets; skipped, and dropped by `#compact`. */
  #dead = 0;

  static #emptyBuckets(): Record<Dimension, Map<string, number[]>> {
    return {
      technologies: new Map(),
      jurisdictions: new Map(),
      countries: new Map(),
      kinds: new Map(),
      sources: new Map(),
      entryKeys: new Map(),
      entryPrefixes: new Map(),
      keywordTokens: new Map(),
    };
  }

  static #emptyInterners() {
    return {
      technologies: new BitInterner(),
      jurisdictions: new BitInterner(),
      kinds: new BitInterner(),
      sources: new BitInterner(),
    };
  }

  get size(): number {
    return this.#slotById.size;
  }

  has(id: string): boolean {
    return this.#slotById.has(id);
  }

  /** Adds a subscription, or replaces the filters of the one with this id. */
  add(id: string, filters: SubscriptionFilters): void {
    this.remove(id);
    this.#insert(id, normalizeFilters(filters));
  }

  /** Removes a subscription; false when there was none with this id. */
  remove(id: string): boolean {
    const slot = this.#slotById.get(id);
    if (slot === undefined) return false;
    this.#slotById.delete(id);
    this.#ids[slot] = undefined;
    this.#filters[slot] = undefined;
    this.#dead++;
    // Rebuilding costs as much as the adds since the last one: amortized O(1).
    if (this.#dead > 1024 && this.#dead > this.#slotById.size) this.#compact();
    return true;
  }

  /** Ids of the subscriptions `change` matches, in insertion order. */
  match(change: ChangeRecordLike): string[] {
    const c = prepareChange(change);
    const masks = new Int32Array(STRIDE);
    masks[TECH] = this.#bits.technologies.maskOf(c.technologies);
    masks[JUR] = this.#bits.jurisdictions.maskOf([c.jurisdiction]);
    masks[KIND] = this.#bits.kinds.maskOf([c.kind]);
    masks[SOURCE] = this.#bits.sources.maskOf([c.source]);
    if (this.#visit === 0xffffffff) {
      this.#visited.fill(0);
      this.#visit = 0;
    }
    const visit = ++this.#visit;
    const visited = this.#visited;
    const packed = this.#packed;
    const found: number[] = [];
    const check = (bucket: readonly number[] | undefined) => {
      if (!bucket) return;
      for (let i = 0; i < bucket.length; i++) {
        const slot = bucket[i]!;
        if (visited[slot] === visit) continue;
        visited[slot] = visit;
        const f = this.#filters[slot];
        if (!f) continue;
        const o = slot * STRIDE;
        const flags = packed[o + FLAGS]!;
        if (flags & SLOW) {
          if (matchesPrepared(f, c)) found.push(slot);
          continue;
        }
        let ok = true;
        for (let d = 0; d < FLAGS; d++) {
          const m = packed[o + d]!;
          if (m !== 0 && (m & masks[d]!) === 0) {
            ok = false;
            break;
          }
        }
        if (ok && (!(flags & REST) || matchesRest(f, c))) found.push(slot);
      }
    };
    const b = this.#buckets;
    check(this.#unanchored);
    for (const t of c.technologies) check(b.technologies.get(t));
    check(b.jurisdictions.get(c.jurisdiction));
    for (const country of c.countries) check(b.countries.get(country));
    check(b.kinds.get(c.kind));
    check(b.sources.get(c.source));
    for (const key of c.entryKeys) check(b.entryKeys.get(key));
    if (b.entryPrefixes.size > 0) {
      for (let i = 0; i <= c.subject.length; i++) check(b.entryPrefixes.get(c.subject.slice(0, i)));
    }
    if (b.keywordTokens.size > 0) {
      const words = new Set<string>();
      for (const text of c.texts()) for (const [token] of text.matchAll(TOKEN)) words.add(token);
      for (const word of words) check(b.keywordTokens.get(word));
    }
    // Slots are in insertion order; a typed array sorts numbers natively.
    const slots = Int32Array.from(found).sort();
    const ids = new Array<string>(slots.length);
    for (let i = 0; i < slots.length; i++) ids[i] = this.#ids[slots[i]!]!;
    return ids;
  }

  #insert(id: string, f: NormalizedFilters): void {
    const slot = this.#ids.length;
    this.#ids.push(id);
    this.#filters.push(f);
    this.#slotById.set(id, slot);
    if ((slot + 1) * STRIDE > this.#packed.length) {
      const packed = new Int32Array(this.#packed.length * 2);
      packed.set(this.#packed);
      this.#packed = packed;
      const visited = new Uint32Array(this.#visited.length * 2);
      visited.set(this.#visited);
      this.#visited = visited;
    }
    const masks = [
      this.#bits.technologies.maskFor(f.technologies),
      this.#bits.jurisdictions.maskFor(f.jurisdictions),
      this.#bits.kinds.maskFor(f.kinds),
      this.#bits.sources.maskFor(f.sources),
    ];
    const o = slot * STRIDE;
    let flags = f.countries.length + f.entries.length + f.keywords.length > 0 ? REST : 0;
    masks.forEach((m, d) => {
      if (m === -1) flags |= SLOW;
      this.#packed[o + d] = m === -1 ? 0 : m;
    });
    this.#packed[o + FLAGS] = flags;

    const anchors = chooseAnchors(f);
    if (anchors.length === 0) this.#unanchored.push(slot);
    for (const { dimension, value } of anchors) {
      const buckets = this.#buckets[dimension];
      const bucket = buckets.get(value);
      if (bucket) bucket.push(slot);
      else buckets.set(value, [slot]);
    }
  }

  /** Renumbers the live subscriptions from 0, in order, dropping removed ones from every bucket. */
  #compact(): void {
    const live: [string, NormalizedFilters][] = [];
    for (let slot = 0; slot < this.#ids.length; slot++) {
      const id = this.#ids[slot];
      const f = this.#filters[slot];
      if (id !== undefined && f) live.push([id, f]);
    }
    this.#slotById.clear();
    this.#ids = [];
    this.#filters = [];
    this.#packed.fill(0);
    this.#visited.fill(0);
    this.#visit = 0;
    this.#buckets = SubscriptionIndex.#emptyBuckets();
    this.#unanchored = [];
    this.#bits = SubscriptionIndex.#emptyInterners();
    this.#dead = 0;
    for (const [id, f] of live) this.#insert(id, f);
  }
}
