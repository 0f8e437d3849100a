import type { ChangeRecord, Entry } from "@regwatch/core/schemas";
import { diffLists, type RecordContext } from "@regwatch/diff/diff-snapshots";
import { entryHash } from "@regwatch/diff/entry-hash";

/**
 * The one record a list gives when only the text of `key` moved: how tests
 * look at what a record says about an entry (its technologies, say), now
 * that tags are computed for the entries that make records.
 */
export function changedRecord(entries: readonly Entry[], key: string, ctx: RecordContext): ChangeRecord {
  const before = entries.map((e) => {
    const old = e.key === key ? { ...e, text: `${e.text} (earlier wording)` } : e;
    return { ...old, hash: entryHash(old) };
  });
  const records = diffLists(before, entries, ctx);
  if (records.length !== 1 || records[0]!.subject !== key) {
    throw new Error(
      `expected one record for ${key}, got ${records.map((r) => r.subject).join(", ") || "none"}`,
    );
  }
  return records[0]!;
}
