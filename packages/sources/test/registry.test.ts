import { CROSSWALK } from "@regwatch/core/crosswalk";
import { JURISDICTION_CODES } from "@regwatch/core/jurisdictions";
import { findSource, SOURCES } from "@regwatch/sources/registry";
import { describe, expect, it } from "vitest";

describe("the registry", () => {
  it("lists each source once, with an official https address, a schedule and a parser version", () => {
    const ids = SOURCES.map((s) => s.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const s of SOURCES) {
      expect(s.id, s.id).toMatch(/^[a-z]{2}(?:\.[a-z0-9-]+){1,2}$/);
      expect(s.id.slice(0, 2).toUpperCase(), s.id).toBe(s.jurisdiction);
      expect(JURISDICTION_CODES).toContain(s.jurisdiction);
      // ELI identifiers are http URIs by definition; every other address is https.
      expect(["https:", "http:"], s.id).toContain(new URL(s.officialUrl).protocol);
      expect(s.schedule.split(" "), s.id).toHaveLength(5);
      expect(s.parserVersion, s.id).not.toBe("");
      if (s.kind === "documents") expect(s.alertWindowDays, s.id).toBeGreaterThan(0);
    }
  });

  it("names in the crosswalk only registered lists, in their own jurisdiction", () => {
    for (const row of CROSSWALK) {
      for (const entries of row.entries) {
        const source = findSource(entries.list);
        expect(source, `${row.id}: ${entries.list}`).toBeDefined();
        expect(source!.kind, entries.list).toBe("list");
        expect(source!.jurisdiction, entries.list).toBe(entries.jurisdiction);
      }
    }
  });
});
