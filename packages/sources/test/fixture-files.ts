import { readFileSync } from "node:fs";
import { join } from "node:path";

/**
 * A source's hand-written fixtures (`packages/sources/src/<dir>/fixtures`):
 * `fixture(name)` as stored, and `edited(name, ...[from, to])` with each
 * change made (a string everywhere it stands, a RegExp as it says). An edit
 * that finds nothing to change throws: a test must not pass on a fixture it
 * did not alter.
 */
export function fixtureFiles(dir: string) {
  const fixture = (name: string) => readFileSync(join(import.meta.dirname, "../src", dir, "fixtures", name));
  const edited = (name: string, ...pairs: [string | RegExp, string][]) => {
    let text = fixture(name).toString("utf8");
    for (const [from, to] of pairs) {
      if (typeof from === "string" ? !text.includes(from) : !from.test(text))
        throw new Error(`fixture ${name} has no ${from}`);
      text = typeof from === "string" ? text.replaceAll(from, to) : text.replace(from, to);
    }
    return Buffer.from(text);
  };
  return { fixture, edited };
}
