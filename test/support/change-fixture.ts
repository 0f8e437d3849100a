import type { ChangeRecord } from "@regwatch/core/schemas";

/**
 * One change record in the shape the store returns, for tests of what is
 * made from records (messages, payloads, CSV, Atom): 3B001.c.1.a added to the
 * CCL by 89 FR 72926. `changeFixture({...})` varies it.
 */
export const CCL_CHANGE: ChangeRecord = {
  id: "chg-1",
  source: "us.ecfr.ccl",
  jurisdiction: "US",
  kind: "added",
  subject: "3B001.c.1.a",
  title: "3B001 gained paragraph c.1.a: Equipment designed for dry anisotropic plasma etching",
  before: null,
  after: "Equipment designed for dry anisotropic plasma etching of gate-all-around structures",
  technologies: ["semiconductor-manufacturing-equipment", "gaafet"],
  countries: ["CN", "MO"],
  publishedAt: "2024-09-06",
  effectiveAt: "2024-09-06",
  detectedAt: "2024-09-06T12:00:00Z",
  url: "https://www.ecfr.gov/current/title-15/part-774",
  citation: "89 FR 72926",
  provenance: { artifactSha256: "a".repeat(64), fetchedAt: "2024-09-06T12:00:00Z", parserVersion: "1" },
  origin: "regulatory",
  alert: true,
  wassenaarCategory: "3",
  stage: null,
  diff: null,
  details: { parentKey: "3B001.c.1" },
};

export const changeFixture = (c: Partial<ChangeRecord> = {}): ChangeRecord => ({ ...CCL_CHANGE, ...c });
