// A documents snapshot from many files, each read on its own (a year of
// Lovtidend, a set of Finlex statutes): the ones that concern the source are
// kept once each, the others counted as left out with why.

import type { RegDocument } from "@regwatch/core/schemas";

/** One file read: its document, and why it is left out (null: kept). */
export interface ReadDocument<Excluded> {
  document: RegDocument;
  warnings: readonly string[];
  excluded: Excluded | null;
}

export function keepDocuments<Input, Excluded>(
  inputs: readonly Input[],
  read: (input: Input) => ReadDocument<Excluded>,
): { documents: RegDocument[]; warnings: string[]; excluded: Excluded[] } {
  const documents: RegDocument[] = [];
  const warnings: string[] = [];
  const excluded: Excluded[] = [];
  const seen = new Set<string>();
  for (const input of inputs) {
    const one = read(input);
    if (one.excluded !== null) {
      excluded.push(one.excluded);
      continue;
    }
    warnings.push(...one.warnings);
    if (seen.has(one.document.id)) {
      warnings.push(`${one.document.id}: read twice; the first copy is kept`);
      continue;
    }
    seen.add(one.document.id);
    documents.push(one.document);
  }
  // Numbers inside ids compare as numbers (finlex/sd/2012/282 before finlex/sd/2012/1000).
  documents.sort((a, b) => a.id.localeCompare(b.id, "en", { numeric: true }));
  return { documents, warnings, excluded };
}
