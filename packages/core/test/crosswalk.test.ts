import { CROSSWALK, crosswalkRowsFor, equivalentsOf, keyCovers } from "@regwatch/core/crosswalk";
import { JURISDICTION_CODES } from "@regwatch/core/jurisdictions";
import { listTagger, TECHNOLOGY_IDS, technologiesForKey } from "@regwatch/core/taxonomy";
import { describe, expect, it } from "vitest";

const GB = "gb.legislation.eco-schedules";
const CA = "ca.export-control-list";

describe("the crosswalk table", () => {
  it("cites its sources on every row and names only known technologies and jurisdictions", () => {
    const ids = new Set<string>();
    for (const row of CROSSWALK) {
      expect(ids.has(row.id), row.id).toBe(false);
      ids.add(row.id);
      expect(row.sources.length, row.id).toBeGreaterThan(0);
      expect(row.technologies.length, row.id).toBeGreaterThan(0);
      for (const t of row.technologies) expect(TECHNOLOGY_IDS).toContain(t);
      for (const entries of row.entries) {
        expect(JURISDICTION_CODES).toContain(entries.jurisdiction);
        expect(entries.keys.length).toBeGreaterThan(0);
        expect(entries.instrument).not.toBe("");
        if (entries.since) expect(entries.since).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      }
    }
  });

  it("covers an entry's sub-paragraphs and notes, never a longer number", () => {
    expect(keyCovers("PL9014", "PL9014")).toBe(true);
    expect(keyCovers("PL9014", "PL9014.a.1")).toBe(true);
    expect(keyCovers("PL9014", "PL90145")).toBe(false);
    expect(keyCovers("5506(2)(c)(ii)", "5506(2)(c)(ii)(A)")).toBe(true);
    expect(keyCovers("5506(2)(c)(ii)", "5506(2)(c)(ii).note.3")).toBe(true);
    expect(keyCovers("5506(2)(c)(ii)", "5506(2)(c)(iii)")).toBe(false);
    expect(keyCovers("*", "art.2.lid.3.a")).toBe(true);
  });

  it("tags the UK's and Canada's national entries by their numbers, in their own list only", () => {
    expect(technologiesForKey("PL9014", GB)).toEqual(["quantum"]);
    expect(technologiesForKey("PL9015.b", GB)).toEqual(["additive-manufacturing"]);
    expect(technologiesForKey("PL9013", GB)).toEqual([
      "quantum",
      "semiconductor-manufacturing-equipment",
      "advanced-semiconductors",
    ]);
    expect(technologiesForKey("5506(2)(c)(ii)(A)", CA)).toEqual(["quantum"]);
    expect(technologiesForKey("5506(2)(c)(iii)", CA)).toEqual(["quantum"]);
    expect(technologiesForKey("5506(2)(d)(iv)", CA)).toEqual(["semiconductor-manufacturing-equipment"]);
    expect(technologiesForKey("5506(2)(d)(v).note.2", CA)).toEqual(["additive-manufacturing"]);
    expect(technologiesForKey("5506(2)(b)(ii)", CA)).toEqual(["advanced-semiconductors", "gaafet"]);
    // Coatings for ceramic matrix composites: no technology of the taxonomy.
    expect(technologiesForKey("5506(2)(b)(iii)", CA)).toEqual([]);
    // The same numbers mean nothing in another list.
    expect(technologiesForKey("PL9014")).toEqual([]);
    expect(technologiesForKey("5506(2)(c)(ii)", GB)).toEqual([]);
    expect(technologiesForKey("art.2.lid.3.a", "nl.bwb.strategic-goods")).toEqual([
      "semiconductor-manufacturing-equipment",
    ]);
  });

  it("reads Wassenaar numbers in every list, US national numbers only in the CCL", () => {
    expect(technologiesForKey("3B001.c.1.a", "eu.cellar.annex-i")).toEqual([
      "semiconductor-manufacturing-equipment",
    ]);
    expect(technologiesForKey("5A002.a", "eu.cellar.annex-i")).toEqual(["cryptography"]);
    expect(technologiesForKey("4A906", "eu.cellar.annex-i")).toEqual([]);
    expect(technologiesForKey("3A090.a", "eu.cellar.annex-i")).toEqual([]);
    expect(technologiesForKey("4A906.a")).toEqual(["quantum"]);
    expect(technologiesForKey("3A090.a")).toEqual(["advanced-semiconductors", "advanced-computing"]);
  });

  it("names the same control elsewhere, with the instrument that created it", () => {
    const [quantum] = equivalentsOf(GB, "PL9014.a");
    expect(quantum?.row.id).toBe("quantum-computers");
    const lists = Object.fromEntries(quantum!.entries.map((e) => [e.list, e]));
    expect(lists["us.ecfr.ccl"]?.keys).toContain("4A906");
    expect(lists[CA]?.keys).toContain("5506(2)(c)(ii)");
    expect(lists[CA]?.instrument).toBe("SOR/2024-112");
    expect(lists[GB]).toBeUndefined();
    expect(crosswalkRowsFor(CA, "5506(1)")).toEqual([]);
  });

  it("carries a crosswalk tag down to sub-paragraphs whose words say nothing", () => {
    const entries = new Map(
      [
        { key: "PL9014", parentKey: null, heading: null, text: "Items as follows:" },
        { key: "PL9014.a", parentKey: "PL9014", heading: null, text: "having 34 or more physical units" },
        { key: "PL9002", parentKey: null, heading: null, text: "Goods as follows" },
      ].map((e) => [e.key, e]),
    );
    const tags = listTagger(entries, GB);
    expect(tags("PL9014.a")).toEqual(["quantum"]);
    expect(tags("PL9002")).toEqual([]);
    // Read in the CCL's numbering, the same entries carry nothing.
    expect(listTagger(entries)("PL9014.a")).toEqual([]);
  });

  it("tags software and technology by the entries of the same list they name, and only those", () => {
    const entries = new Map(
      [
        { key: "2B910", parentKey: null, heading: null, text: "Additive manufacturing equipment for metal" },
        { key: "2D910", parentKey: null, heading: null, text: "Software for equipment specified in 2B910." },
        { key: "2E910", parentKey: null, heading: null, text: "Technology for 2D910 or for 2E911." },
        { key: "2E911", parentKey: null, heading: null, text: "Technology for items in 2E910." },
        {
          key: "2B911",
          parentKey: null,
          heading: null,
          text: "Equipment other than that specified in 2B910.",
        },
        { key: "2D999", parentKey: null, heading: null, text: "Software for 2B001 (not in this list)." },
        // The Wassenaar list's printed form of the number.
        {
          key: "2D912",
          parentKey: null,
          heading: null,
          text: '"Software" for equipment specified by 2.B.910.a.',
        },
      ].map((e) => [e.key, e]),
    );
    const tags = listTagger(entries, "xx.example");
    expect(tags("2D910")).toEqual(["additive-manufacturing"]);
    expect(tags("2D912")).toEqual(["additive-manufacturing"]);
    // Through a software entry, and around a loop of two technology entries without end.
    expect(tags("2E910")).toEqual(["additive-manufacturing"]);
    expect(tags("2E911")).toEqual(["additive-manufacturing"]);
    // Equipment entries name others to exclude them: no inheritance.
    expect(tags("2B911")).toEqual([]);
    expect(tags("2D999")).toEqual([]);
  });
});
