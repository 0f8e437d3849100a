// The technology taxonomy. Ids are stable kebab-case slugs: subscriptions,
// stored tags and URLs depend on them, so an id is never renamed, only added.

export const TECHNOLOGIES = {
  quantum: "Quantum computing and quantum devices",
  "semiconductor-manufacturing-equipment": "Semiconductor manufacturing equipment",
  "advanced-semiconductors": "Advanced semiconductors and integrated circuits",
  gaafet: "Gate-all-around field-effect transistors (GAAFET)",
  "additive-manufacturing": "Additive manufacturing",
  "advanced-computing": "Advanced computing and supercomputers",
  "artificial-intelligence": "Artificial intelligence",
  cryptography: "Cryptography and information security",
  biotechnology: "Biotechnology",
} as const;

export type TechnologyId = keyof typeof TECHNOLOGIES;

export const TECHNOLOGY_IDS = Object.keys(TECHNOLOGIES) as [TechnologyId, ...TechnologyId[]];

/** The Wassenaar Arrangement's ten categories, the facet every dual-use list numbering follows. */
export const WASSENAAR_CATEGORIES = {
  "0": "Nuclear materials, facilities and equipment",
  "1": "Special materials and related equipment",
  "2": "Materials processing",
  "3": "Electronics",
  "4": "Computers",
  "5": "Telecommunications and information security",
  "6": "Sensors and lasers",
  "7": "Navigation and avionics",
  "8": "Marine",
  "9": "Aerospace and propulsion",
} as const;

export type WassenaarCategory = keyof typeof WASSENAAR_CATEGORIES;

// Entry-number rules: a key matches a rule when it equals the prefix or
// continues it with "." (so "3B001.c" covers "3B001.c.1.a"). From the 2024
// plurilateral controls (89 FR 72926) and the long-standing CCL structure.
const ENTRY_RULES: readonly (readonly [string, readonly TechnologyId[]])[] = [
  ["4A906", ["quantum"]],
  ["4D906", ["quantum"]],
  ["4E906", ["quantum"]],
  ["3A901", ["quantum"]],
  ["3A904", ["quantum"]],
  ["3B904", ["quantum", "semiconductor-manufacturing-equipment"]],
  ["3C907", ["quantum", "advanced-semiconductors"]],
  ["3C908", ["quantum", "advanced-semiconductors"]],
  ["3C909", ["quantum", "advanced-semiconductors"]],
  ["3E901", ["quantum"]],
  ["3B001", ["semiconductor-manufacturing-equipment"]],
  ["3B002", ["semiconductor-manufacturing-equipment"]],
  ["3B903", ["semiconductor-manufacturing-equipment"]],
  ["3B993", ["semiconductor-manufacturing-equipment"]],
  ["3B994", ["semiconductor-manufacturing-equipment"]],
  ["3D001", ["semiconductor-manufacturing-equipment"]],
  ["3D907", ["semiconductor-manufacturing-equipment"]],
  ["3D901", ["semiconductor-manufacturing-equipment"]],
  ["3D992", ["semiconductor-manufacturing-equipment"]],
  ["3E905", ["gaafet", "advanced-semiconductors"]],
  ["2B910", ["additive-manufacturing"]],
  ["2D910", ["additive-manufacturing"]],
  ["2E910", ["additive-manufacturing"]],
  ["2E903", ["additive-manufacturing"]],
  ["3A090", ["advanced-computing", "advanced-semiconductors"]],
  ["4A090", ["advanced-computing"]],
  ["3E001", ["advanced-semiconductors"]],
  ["4A003", ["advanced-computing"]],
  ["4A004", ["advanced-computing"]],
  ["4E001", ["advanced-computing"]],
  ["4E091", ["artificial-intelligence"]],
  ["5A002", ["cryptography"]],
  ["5A004", ["cryptography"]],
  ["5A992", ["cryptography"]],
  ["5D002", ["cryptography"]],
  ["5D992", ["cryptography"]],
  ["5E002", ["cryptography"]],
  ["5E992", ["cryptography"]],
  ["1C351", ["biotechnology"]],
  ["1C353", ["biotechnology"]],
  ["1C991", ["biotechnology"]],
  ["2B352", ["biotechnology"]],
];

