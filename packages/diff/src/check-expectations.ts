import type { Expectations, Snapshot } from "@regwatch/core/schemas";

/** Keys of the previous snapshot, when there is one: what a removal share is measured against. */
export interface PreviousState {
  count: number;
  keys: ReadonlySet<string>;
}

function itemsOf(snapshot: Snapshot): { key: string; fields: Record<string, unknown> }[] {
  switch (snapshot.kind) {
    case "list":
      return snapshot.entries.map((e) => ({ key: e.key, fields: e as unknown as Record<string, unknown> }));
    case "documents":
      return snapshot.documents.map((d) => ({ key: d.id, fields: d as unknown as Record<string, unknown> }));
    case "page":
      return [{ key: "page", fields: { text: snapshot.text } }];
  }
}

/**
 * Why a snapshot must be quarantined, or null when it is fit to diff. A list
 * that lost a large share of its entries in one step is far more likely a
 * half-loaded page or a parser gone wrong than a regulator deleting them.
 */
export function checkExpectations(
  snapshot: Snapshot,
  expectations: Expectations,
  previous: PreviousState | null,
): string | null {
  const items = itemsOf(snapshot);
  if (items.length < expectations.minEntries) {
    return `${items.length} ${snapshot.kind === "documents" ? "documents" : "entries"}, fewer than the ${expectations.minEntries} expected`;
  }
  if (items.length > expectations.maxEntries) {
    return `${items.length} entries, more than the ${expectations.maxEntries} expected`;
  }
  for (const field of expectations.requiredFields) {
    const missing = items.filter((i) => {
      const v = i.fields[field];
      return v === undefined || v === null || v === "";
    });
    if (missing.length) {
      return `${missing.length} item(s) without "${field}" (first: ${missing[0]?.key})`;
    }
  }
  if (previous && previous.count > 0 && snapshot.kind === "list") {
    const next = new Set(items.map((i) => i.key));
    let removed = 0;
    for (const key of previous.keys) if (!next.has(key)) removed++;
    const share = removed / previous.count;
    if (share > expectations.maxRemovedShare) {
      return `${removed} of ${previous.count} entries (${(share * 100).toFixed(1)}%) would be removed in one step; at most ${(expectations.maxRemovedShare * 100).toFixed(0)}% expected`;
    }
  }
  return null;
}
