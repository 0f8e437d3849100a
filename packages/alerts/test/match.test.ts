import { describe, expect, it } from "vitest";
import { createRng, randomChange, randomFilters } from "../../../test/support/subscriptions.ts";
import {
  type ChangeRecordLike,
  matchesFilters,
  type SubscriptionFilters,
  SubscriptionIndex,
} from "../src/match.ts";

const NONE: SubscriptionFilters = {
  technologies: [],
  jurisdictions: [],
  countries: [],
  entries: [],
  kinds: [],
  sources: [],
  keywords: [],
};

const filters = (f: Partial<SubscriptionFilters>): SubscriptionFilters => ({ ...NONE, ...f });

const CHANGE: ChangeRecordLike = {
  source: "us.ecfr.ccl",
  jurisdiction: "US",
  kind: "modified",
  subject: "3B001.c.1.a",
  title: "ECCN 3B001 Equipment for the manufacturing of semiconductor devices",
  before: "Equipment designed for dry etching",
  after: "Equipment designed for dry etching of gate-all-around\n   structures",
  technologies: ["semiconductor-manufacturing-equipment", "gaafet"],
  countries: ["CN", "MO"],
};

const change = (c: Partial<ChangeRecordLike>): ChangeRecordLike => ({ ...CHANGE, ...c });

/** Asserts the reference and a one-subscription index agree with `expected`. */
function expectMatch(f: Partial<SubscriptionFilters>, c: ChangeRecordLike, expected: boolean) {
  expect(matchesFilters(filters(f), c)).toBe(expected);
  const index = new SubscriptionIndex();
  index.add("s", filters(f));
  expect(index.match(c)).toEqual(expected ? ["s"] : []);
}

describe("matchesFilters and SubscriptionIndex, one dimension at a time", () => {
  it("empty filters match every change", () => {
    expectMatch({}, CHANGE, true);
    expectMatch({}, change({ technologies: [], countries: [], before: null, after: null }), true);
  });

  it("technologies: any shared technology matches", () => {
    expectMatch({ technologies: ["gaafet"] }, CHANGE, true);
    expectMatch({ technologies: ["quantum", "gaafet"] }, CHANGE, true);
    expectMatch({ technologies: ["quantum"] }, CHANGE, false);
    expectMatch({ technologies: ["quantum"] }, change({ technologies: [] }), false);
  });

  it("jurisdictions: the issuing jurisdiction, codes in any case", () => {
    expectMatch({ jurisdictions: ["US"] }, CHANGE, true);
    expectMatch({ jurisdictions: ["CA", "us"] }, CHANGE, true);
    expectMatch({ jurisdictions: ["CA", "EU"] }, CHANGE, false);
  });

  it("countries: any shared affected country", () => {
    expectMatch({ countries: ["MO"] }, CHANGE, true);
    expectMatch({ countries: ["ru", "cn"] }, CHANGE, true);
    expectMatch({ countries: ["RU"] }, CHANGE, false);
  });

  it("countries: a change naming no country does not match a country filter", () => {
    expectMatch({ countries: ["CN"] }, change({ countries: [] }), false);
    expectMatch({ technologies: ["gaafet"] }, change({ countries: [] }), true);
  });

  it("kinds and sources: one of the listed values", () => {
    expectMatch({ kinds: ["modified"] }, CHANGE, true);
    expectMatch({ kinds: ["added", "removed"] }, CHANGE, false);
    expectMatch({ sources: ["us.federal-register", "us.ecfr.ccl"] }, CHANGE, true);
    expectMatch({ sources: ["ca.export-control-list"] }, CHANGE, false);
  });

  it("blank values are dropped, so a list of blanks puts no constraint", () => {
    expectMatch({ technologies: ["  "], entries: [""], keywords: [" \n"] }, CHANGE, true);
    expectMatch({ technologies: [" gaafet "] }, CHANGE, true);
  });
});

