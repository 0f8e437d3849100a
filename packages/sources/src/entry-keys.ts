// A list's entries are keyed by their numbers; a document that prints one
// number twice keeps both entries, the later under `key#2` (`#3`, …), and says so.

/**
 * `key`, or the first of `key#2`, `key#3`, … not in `taken` when it is, with
 * a warning for the duplicate. Does not add the key to `taken`.
 */
export function uniqueKey(key: string, taken: { has(key: string): boolean }, warnings: string[]): string {
  if (!taken.has(key)) return key;
  let n = 2;
  while (taken.has(`${key}#${n}`)) n++;
  warnings.push(`duplicate entry key ${key}; later one kept as ${key}#${n}`);
  return `${key}#${n}`;
}
