import type { Entry } from "@regwatch/core/schemas";
import { mergeTechnologies, technologiesForKey, technologiesForText } from "@regwatch/core/taxonomy";

/**
 * Sets `data.technologies` on every entry: what its own number and words say,
 * plus everything its parent carries (a note under a quantum item is about
 * quantum). Parents must come before their children, as in document order.
 */
export function tagEntries(entries: Entry[]): Entry[] {
  const tags = new Map<string, readonly string[]>();
  for (const entry of entries) {
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