describe("entry patterns", () => {
  it("an entry covers itself and every paragraph under it", () => {
    expectMatch({ entries: ["3B001"] }, change({ subject: "3B001" }), true);
    expectMatch({ entries: ["3B001"] }, change({ subject: "3B001.c.1.a" }), true);
    expectMatch({ entries: ["3B001.c"] }, change({ subject: "3B001.c.1.a" }), true);
    expectMatch({ entries: ["3B001.c.1.a"] }, change({ subject: "3B001.c.1.a" }), true);
  });

  it("an entry does not cover a longer number or a sibling", () => {
    expectMatch({ entries: ["3B001"] }, change({ subject: "3B0012" }), false);
    expectMatch({ entries: ["3B001"] }, change({ subject: "3B0012.a" }), false);
    expectMatch({ entries: ["3B001.c"] }, change({ subject: "3B001.c1" }), false);
    expectMatch({ entries: ["3B001.c"] }, change({ subject: "3B001.b.1" }), false);
    expectMatch({ entries: ["3B001.c.1.a"] }, change({ subject: "3B001.c.1" }), false);
  });

  it("Canadian items: 5506 covers 5506(2)(c), not 55061", () => {
    expectMatch({ entries: ["5506"] }, change({ subject: "5506(2)(c)" }), true);
    expectMatch({ entries: ["5506(2)"] }, change({ subject: "5506(2)(c)(ii)" }), true);
    expectMatch({ entries: ["5506(2)"] }, change({ subject: "5506(2)(c)(ii).note.1" }), true);
    expectMatch({ entries: ["5506"] }, change({ subject: "55061" }), false);
    expectMatch({ entries: ["5506(2)"] }, change({ subject: "5506(1)(a)" }), false);
    expectMatch({ entries: ["5506(2)(c)"] }, change({ subject: "5506(2)" }), false);
  });

  it("a trailing * is a plain prefix", () => {
    expectMatch({ entries: ["3B*"] }, change({ subject: "3B001.c.1.a" }), true);
    expectMatch({ entries: ["3B*"] }, change({ subject: "3B" }), true);
    expectMatch({ entries: ["3B00*"] }, change({ subject: "3B0012" }), true);
    expectMatch({ entries: ["3*"] }, change({ subject: "3A090.a" }), true);
    expectMatch({ entries: ["3B*"] }, change({ subject: "3A090.a" }), false);
    expectMatch({ entries: ["3B*"] }, change({ subject: "23B001" }), false);
    expectMatch({ entries: ["5506(2*"] }, change({ subject: "5506(2)(c)" }), true);
    expectMatch({ entries: ["*"] }, change({ subject: "anything" }), true);
  });

  it("ECCN letters match in any case", () => {
    expectMatch({ entries: ["3b001"] }, change({ subject: "3B001.c" }), true);
    expectMatch({ entries: ["3b*"] }, change({ subject: "3B001.c" }), true);
    expectMatch({ entries: ["3B001.C"] }, change({ subject: "3b001.c.1" }), true);
    expectMatch({ entries: ["3a*"] }, change({ subject: "3B001.c" }), false);
  });

  it("any one of several patterns is enough", () => {
    expectMatch({ entries: ["4A906", "3B001.c"] }, change({ subject: "3B001.c.1.a" }), true);
    expectMatch({ entries: ["4A906", "5A*"] }, change({ subject: "3B001.c.1.a" }), false);
  });

  it("patterns apply to document subjects too", () => {
    expectMatch({ entries: ["89 FR*"] }, change({ subject: "89 FR 72926" }), true);
    expectMatch({ entries: ["2024-19633"] }, change({ subject: "2024-19633" }), true);
    expectMatch({ entries: ["2024-1963"] }, change({ subject: "2024-19633" }), false);
  });
});