// Keyword rules for titles, abstracts and entry text in any list. Written to
// avoid common false friends ("mask" alone, "AI" inside words).
const KEYWORD_RULES: readonly (readonly [RegExp, TechnologyId])[] = [
  [
    // Not "post-quantum cryptography" (5A002): that is cryptography made to resist quantum computers.
    /(?<!post[- ])\bquantum\b|\bqubits?\b|cryo-?CMOS|parametric (?:signal )?amplifier|dilution refrigerat|cryocooler/i,
    "quantum",
  ],
  [
    /semiconductor (?:manufacturing|production|fabrication) equipment|\bSME\b|lithograph|dry etch|\betch(?:ing)? equipment|epitaxial|ion implant|wafer (?:fabrication|handling|prober)|scanning electron microscop|\bEUV\b|atomic layer deposition/i,
    "semiconductor-manufacturing-equipment",
  ],
  [
    /integrated circuits?|gate[- ]all[- ]around|high[- ]bandwidth memory|\bHBM\b|advanced[- ]node|microprocessor/i,
    "advanced-semiconductors",
  ],
  [/gate[- ]all[- ]around|\bGAAFETs?\b/i, "gaafet"],
  [/additive manufactur|3D print|powder bed fusion|directed energy deposition/i, "additive-manufacturing"],
  [
    /advanced computing|supercomputer|high[- ]performance computing|data cent(?:er|re)s?|\bGPUs?\b/i,
    "advanced-computing",
  ],
  [/artificial intelligence|model weights|machine learning|neural network/i, "artificial-intelligence"],
  // "AI" only in capitals: "ai" is too common inside other words and names.
  [/\bAI\b/, "artificial-intelligence"],
  [/cryptograph|encryption|information security|cryptanaly/i, "cryptography"],
  [/biotechnolog|peptide synthesi|genetic(?:ally)? |\btoxins?\b|pathogen/i, "biotechnology"],
];

/** Technologies of a control-list entry from its key (e.g. "3B001.c.1.a"). */
export function technologiesForKey(key: string): TechnologyId[] {
  const found = new Set<TechnologyId>();
  for (const [prefix, ids] of ENTRY_RULES) {
    if (key === prefix || key.startsWith(`${prefix}.`)) for (const id of ids) found.add(id);
  }
  return [...found];
}

// All keyword rules as one alternation, so a text is scanned once; each
// rule is its own capturing group, and the group that matched names the id.
let combined: RegExp | undefined;
let anchored: (readonly [RegExp, TechnologyId])[] | undefined;

/** Technologies named in free text: titles, abstracts, entry bodies. */
export function technologiesForText(text: string): TechnologyId[] {
  combined ??= new RegExp(KEYWORD_RULES.map(([pattern]) => `(?:${pattern.source})`).join("|"), "gi");
  // Each rule against the whole of a match: one phrase can name two technologies ("gate-all-around"
  // is a semiconductor and GAAFET), and an alternation stops at the first rule that matches it.
  // A case-sensitive rule ("AI") keeps its own flags, so a match found case-insensitively is checked for case.
  anchored ??= KEYWORD_RULES.map(
    ([p, id]) => [new RegExp(`^(?:${p.source})$`, p.flags.replace("g", "")), id] as const,
  );
  const found = new Set<TechnologyId>();
  for (const m of text.matchAll(combined)) for (const [p, id] of anchored) if (p.test(m[0])) found.add(id);
  return TECHNOLOGY_IDS.filter((id) => found.has(id));
}

/** ECCN-style numbers ("3B001", "4A906") mentioned in text: the CFR parts and ECCNs a rule touches. */
export function findEccns(text: string): string[] {
  return [...new Set(text.match(/\b[0-9][A-E][0-9]{3}\b/g) ?? [])];
}

/** Sorted, de-duplicated union of technology ids, in taxonomy order. */
export function mergeTechnologies(...lists: readonly (readonly TechnologyId[])[]): TechnologyId[] {
  const all = new Set(lists.flat());
  return TECHNOLOGY_IDS.filter((id) => all.has(id));
}

/** The Wassenaar category of a Wassenaar-style entry number ("3B001.c" → "3"), or null. */
export function wassenaarCategoryOf(key: string): WassenaarCategory | null {
  const m = /^([0-9])[A-E][0-9]{3}/.exec(key);
  return m ? (m[1] as WassenaarCategory) : null;
}
