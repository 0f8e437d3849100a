// The crosswalk: the same control under each list's own number. The 2024
// plurilateral controls (quantum computers, semiconductor manufacturing
// equipment, GAAFET, additive manufacturing) were written into law by each
// jurisdiction separately: the US as new ECCNs (4A906), the UK as national
// entries (PL9014), Canada as one item (5506), the Netherlands as a whole
// regulation. No official concordance exists; each row below says which item
// descriptions it was read from, and each list's entry names the instrument
// that created it. Rows are data: add a row or a list's keys, never rename an id.
import type { Jurisdiction } from "./jurisdictions.ts";
import type { TechnologyId } from "./taxonomy.ts";

/** One list's entries for a row: the source id of the list and the keys (an entry and everything under it). */
export interface CrosswalkEntries {
  list: string;
  jurisdiction: Jurisdiction;
  /** Entry keys as the list's source writes them; a key covers its sub-paragraphs (`.`, `(`, `:`). */
  keys: readonly string[];
  /** The instrument that brought these entries into the list, and when it took effect (where the sources say). */
  instrument: string;
  since?: string;
}

export interface CrosswalkRow {
  /** Stable slug. */
  id: string;
  /** What is controlled, in a few words. */
  item: string;
  technologies: readonly TechnologyId[];
  entries: readonly CrosswalkEntries[];
  /** Where the equivalence was read from. */
  sources: readonly string[];
}

const INFERRED =
  "regwatch source catalogue (SOURCES.md), \u201cCross-jurisdiction equivalents of the 2024 plurilateral items\u201d: inferred from the item descriptions, not an official concordance";
const US_RULE = "89 FR 72926 (BIS interim final rule, 2024-09-06)";
const GB_SI = "S.I. 2024/346, The Export Control (Amendment) Regulations 2024";
const CA_SOR = "SOR/2024-112";

const us = (keys: string[]): CrosswalkEntries => ({
  list: "us.ecfr.ccl",
  jurisdiction: "US",
  keys,
  instrument: US_RULE,
  since: "2024-09-06",
});
const gb = (keys: string[]): CrosswalkEntries => ({
  list: "gb.legislation.eco-schedules",
  jurisdiction: "GB",
  keys,
  instrument: GB_SI,
  since: "2024-04-01",
});
const ca = (keys: string[]): CrosswalkEntries => ({
  list: "ca.export-control-list",
  jurisdiction: "CA",
  keys,
  instrument: CA_SOR,
  since: "2024-07-19",
});