describe("keywords", () => {
  it("match whole words, in any case", () => {
    expectMatch({ keywords: ["etching"] }, CHANGE, true);
    expectMatch({ keywords: ["ETCHING"] }, CHANGE, true);
    expectMatch({ keywords: ["etch"] }, CHANGE, false);
    expectMatch({ keywords: ["AI"] }, change({ title: "Paid training", before: null, after: null }), false);
    expectMatch({ keywords: ["AI"] }, change({ title: "AI model weights", before: null, after: null }), true);
    expectMatch({ keywords: ["ai"] }, change({ title: "Rules on AI.", before: null, after: null }), true);
  });

  it("match phrases across collapsed whitespace, on both sides", () => {
    expectMatch({ keywords: ["gate-all-around structures"] }, CHANGE, true);
    expectMatch({ keywords: ["dry   etching\tof"] }, CHANGE, true);
    expectMatch({ keywords: ["etching structures"] }, CHANGE, false);
  });

  it("look in title, subject, before and after", () => {
    const bare = change({ title: "", subject: "x", before: null, after: null });
    expectMatch({ keywords: ["lithography"] }, { ...bare, title: "EUV lithography" }, true);
    expectMatch({ keywords: ["lithography"] }, { ...bare, before: "EUV lithography" }, true);
    expectMatch({ keywords: ["lithography"] }, { ...bare, after: "EUV lithography" }, true);
    expectMatch({ keywords: ["3b001"] }, { ...bare, subject: "3B001.c" }, true);
    expectMatch({ keywords: ["lithography"] }, bare, false);
  });

  it("do not join the end of one field to the start of the next", () => {
    const c = change({ title: "Equipment for quantum", subject: "x", before: "computing", after: null });
    expectMatch({ keywords: ["quantum computing"] }, c, false);
    expectMatch({ keywords: ["quantum"] }, c, true);
  });

  it("keywords made of punctuation still match", () => {
    expectMatch({ keywords: ["(c)"] }, change({ title: "Item 5506 (c) amended" }), true);
    expectMatch({ keywords: ["(d)"] }, change({ title: "Item 5506 (c) amended" }), false);
  });
});

describe("dimensions combined", () => {
  it("every non-empty dimension must hold (AND), any value within one (OR)", () => {
    const f = {
      technologies: ["quantum", "gaafet"],
      jurisdictions: ["US", "CA"],
      entries: ["3B*"],
      keywords: ["etching"],
    };
    expectMatch(f, CHANGE, true);
    expectMatch(f, change({ jurisdiction: "EU" }), false);
    expectMatch(f, change({ technologies: ["quantum"] }), true);
    expectMatch(f, change({ technologies: ["cryptography"] }), false);
    expectMatch(f, change({ subject: "4A906" }), false);
    expectMatch(f, change({ before: null, after: null }), false);
    expectMatch({ ...f, countries: ["RU"] }, CHANGE, false);
    expectMatch(
      { ...f, countries: ["RU", "CN"], kinds: ["modified"], sources: ["us.ecfr.ccl"] },
      CHANGE,
      true,
    );
  });
});

