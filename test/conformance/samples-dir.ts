import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";

/** ../shared/samples beside the checkout (or REGWATCH_SAMPLES_DIR). Missing samples fail the suite: nothing is skipped. */
export const SAMPLES = resolve(
  process.env.REGWATCH_SAMPLES_DIR ?? join(import.meta.dirname, "../../../shared/samples"),
);

export function sampleFiles(dir: string, pattern: RegExp): string[] {
  const full = join(SAMPLES, dir);
  if (!existsSync(full)) throw new Error(`samples not found at ${full}; set REGWATCH_SAMPLES_DIR`);
  return readdirSync(full)
    .filter((f) => pattern.test(f))
    .sort()
    .map((f) => join(full, f));
}

export const readSample = (path: string) => readFileSync(path);
