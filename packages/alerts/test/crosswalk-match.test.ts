// A subscriber to a technology hears of every list's entry for it, through the
// crosswalk, even when the entry's words name no technology: the diff tags the
// change in its own list's numbering, and matching reads the tags.
import { diffLists } from "@regwatch/diff/diff-snapshots";
import { entryHash } from "@regwatch/diff/entry-hash";
import { describe, expect, it } from "vitest";
import { recordContext } from "../../../test/support/record-context.ts";
import { matchesFilters } from "../src/match.ts";

const quantum = {
  technologies: ["quantum"],
  jurisdictions: [],
  countries: [],
  entries: [],
  kinds: [],
  sources: [],
  keywords: [],
};

const entry = (key: string, parentKey: string | null, text: string) => ({
  key,
  parentKey,
  heading: null,
  text,
});
/** An entry as stored: with its content hash. */
const stored = (key: string, parentKey: string | null, text: string) => {
  const e = entry(key, parentKey, text);
  return { ...e, hash: entryHash(e) };
};

describe("a technology subscription across lists' numbers", () => {
  it("hears of the UK's PL9014 and Canada's 5506(2)(c)(ii) without a keyword in their text", () => {
    const gb = recordContext({ id: "gb.legislation.eco-schedules", jurisdiction: "GB", parserVersion: "t" });
    const [pl9014] = diffLists(
      [stored("PL9002", null, "Goods as follows.")],
      [
        entry("PL9002", null, "Goods as follows."),
        entry("PL9014", null, "Items having 34 or more fully controlled physical units."),
      ],
      gb,
    );
    expect(pl9014).toMatchObject({ subject: "PL9014", kind: "added", technologies: ["quantum"] });
    expect(matchesFilters(quantum, pl9014!)).toBe(true);

    const ca = recordContext({ id: "ca.export-control-list", jurisdiction: "CA", parserVersion: "t" });
    const [item] = diffLists(
      [stored("5506(2)(c)(ii)(A)", null, "supporting 34 or more physical units")],
      [entry("5506(2)(c)(ii)(A)", null, "supporting 30 or more physical units")],
      ca,
    );
    expect(item).toMatchObject({ kind: "modified", technologies: ["quantum"] });
    expect(matchesFilters(quantum, item!)).toBe(true);
  });

  it("does not hear of the same words under a number the crosswalk does not map", () => {
    const gb = recordContext({ id: "gb.legislation.eco-schedules", jurisdiction: "GB", parserVersion: "t" });
    const [added] = diffLists(
      [stored("PL9001", null, "x")],
      [
        entry("PL9001", null, "x"),
        entry("PL9002", null, "Items having 34 or more fully controlled physical units."),
      ],
      gb,
    );
    expect(added).toMatchObject({ subject: "PL9002", technologies: [] });
    expect(matchesFilters(quantum, added!)).toBe(false);
  });
});