describe("SubscriptionIndex", () => {
  it("returns ids in insertion order and supports add, replace and remove", () => {
    const index = new SubscriptionIndex();
    index.add("b", filters({ technologies: ["gaafet"] }));
    index.add("a", filters({}));
    index.add("c", filters({ technologies: ["quantum"] }));
    index.add("d", filters({ entries: ["3B001"] }));
    expect(index.size).toBe(4);
    expect(index.match(CHANGE)).toEqual(["b", "a", "d"]);

    expect(index.remove("a")).toBe(true);
    expect(index.remove("a")).toBe(false);
    expect(index.size).toBe(3);
    expect(index.match(CHANGE)).toEqual(["b", "d"]);

    // Replacing moves the id to the end and drops its old buckets.
    index.add("b", filters({ technologies: ["quantum"] }));
    index.add("c", filters({ countries: ["CN"] }));
    expect(index.size).toBe(3);
    expect(index.match(CHANGE)).toEqual(["d", "c"]);
    expect(index.match(change({ technologies: ["quantum"], countries: [] }))).toEqual(["d", "b"]);

    index.remove("b");
    index.remove("c");
    index.remove("d");
    expect(index.size).toBe(0);
    expect(index.match(CHANGE)).toEqual([]);
  });

  it("finds a subscription once even when several of its values match", () => {
    const index = new SubscriptionIndex();
    index.add("s", filters({ technologies: ["gaafet", "semiconductor-manufacturing-equipment"] }));
    index.add("t", filters({ entries: ["3B001", "3B001.c", "3B*", "3*"] }));
    index.add("k", filters({ keywords: ["dry etching", "etching"] }));
    expect(index.match(CHANGE)).toEqual(["s", "t", "k"]);
  });

  it("stays exact after removing most subscriptions, which renumbers the rest", () => {
    const index = new SubscriptionIndex();
    const subs = Array.from(
      { length: 3000 },
      (_, i) => [`s${i}`, filters({ technologies: ["gaafet"] })] as const,
    );
    for (const [id, f] of subs) index.add(id, f);
    for (let i = 0; i < 2500; i++) index.remove(`s${i}`);
    index.add("s0", filters({ entries: ["3B*"] }));
    expect(index.size).toBe(501);
    expect(index.match(CHANGE)).toEqual([...subs.slice(2500).map(([id]) => id), "s0"]);
    expect(index.match(change({ technologies: [] }))).toEqual(["s0"]);
  });

  it("stays exact when a dimension has more distinct values than fit in a bitmask", () => {
    const index = new SubscriptionIndex();
    for (let i = 0; i < 40; i++)
      index.add(`src${i}`, filters({ sources: [`source-${i}`], technologies: ["gaafet"] }));
    index.add("ccl", filters({ sources: ["us.ecfr.ccl"], technologies: ["gaafet"] }));
    index.add("ccl-other-tech", filters({ sources: ["us.ecfr.ccl"], technologies: ["quantum"] }));
    expect(index.match(CHANGE)).toEqual(["ccl"]);
    expect(index.match(change({ source: "source-35" }))).toEqual(["src35"]);
    expect(index.match(change({ source: "source-3" }))).toEqual(["src3"]);
  });

  it("agrees with matchesFilters on 2,000 random subscriptions × 300 random changes", () => {
    const rng = createRng(20240906);
    const subs = Array.from({ length: 2000 }, (_, i) => [`sub-${i}`, randomFilters(rng)] as const);
    const index = new SubscriptionIndex();
    for (const [id, f] of subs) index.add(id, f);
    // Churn, so that remove and re-add are part of what is compared.
    for (let i = 0; i < 2000; i += 7) index.remove(`sub-${i}`);
    for (let i = 0; i < 2000; i += 14) index.add(`sub-${i}`, subs[i]![1]);
    // Ids removed and added again come last, in the order they were added again.
    const readded = (id: string) => Number(id.slice(4)) % 14 === 0;
    const live = subs.filter(([id]) => index.has(id));
    const ordered = [...live.filter(([id]) => !readded(id)), ...live.filter(([id]) => readded(id))];
    expect(ordered.length).toBe(index.size);

    let total = 0;
    let empty = 0;
    for (let n = 0; n < 300; n++) {
      const c = randomChange(rng);
      const expected = ordered.filter(([, f]) => matchesFilters(f, c)).map(([id]) => id);
      const actual = index.match(c);
      expect(actual, JSON.stringify(c)).toEqual(expected);
      total += actual.length;
      if (actual.length === 0) empty++;
    }
    // The comparison means something only if matches are neither rare nor universal.
    expect(total / 300).toBeGreaterThan(20);
    expect(total / 300).toBeLessThan(live.length / 2);
    expect(empty).toBeLessThan(300);
  });
});
