import type { Entry } from "@regwatch/core/schemas";
import { mergeTechnologies, technologiesForKey, technologiesForText } from "@regwatch/core/taxonomy";
import { ENTRIES_PER_STEP, runSteps } from "./steps.ts";

/**
 * Sets `data.technologies` on every entry: what its own number and words say,
 * plus everything its parent carries (a note under a quantum item is about
 * quantum). Parents must come before their children, as in document order.
 */
export function tagEntries(entries: Entry[]): Entry[] {
  return runSteps(tagEntriesSteps(entries));
}

/** `tagEntries` a few entries at a time (see steps.ts). */
export function* tagEntriesSteps(entries: Entry[]): Generator<void, Entry[]> {
  const tags = new Map<string, readonly string[]>();
  let n = 0;
  for (const entry of entries) {
    if (++n % ENTRIES_PER_STEP === 0) yield;
    const inherited = entry.parentKey ? (tags.get(entry.parentKey) ?? []) : [];
    const own = technologiesForText(`${entry.heading ?? ""} ${entry.text}`);
    const technologies = mergeTechnologies(technologiesForKey(entry.key), own, inherited as never[]);
    tags.set(entry.key, technologies);
    if (technologies.length) entry.data = { ...entry.data, technologies };
    else if (entry.data?.technologies) {
      const { technologies: _drop, ...rest } = entry.data;
      entry.data = rest;
    }
  }
  return entries;
}
