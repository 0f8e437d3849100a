// The technology taxonomy. Ids are stable kebab-case slugs: subscriptions,
// stored tags and URLs depend on them, so an id is never renamed, only added.

import { crosswalkRowsFor, keyCovers } from "./crosswalk.ts";

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

// Entry-number rules for Wassenaar numbering, which the CCL, the EU's Annex I,
// the UK's assimilated list and every other Wassenaar-numbered list share: a
// key matches a rule when it equals the prefix or continues it with "." (so
// "3B001.c" covers "3B001.c.1.a"). National numbers (the US 9x and x90
// entries, the UK's PL entries, Canada's 5506) are in the crosswalk, per list:
// a 9xx number in one list is not the same item in another.
const ENTRY_RULES: readonly (readonly [string, readonly TechnologyId[]])[] = [
  ["3B001", ["semiconductor-manufacturing-equipment"]],
  ["3B002", ["semiconductor-manufacturing-equipment"]],
  ["3D001", ["semiconductor-manufacturing-equipment"]],
  ["3E001", ["advanced-semiconductors"]],
  ["4A003", ["advanced-computing"]],
  ["4A004", ["advanced-computing"]],
  ["4E001", ["advanced-computing"]],
  ["5A002", ["cryptography"]],
  ["5A004", ["cryptography"]],
  ["5D002", ["cryptography"]],
  ["5E002", ["cryptography"]],
  ["1C351", ["biotechnology"]],
  ["1C353", ["biotechnology"]],
  ["2B352", ["biotechnology"]],
];

