// Random but realistic subscriptions and change records, from a seeded PRNG:
// the property test of the subscription index and the match bench share them.
import type { SubscriptionFilters } from "@regwatch/alerts/match";
import { COUNTRIES } from "@regwatch/core/countries";
import { JURISDICTION_CODES } from "@regwatch/core/jurisdictions";
import type { ChangeRecord } from "@regwatch/core/schemas";
import { TECHNOLOGY_IDS } from "@regwatch/core/taxonomy";

export type Rng = () => number;

/** mulberry32: small, fast, and the same sequence on every machine for a seed. */
export function createRng(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pick = <T>(rng: Rng, values: readonly T[]): T => values[Math.floor(rng() * values.length)] as T;

function pickSome<T>(rng: Rng, values: readonly T[], min: number, max: number): T[] {
  const n = min + Math.floor(rng() * (max - min + 1));
  const out = new Set<T>();
  while (out.size < Math.min(n, values.length)) out.add(pick(rng, values));
  return [...out];
}

export const SOURCE_IDS = ["us.federal-register", "us.ecfr.ccl", "ca.export-control-list"] as const;
const KINDS = ["added", "removed", "modified", "published"] as const;

// ECCNs of the 2024 plurilateral controls and their neighbours, and Canadian
// ECL item numbers (Group 5, "5506(2)(c)"), each with a few real-shaped paragraphs.
const ECCNS = [
  "3B001",
  "3B002",
  "3B993",
  "3B904",
  "3A090",
  "4A090",
  "4A906",
  "3E001",
  "3C907",
  "2B910",
  "5A002",
  "5D002",
  "1C351",
  "3A001",
  "3D001",
  "9A515",
];
const CA_ITEMS = ["5504", "5505", "5506", "5101", "5105", "2-5", "1-3"];
const ECCN_PARAGRAPHS = ["", ".a", ".b", ".c", ".c.1", ".c.1.a", ".a.2", ".b.1.b", ".f.3"];
const CA_PARAGRAPHS = ["", "(1)", "(2)", "(2)(c)", "(2)(c)(ii)", "(1)(a)"];
// Prefix wildcards as people write them: a category, a product group.
const WILDCARDS = ["3*", "3B*", "4A*", "5A*", "55*", "3B00*", "5506(2*"];
/** Entry patterns as subscribers type them: real keys, sometimes lower-case, and wildcards. */
const ENTRY_PATTERNS = [
  ...ECCNS,
  ...ECCNS.map((e) => `${e}.c`),
  ...CA_ITEMS,
  "5506(2)",
  "3b001",
  "4a906.a",
  ...WILDCARDS,
];

const KEYWORDS = [
  "quantum",
  "lithography",
  "gate-all-around",
  "high bandwidth memory",
  "AI",
  "Entity List",
  "supercomputer",
  "cryo-CMOS",
  "semiconductor manufacturing equipment",
  "mask",
];

// Countries changes actually name (destinations of the 2024 rules), and the rest of the table.
const FREQUENT_COUNTRIES = ["CN", "RU", "IR", "KP", "HK", "MO", "BY", "VE", "CU", "SY"];
const ALL_COUNTRIES = COUNTRIES.map((c) => c.code);

const TITLE_PARTS = [
  "Export Administration Regulations: Implementation of Additional Export Controls",
  "Certain Advanced Computing Items; Supercomputer and Semiconductor End Use",
  "Commerce Control List Additions of Quantum items",
  "Additions to the Entity List",
  "Gate-all-around field-effect transistor technology",
  "Semiconductor Manufacturing Equipment and lithography",
  "Equipment designed for high bandwidth memory production",
  "Cryo-CMOS integrated circuits for quantum computers",
  "Photomask (mask) blanks",
  "AI model weights and advanced computing",
  "Amendments to Group 5 of the Export Control List",
  "Paid training for aircraft mechanics", // words near keywords: "AI" inside "Paid", "mask" nowhere
];

/** One subscription as an analyst would set it up: mostly technologies and jurisdictions, some entries. */
export function randomFilters(rng: Rng): SubscriptionFilters {
  const filters: SubscriptionFilters = {
    technologies: rng() < 0.7 ? pickSome(rng, TECHNOLOGY_IDS, 1, 3) : [],
    jurisdictions: rng() < 0.5 ? pickSome(rng, JURISDICTION_CODES, 1, 2) : [],
    countries: rng() < 0.1 ? pickSome(rng, rng() < 0.8 ? FREQUENT_COUNTRIES : ALL_COUNTRIES, 1, 3) : [],
    entries: rng() < 0.2 ? pickSome(rng, ENTRY_PATTERNS, 1, 3) : [],
    kinds: rng() < 0.1 ? pickSome(rng, KINDS, 1, 2) : [],
    sources: rng() < 0.15 ? pickSome(rng, SOURCE_IDS, 1, 1) : [],
    keywords: rng() < 0.1 ? pickSome(rng, KEYWORDS, 1, 2) : [],
  };
  // "Everything" is a real subscription, but a rare one.
  const empty = Object.values(filters).every((v) => v.length === 0);
  if (empty && rng() < 0.9) filters.technologies = [pick(rng, TECHNOLOGY_IDS)];
  return filters;
}

export type ChangeLike = Pick<
  ChangeRecord,
  "source" | "jurisdiction" | "kind" | "subject" | "title" | "before" | "after" | "technologies" | "countries"
>;

function entryKey(rng: Rng, source: string): string {
  if (source === "ca.export-control-list") return pick(rng, CA_ITEMS) + pick(rng, CA_PARAGRAPHS);
  const key = pick(rng, ECCNS) + pick(rng, ECCN_PARAGRAPHS);
  // Not a subscriber's pattern, a neighbour of one: "3B0012" must not match "3B001".
  return rng() < 0.05 ? `${key}2` : key;
}

/** A change record's matchable fields, shaped like what the three sources emit. */
export function randomChange(rng: Rng): ChangeLike {
  const source = pick(rng, SOURCE_IDS);
  const documents = source === "us.federal-register";
  // Mostly the source's own jurisdiction, sometimes any, so every code gets exercised.
  const jurisdiction = rng() < 0.8 ? (source.startsWith("ca.") ? "CA" : "US") : pick(rng, JURISDICTION_CODES);
  const kind = documents ? "published" : pick(rng, KINDS);
  const subject = documents
    ? rng() < 0.5
      ? `2024-${19000 + Math.floor(rng() * 900)}`
      : "89 FR 72926"
    : entryKey(rng, source);
  const text = () => pickSome(rng, TITLE_PARTS, 1, 2).join(rng() < 0.3 ? "\n   " : " ");
  return {
    source,
    jurisdiction,
    kind,
    subject,
    title: rng() < 0.8 ? pick(rng, TITLE_PARTS) : "",
    before: kind === "added" || documents ? null : text(),
    after: kind === "removed" ? null : text(),
    technologies: pickSome(rng, TECHNOLOGY_IDS, 0, 2),
    countries: rng() < 0.5 ? [] : pickSome(rng, rng() < 0.8 ? FREQUENT_COUNTRIES : ALL_COUNTRIES, 1, 3),
  };
}