export const CROSSWALK: readonly CrosswalkRow[] = [
  {
    id: "quantum-computers",
    item: "Quantum computers, their electronic assemblies and components, and their software and technology",
    technologies: ["quantum"],
    entries: [
      us(["4A906", "4D906", "4E906"]),
      gb(["PL9014"]),
      ca(["5506(2)(c)(ii)", "5506(2)(a)(i)", "5506(2)(b)(i)"]),
      {
        list: "jp.egov.goods-ordinance",
        jurisdiction: "JP",
        keys: ["art7.1.6"],
        instrument: "令和六年経済産業省令第四十四号",
        since: "2024-09-08",
      },
    ],
    sources: [
      INFERRED,
      "JP 貨物等省令 第七条第六号 (量子計算機), read from a third-party copy of the ordinance's current text; the source catalogue gives the amending ordinance and its date (令和六年経済産業省令第四十四号, in force 2024-09-08)",
      "US 4A906 \u201cQuantum computers, related electronic assemblies, and components therefor\u201d (15 CFR 774 Supp. 1)",
      "CA ECL 5506(2)(c)(ii) \u201cquantum computers and related electronic assemblies and components therefor\u201d; (a)(i), (b)(i) the software and technology for it (SOR/89-202 as amended by SOR/2024-112)",
      "GB PL9014 quantum computing items (Schedule 3 to the Export Control Order 2008, inserted by S.I. 2024/346)",
    ],
  },
  {
    id: "cryogenic-and-quantum-enabling",
    item: "Cryogenic CMOS integrated circuits, parametric signal amplifiers, cryogenic cooling systems and cryogenic wafer probers",
    technologies: ["quantum"],
    entries: [
      us(["3A901", "3A904", "3B904"]),
      gb(["PL9013"]),
      ca(["5506(2)(c)(i)", "5506(2)(c)(iii)", "5506(2)(c)(iv)", "5506(2)(d)(viii)"]),
    ],
    sources: [
      INFERRED,
      "CA ECL 5506(2)(c)(i) CMOS integrated circuits operating at or below 4.5 K, (c)(iii) parametric signal amplifiers below 1 K, (c)(iv) cryogenic cooling systems, (d)(viii) cryogenic wafer probing equipment (SOR/2024-112)",
    ],
  },
  {
    id: "sem-and-dry-etch",
    item: "Scanning electron microscopes for imaging semiconductor devices, and dry-etching equipment",
    technologies: ["semiconductor-manufacturing-equipment"],
    entries: [
      us(["3B903", "3B001.c.1.a", "3B001.c.1.c"]),
      gb(["PL9013"]),
      ca(["5506(2)(d)(iii)", "5506(2)(d)(iv)"]),
    ],
    sources: [
      INFERRED,
      "CA ECL 5506(2)(d)(iii) \u201cequipment designed for dry etching\u201d, (d)(iv) \u201cScanning Electron Microscope (SEM) equipment designed for imaging semiconductor devices or integrated circuits\u201d (SOR/2024-112)",
    ],
  },
  {
    id: "euv-masks-and-pellicles",
    item: "EUV lithography masks, reticles and pellicles; masks and imprint templates for cryogenic CMOS",
    technologies: ["semiconductor-manufacturing-equipment"],
    entries: [ca(["5506(2)(d)(i)", "5506(2)(d)(ii)", "5506(2)(d)(vi)", "5506(2)(d)(vii)"])],
    sources: [
      "CA ECL 5506(2)(d)(i), (ii), (vi), (vii) (SOR/2024-112); no equivalent named in the source catalogue",
    ],
  },
  {
    id: "gaafet",
    item: "Technology for integrated circuits or devices using gate-all-around field-effect transistor (GAAFET) structures",
    technologies: ["gaafet", "advanced-semiconductors"],
    entries: [us(["3E905"]), ca(["5506(2)(b)(ii)"])],
    sources: [
      INFERRED,
      "CA ECL 5506(2)(b)(ii) technology \u201cusing Gate-All-Around Field-Effect Transistor (GAAFET) structures\u201d (SOR/2024-112)",
    ],
  },
  {
    id: "silicon-germanium-isotopes",
    item: "Isotopically enriched silicon and germanium: epitaxial materials, precursors and substrates",
    technologies: ["quantum", "advanced-semiconductors"],
    entries: [us(["3C907", "3C908", "3C909"]), gb(["PL9013"]), ca(["5506(2)(e)"])],
    sources: [
      INFERRED,
      "CA ECL 5506(2)(e) epitaxial materials, fluorides/hydrides/chlorides and oxides of silicon or germanium (SOR/2024-112): read as the same control from the item description",
    ],
  },
  {
    id: "additive-manufacturing",
    item: "Additive-manufacturing machines producing metal or metal-alloy components, their software and technology",
    technologies: ["additive-manufacturing"],
    entries: [
      us(["2B910", "2D910", "2E910"]),
      gb(["PL9015"]),
      ca(["5506(2)(d)(v)", "5506(2)(a)(iv)", "5506(2)(b)(iv)"]),
    ],
    sources: [
      INFERRED,
      "CA ECL 5506(2)(d)(v) \u201cadditive manufacturing machines designed to produce metal or metal alloy components\u201d, (a)(iv) and (b)(iv) their software and its technology (SOR/2024-112)",
    ],
  },
  {
    id: "semiconductor-production-equipment-nl",
    item: "Advanced semiconductor production equipment (the Dutch national regulation as a whole)",
    technologies: ["semiconductor-manufacturing-equipment"],
    entries: [
      {
        list: "nl.bwb.strategic-goods",
        jurisdiction: "NL",
        keys: ["*"],
        instrument: "Regeling geavanceerde productieapparatuur voor halfgeleiders, Stcrt. 2023, 18212",
        since: "2023-09-01",
      },
    ],
    sources: [
      "Regeling geavanceerde productieapparatuur voor halfgeleiders (Stcrt. 2023, 18212): every item it lists is semiconductor production equipment (its title and Article 2)",
    ],
  },
  {
    id: "no-national-list-iii",
    item: "Norway's List III (Vedlegg III to the export-control regulation): advanced semiconductor production equipment and quantum computers, read as a whole",
    technologies: ["quantum", "semiconductor-manufacturing-equipment"],
    entries: [
      {
        list: "no.lovdata.export-control-regulation",
        jurisdiction: "NO",
        keys: ["vedlegg.III"],
        instrument: "FOR-2024-10-02-2386",
        since: "2024-11-01",
      },
    ],
    sources: [
      "regwatch source catalogue (SOURCES.md), Norway: List III, national emerging technologies (advanced semiconductor production, quantum computers), in force 2024-11-01; its numbering is not known, and Lovdata publishes the list only as a PDF",
      "FOR-2013-06-19-718, Vedlegg III: \u201cTilføyd ved forskrift 2 okt 2024 nr. 2386 (i kraft 1 nov 2024)\u201d",
    ],
  },
  // US-only numbers: the 9x and x90 entries of the CCL are US national controls
  // (a 9xx number in another list is not the same item).
  {
    id: "us-national-semiconductor",
    item: "US national semiconductor manufacturing equipment controls and their software and technology",
    technologies: ["semiconductor-manufacturing-equipment"],
    entries: [
      {
        list: "us.ecfr.ccl",
        jurisdiction: "US",
        keys: ["3B904", "3B993", "3B994", "3D901", "3D907", "3D992"],
        instrument: "15 CFR 774 Supp. 1",
      },
    ],
    sources: [
      "15 CFR 774 Supp. 1, Category 3 headings of 3B904 (cryogenic wafer probers), 3B993, 3B994, 3D901, 3D907, 3D992",
    ],
  },
  {
    id: "us-national-advanced-computing",
    item: "US advanced computing and AI controls (x090 entries) and related semiconductors",
    technologies: ["advanced-computing", "advanced-semiconductors"],
    entries: [
      {
        list: "us.ecfr.ccl",
        jurisdiction: "US",
        keys: ["3A090"],
        instrument: "15 CFR 774 Supp. 1",
      },
    ],
    sources: ["15 CFR 774 Supp. 1, 3A090 \u201cIntegrated circuits\u201d for advanced computing"],
  },
  {
    id: "us-national-computers",
    item: "US advanced computing items (4A090)",
    technologies: ["advanced-computing"],
    entries: [
      {
        list: "us.ecfr.ccl",
        jurisdiction: "US",
        keys: ["4A090"],
        instrument: "15 CFR 774 Supp. 1",
      },
    ],
    sources: ["15 CFR 774 Supp. 1, 4A090 \u201cComputers, electronic assemblies, and components\u201d"],
  },
  {
    id: "us-national-ai-weights",
    item: "US model weights of advanced AI models (4E091)",
    technologies: ["artificial-intelligence"],
    entries: [
      {
        list: "us.ecfr.ccl",
        jurisdiction: "US",
        keys: ["4E091"],
        instrument: "15 CFR 774 Supp. 1",
      },
    ],
    sources: ["15 CFR 774 Supp. 1, 4E091"],
  },
  {
    id: "us-national-am-technology",
    item: "US technology for additive-manufactured components (2E903)",
    technologies: ["additive-manufacturing"],
    entries: [
      {
        list: "us.ecfr.ccl",
        jurisdiction: "US",
        keys: ["2E903"],
        instrument: "15 CFR 774 Supp. 1",
      },
    ],
    sources: ["15 CFR 774 Supp. 1, 2E903"],
  },
  {
    id: "us-national-quantum-technology",
    item: "US technology for quantum-related semiconductors (3E901)",
    technologies: ["quantum"],
    entries: [
      {
        list: "us.ecfr.ccl",
        jurisdiction: "US",
        keys: ["3E901"],
        instrument: "15 CFR 774 Supp. 1",
      },
    ],
    sources: ["15 CFR 774 Supp. 1, 3E901"],
  },
  {
    id: "us-national-encryption",
    item: "US anti-terrorism encryption items (x992)",
    technologies: ["cryptography"],
    entries: [
      {
        list: "us.ecfr.ccl",
        jurisdiction: "US",
        keys: ["5A992", "5D992", "5E992"],
        instrument: "15 CFR 774 Supp. 1",
      },
    ],
    sources: ["15 CFR 774 Supp. 1, Category 5 Part 2"],
  },
  {
    id: "us-national-biological",
    item: "US anti-terrorism biological items (1C991)",
    technologies: ["biotechnology"],
    entries: [
      {
        list: "us.ecfr.ccl",
        jurisdiction: "US",
        keys: ["1C991"],
        instrument: "15 CFR 774 Supp. 1",
      },
    ],
    sources: ["15 CFR 774 Supp. 1, 1C991"],
  },
];