// Keyword rules for titles, abstracts and entry text in any list. Written to
// avoid common false friends ("mask" alone, "AI" inside words).
const ENGLISH_RULES: readonly (readonly [RegExp, TechnologyId])[] = [
  [
    // Not "post-quantum cryptography" (5A002): that is cryptography made to resist quantum computers.
    /(?<!post[- ])\bquantum\b|\bqubits?\b|cryo-?CMOS|parametric (?:signal )?amplifier|dilution refrigerat|cryocooler|cryogenic cooling systems?/i,
    "quantum",
  ],
  [
    /semiconductor (?:manufacturing|production|fabrication) equipment|\bSME\b|lithograph|dry etch|\betch(?:ing)? equipment|epitaxial|ion implant|wafer (?:fabrication|handling|prob(?:er|ing))|scanning electron microscop|\bEUV\b|extreme ultraviolet|area[- ]selective deposition|atomic layer deposition/i,
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

// The rules for the other languages of the tracked lists. They only add what
// the English rules miss: an English rule that already matches a word in
// another language ("lithographie", "microprocessore", "biotechnologie",
// "pathogenen", "cryptanalyse", "supercomputer", "GAAFET", "gate-all-around")
// is not repeated. `\b` is ASCII-only, so a word with letters like å, ä, é or
// ï is bounded with `(?<!\p{L})` / `(?!\p{L})` (see `latin` below). Stems are
// open at the end, so inflected and compound forms match ("kvantedatamaskiner",
// "tekoälyjärjestelmien"). Words in the brief of a bare material ("halvledere",
// "puolijohteet", "semiconductores", "semi-conducteurs") tag nothing alone, as
// "semiconductor" alone does not in English. Plain codes and loanwords
// (GAAFET, HBM, EUV, "gate-all-around") are left to the English rules in every
// language. Exclusions, each a false friend:
// - bare words for "etching" (nb "etsing", fi "etsaus", nl "etsen", es "grabado", it "incisione", fr
//   "gravure"): also art engraving, glass etching, "recorded" (es), "incision" (it); only dry/plasma
//   etching or etching equipment counts;
// - nl "kwantumkorting" (a volume discount), es "cuantía" and it "quanto"/"quanti" (amounts), not quantum;
// - nb "toksin" and fi "toksiin" only at a word's start: Finnish "muutoksineen", "muutoksiin" (changes)
//   hold them;
// - "post-quantum" in every language (nb/fi "post-kvante", nl "post-quantum", es "poscuántica", it
//   "post-quantistica", fr "post-quantique") is cryptography, not quantum, as in English;
// - es "cifrado/a en" ("cuantía cifrada en 1.000 euros": an amount put at), not encryption;
// - fi "tietoturvallisuusvelvoitteet": the act on international information security obligations
//   (588/2004) is about classified documents, not cryptography;
// - fi "salattu"/"salata" (also "kept secret"); only the noun "salaus" is encryption;
// - fr "chiffrage" (costing), only "chiffrement" is encryption;
// - nb "KI" (kunstig intelligens) is not taken: two capitals are too ambiguous across the six languages;
// - fr "quantum" (an amount, "le quantum de la peine") is still read as quantum by the English rule,
//   kept unchanged so English tags stay as they were.

// Letters of the six languages (Latin-1 and Latin Extended-A: å, ä, é, ï, ñ, œ...). The rules
// below are written with `\p{L}` and the `u` flag, and run with this class and without `u`: the
// combined scan keeps the English flags ("gi"), and under "iu" V8 scans about ten times slower.
const LETTER = "[A-Za-zÀ-ÖØ-öø-ÿĀ-ſ]";
function latin(rules: readonly (readonly [RegExp, TechnologyId])[]): (readonly [RegExp, TechnologyId])[] {
  return rules.map(([p, id]) => [
    new RegExp(p.source.replaceAll("\\p{L}", LETTER), p.flags.replace("u", "")),
    id,
  ]);
}

const NORWEGIAN_RULES = latin([
  [
    /(?<!\p{L}|post[- ])kvante|fortynningskjøle|kryo-?CMOS|kryokjøler|kryogene? kjølesystem|parametriske? (?:signal)?forsterk/iu,
    "quantum",
  ],
  [
    /halvleder(?:produksjon|fabrikasjon|utstyr)|(?:produksjon|fremstilling|framstilling) av halvledere|litografi|(?:tørr|plasma)etsing|etseutstyr|epitaksi|ioneimplant|atomlagsdeponering|sveipeelektronmikroskop|ekstrem ultrafiolett|kryogene? (?:wafer|halvlederskive)-?prob/iu,
    "semiconductor-manufacturing-equipment",
  ],
  [/integrerte? krets|mikroprosessor/iu, "advanced-semiconductors"],
  [
    /additiv (?:tilvirkning|produksjon|fremstilling|framstilling)|3D-print|3D-skriv|pulverbedfusjon/iu,
    "additive-manufacturing",
  ],
  [
    /superdatamaskin|høyytelses ?databehandling|datasent(?:er|re)|avansert databehandling/iu,
    "advanced-computing",
  ],
  [/kunstig intelligens|maskinlæring|nevral(?:e|t)? nettverk|modellvekter/iu, "artificial-intelligence"],
  [/kryptografi|krypter(?:ing|e|t)|kryptoanaly|informasjonssikkerhet/iu, "cryptography"],
  [/bioteknologi|patogen|(?<!\p{L})toksin|genetisk/iu, "biotechnology"],
]);

const FINNISH_RULES = latin([
  [/(?<!\p{L}|post[- ])kvantti|laimennusjäähdyt/iu, "quantum"],
  [
    /puolijohteiden (?:valmist|tuotan)|puolijohdevalmist|litografi|(?:kuiva|plasma)etsau|epitaksi|ioni-?(?:istutu|implantoin)|atomikerroskasvatu|pyyhkäisyelektronimikroskoop/iu,
    "semiconductor-manufacturing-equipment",
  ],
  [/integro(?:itu|idu)\p{L}* piir|mikroprosessor/iu, "advanced-semiconductors"],
  [
    /additiivi\p{L}* valmist|ainetta lisääv\p{L}* valmist|3D-tulost|jauhepetisulatu/iu,
    "additive-manufacturing",
  ],
  [/supertietokone|suurteholaske|datakesk|konesali/iu, "advanced-computing"],
  [/tekoäly|koneoppi|neuroverk/iu, "artificial-intelligence"],
  [/kryptografi|salau(?:s|ks)|kryptoanalyy|tietoturv(?!allisuusvelvoit)/iu, "cryptography"],
  [/bioteknologi|patogee|taudinaiheuttaj|(?<!\p{L})toksiin|geneetti/iu, "biotechnology"],
]);

const DUTCH_RULES = latin([
  // Dutch writes quantum compounds as one word ("quantumcomputers"), which `\bquantum\b` misses.
  [/(?<!\p{L}|post[- ])(?:kwantum(?!korting)|quantum(?=\p{L})|verdunningskoel)/iu, "quantum"],
  [
    /halfgeleider(?:productie|fabricage)|(?:productie|fabricage)apparatuur voor (?:de )?halfgeleiders|(?:productie|vervaardiging|fabricage) van halfgeleiders|lithografi|droog ?ets|etsapparatuur|epitaxi|ionenimplant|atomaire[- ]laagdepositie|rasterelektronenmicroscop|extreem ultraviolet/iu,
    "semiconductor-manufacturing-equipment",
  ],
  [/ge[iï]ntegreerde schakeling/iu, "advanced-semiconductors"],
  [
    /additie(?:ve|f) (?:vervaardig|productie|fabricage|gefabriceerd)|3D-print|poederbedfusie/iu,
    "additive-manufacturing",
  ],
  [/datacent(?:er|rum|ra)|rekencentr(?:um|a)/iu, "advanced-computing"],
  [
    /kunstmatige intelligentie|machinaal leren|neura(?:le|al) netwerk|modelgewichten/iu,
    "artificial-intelligence",
  ],
  [/cryptografi|(?:ver|ont)sleutel|informatiebeveiliging|crypto-?analyse/iu, "cryptography"],
  [/toxinen|ziekteverwekker|genetisch/iu, "biotechnology"],
]);

const SPANISH_RULES = latin([
  [
    /(?<!\p{L}|pos[- ]?|post[- ]?)cu[aá]ntic[oa]|refrigeradore?s? de diluci[oó]n|amplificadore?s? (?:de señales )?param[eé]tric/iu,
    "quantum",
  ],
  [
    /(?:fabricaci[oó]n|producci[oó]n) de semiconductores|litograf|grabado (?:en seco|(?:por|con|de) plasma|i[oó]nico reactivo)|epitaxia|implantaci[oó]n (?:i[oó]nica|de iones)|deposici[oó]n de capas at[oó]micas|microscopios? electr[oó]nicos? de barrido|ultravioleta extremo/iu,
    "semiconductor-manufacturing-equipment",
  ],
  [/circuitos? integrados?|microprocesador/iu, "advanced-semiconductors"],
  [
    /(?:fabricaci[oó]n|manufactura) aditiva|impresi[oó]n (?:en )?3D|impresoras? 3D|fusi[oó]n (?:de|en) lecho de polvo/iu,
    "additive-manufacturing",
  ],
  [
    /supercomputador|superordenador|computaci[oó]n (?:de|en) (?:alto rendimiento|altas prestaciones)|centros? de (?:procesamiento de )?datos/iu,
    "advanced-computing",
  ],
  [
    /inteligencia artificial|aprendizaje autom[aá]tico|redes neuronales|red neuronal|pesos del modelo/iu,
    "artificial-intelligence",
  ],
  [
    /criptograf|criptoan[aá]lisis|cifrad[oa]s?(?!\p{L}| en )|encript|seguridad de la informaci[oó]n/iu,
    "cryptography",
  ],
  [/biotecnolog|pat[oó]gen|toxinas?(?!\p{L})|gen[eé]tic(?:[oa]s?|amente)(?!\p{L})/iu, "biotechnology"],
]);

const ITALIAN_RULES = latin([
  [
    /(?<!\p{L}|post[- ]?)quantistic(?:[oai]|he)|refrigerator[ei] a diluizione|amplificator[ei] (?:di segnale )?parametric|sistem[ai] di raffreddamento criogenic|criorefrigerator/iu,
    "quantum",
  ],
  [
    /(?:fabbricazione|produzione) (?:di|dei) semiconduttori|litograf|incisione (?:a secco|al plasma|(?:con|mediante) plasma)|epitass|impiant(?:azione|o) ionic|deposizione di strati atomici|microscop(?:io|i|ia) elettronic[oia] a scansione|sondator[ei] criogenic[oi] per wafer|ultraviolett[oi] estrem[oi]/iu,
    "semiconductor-manufacturing-equipment",
  ],
  [/circuit[oi] integrat[oi]/iu, "advanced-semiconductors"],
  [
    /(?:fabbricazione|manifattura|produzione) additiva|stampa (?:in )?3D|stampant[ei] 3D|fusione a letto di polvere/iu,
    "additive-manufacturing",
  ],
  [
    /supercalcolator|calcolo ad alte prestazioni|centr[oi] (?:di )?(?:elaborazione )?dati/iu,
    "advanced-computing",
  ],
  [
    /intelligenza artificiale|apprendimento automatico|ret[ei] neural[ei]|pesi del modello/iu,
    "artificial-intelligence",
  ],
  [/crittograf|crittoanalis|cifratur|sicurezza dell(?:e |['’])informazion/iu, "cryptography"],
  [/biotecnolog|patogen|tossin[ae]|genetic(?:[oa]|i|he|amente)(?!\p{L})/iu, "biotechnology"],
]);

const FRENCH_RULES = latin([
  [
    /(?<!\p{L}|post[- ]?)quantiques?(?!\p{L})|r[eé]frig[eé]rateurs? [aà] dilution|amplificateurs? (?:de signaux )?param[eé]triques/iu,
    "quantum",
  ],
  [
    /(?:fabrication|production) (?:de|des) semi-?conducteurs|gravure (?:s[eè]che|(?:au|par) plasma|[aà] l['’]aide de plasma|ionique r[eé]active|de couches? atomiques?)|[eé]pitaxi|implantation (?:ionique|d['’]ions)|d[eé]p[oô]t (?:de|par) couches? atomiques?|microscop(?:e|ie) [eé]lectronique [aà] balayage|ultraviolet extr[eê]me/iu,
    "semiconductor-manufacturing-equipment",
  ],
  // France writes "grille enrobante", Canada "grille environnante" (DORS/89-202).
  [
    /circuits? int[eé]gr[eé]s?|microprocesseur|grille (?:enrobante|environnante)/iu,
    "advanced-semiconductors",
  ],
  [/grille (?:enrobante|environnante)/iu, "gaafet"],
  [
    /fabrication additive|impression (?:en )?3D|imprimantes? 3D|fusion sur lit de poudre/iu,
    "additive-manufacturing",
  ],
  [
    /supercalculateur|superordinateur|calcul (?:[aà] |de )?haute performance|calcul intensif|centres? de donn[eé]es/iu,
    "advanced-computing",
  ],
  [
    /intelligence artificielle|apprentissage automatique|r[eé]seaux? de neurones|r[eé]seaux? neurona(?:l|ux)|poids du mod[eè]le/iu,
    "artificial-intelligence",
  ],
  [/chiffrement|s[eé]curit[eé] (?:de l['’]information|des syst[eè]mes d['’]information)/iu, "cryptography"],
  [/pathog[eè]n|toxines?(?!\p{L})|g[eé]n[eé]tique/iu, "biotechnology"],
]);

// Japanese statutes have no spaces between words: plain phrases. Read on the
// NFKC form of the text, since statutes write Latin letters full-width (ＣＭＯＳ).
// Not 耐量子計算機暗号 (post-quantum cryptography), nor 量子効率 (a detector's quantum efficiency).
const JAPANESE_RULES: readonly (readonly [RegExp, TechnologyId])[] = [
  [
    /(?<!耐)量子(?:計算機|コンピュータ|ビット)|希釈冷凍機|極低温(?:用の)?(?:CMOS|冷却)|パラメトリック信号増幅器|CMOS[^。]{0,40}ケルビン以下/,
    "quantum",
  ],
  [
    /半導体製造装置|半導体(?:の)?製造(?:用の)?装置|露光装置|リソグラフィ|ドライエッチング|エッチング装置|エピタキシャル成長|イオン注入|原子層(?:堆積|成膜)|走査(?:型)?電子顕微鏡|極端紫外線/,
    "semiconductor-manufacturing-equipment",
  ],
  [/集積回路|マイクロプロセッサ|ゲートオールアラウンド/, "advanced-semiconductors"],
  [/ゲートオールアラウンド/, "gaafet"],
  [/積層造形|付加製造|3Dプリン|粉末床溶融結合/, "additive-manufacturing"],
  [/スーパーコンピュータ|高性能計算|データセンター/, "advanced-computing"],
  [/人工知能|機械学習|ニューラルネットワーク/, "artificial-intelligence"],
  [/暗号/, "cryptography"],
  [/病原体|毒素|遺伝子|バイオテクノロジー/, "biotechnology"],
];

// English first: at one position the combined alternation prefers the first
// rule that matches, so the English rules keep the matches they always had.
const KEYWORD_RULES: readonly (readonly [RegExp, TechnologyId])[] = [
  ...ENGLISH_RULES,
  ...NORWEGIAN_RULES,
  ...FINNISH_RULES,
  ...DUTCH_RULES,
  ...SPANISH_RULES,
  ...ITALIAN_RULES,
  ...FRENCH_RULES,
  ...JAPANESE_RULES,
];

/** The list whose numbering a bare entry number is read in: the CCL, where ECCNs cited by US rules live. */
export const DEFAULT_NUMBERING = "us.ecfr.ccl";

/**
 * Technologies of a control-list entry from its number: Wassenaar numbering,
 * then the crosswalk's rows for the entry's own list (`list`, a source id;
 * the CCL when not given, as for ECCNs cited in a Federal Register rule).
 */
export function technologiesForKey(key: string, list: string = DEFAULT_NUMBERING): TechnologyId[] {
  const found = new Set<TechnologyId>();
  for (const [prefix, ids] of ENTRY_RULES) {
    if (keyCovers(prefix, key)) for (const id of ids) found.add(id);
  }
  for (const row of crosswalkRowsFor(list, key)) for (const id of row.technologies) found.add(id);
  return TECHNOLOGY_IDS.filter((id) => found.has(id));
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
  // Full-width letters and digits (Japanese statutes) read as their ASCII forms.
  const read = /[\uFF01-\uFF5E]/.test(text) ? text.normalize("NFKC") : text;
  for (const m of read.matchAll(combined)) for (const [p, id] of anchored) if (p.test(m[0])) found.add(id);
  return TECHNOLOGY_IDS.filter((id) => found.has(id));
}

// The Wassenaar list prints its numbers with dots and without leading zeros:
// "3.B.1." is 3B001, "3.A.1.a.1." is a paragraph of 3A001. The digit after the
// group letter must not run on into a decimal ("1.A.1.5 GHz" is not 1A001).
const ECCN = /\b(?:([0-9][A-E][0-9]{3})\b|([0-9])\.([A-E])\.([0-9]{1,3})(?=\.(?![0-9])|[^.0-9A-Za-z]|$))/g;

/**
 * ECCN-style numbers mentioned in text: "3B001", "4A906", and the Wassenaar
 * list's printed form "3.B.1." (read as 3B001), in order of first mention.
 */
export function findEccns(text: string): string[] {
  const found = new Set<string>();
  for (const m of text.matchAll(ECCN)) found.add(m[1] ?? `${m[2]}${m[3]}${m[4]!.padStart(3, "0")}`);
  return [...found];
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

/** What tagging reads of a list entry. */
export interface TaggableEntry {
  key: string;
  parentKey?: string | null;
  heading?: string | null;
  text: string;
}

/** An entry's own technologies: by its number in its list (`list`, a source id), and by the words of its heading and text. */
export function entryTechnologies(entry: TaggableEntry, list: string = DEFAULT_NUMBERING): TechnologyId[] {
  return mergeTechnologies(
    technologiesForKey(entry.key, list),
    technologiesForText(`${entry.heading ?? ""} ${entry.text}`),
  );
}

const SOFTWARE_OR_TECHNOLOGY = /^[0-9][DE][0-9]{3}/;

/**
 * The technologies of each entry of one list version: its own, everything
 * its parents carry (a paragraph of 4A906 is quantum whatever its words), and
 * for a software or technology entry, those of the entries of the same list it
 * names.
 * Change records and the alignment matrix are both tagged by it, so they
 * agree. Memoized per key; a parent chain that loops ends where it repeats.
 */
export function listTagger(
  byKey: ReadonlyMap<string, TaggableEntry>,
  list: string = DEFAULT_NUMBERING,
): (key: string) => TechnologyId[] {
  const memo = new Map<string, TechnologyId[]>();
  // `path` holds the keys being tagged above this one: a reference back into it
  // (a parent chain or two technology entries naming each other) is cut there,
  // and a result cut short is not remembered, so it is never served as whole.
  const visit = (key: string, path: Set<string>): { tags: TechnologyId[]; whole: boolean } => {
    const known = memo.get(key);
    if (known) return { tags: known, whole: true };
    const entry = byKey.get(key);
    if (!entry) return { tags: [], whole: true };
    path.add(key);
    let whole = true;
    const from = (ref: string): TechnologyId[] => {
      if (path.has(ref)) {
        whole = false;
        return [];
      }
      const found = visit(ref, path);
      if (!found.whole) whole = false;
      return found.tags;
    };
    const parent = entry.parentKey ? from(entry.parentKey) : [];
    // Software and technology entries (D and E) control what they name: "software specially
    // designed for equipment specified in 2B910" is additive manufacturing whatever its words.
    const named = SOFTWARE_OR_TECHNOLOGY.test(key)
      ? findEccns(`${entry.heading ?? ""} ${entry.text}`)
          .filter((ref) => ref !== key.slice(0, 5) && byKey.has(ref))
          .map(from)
      : [];
    path.delete(key);
    const tags = mergeTechnologies(entryTechnologies(entry, list), parent, ...named);
    if (whole) memo.set(key, tags);
    return { tags, whole };
  };
  return (key) => visit(key, new Set()).tags;
}