/** Whether `key` is `prefix` or one of its sub-paragraphs. `*` covers every entry of the list. */
export function keyCovers(prefix: string, key: string): boolean {
  if (prefix === "*" || key === prefix) return true;
  if (!key.startsWith(prefix)) return false;
  const next = key[prefix.length];
  return next === "." || next === "(" || next === ":";
}

const rowsByList = new Map<string, { row: CrosswalkRow; entries: CrosswalkEntries }[]>();
for (const row of CROSSWALK) {
  for (const entries of row.entries) {
    const rows = rowsByList.get(entries.list) ?? [];
    rows.push({ row, entries });
    rowsByList.set(entries.list, rows);
  }
}

/**
 * Lists that number their entries in another list's numbering: BIS's IEC
 * eligibility table names CCL entries by their ECCNs, so 3A904 there is the
 * CCL's 3A904.
 */
export const NUMBERED_AS: Readonly<Record<string, string>> = { "us.bis.iec": "us.ecfr.ccl" };

/** The crosswalk rows an entry of `list` falls under. */
export function crosswalkRowsFor(list: string, key: string): CrosswalkRow[] {
  const found: CrosswalkRow[] = [];
  for (const { row, entries } of rowsByList.get(NUMBERED_AS[list] ?? list) ?? []) {
    if (entries.keys.some((prefix) => keyCovers(prefix, key)) && !found.includes(row)) found.push(row);
  }
  return found;
}

/** The lists the crosswalk maps, by source id. */
export function crosswalkLists(): string[] {
  return [...rowsByList.keys()];
}

/** The same control elsewhere: every other list's entries in the rows `key` of `list` falls under. */
export function equivalentsOf(
  list: string,
  key: string,
): { row: CrosswalkRow; entries: CrosswalkEntries[] }[] {
  return crosswalkRowsFor(list, key).map((row) => ({
    row,
    entries: row.entries.filter((e) => e.list !== list),
  }));
}
