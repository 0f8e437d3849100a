// Whether apps/cli/dist holds a build of the current sources. Plain
// JavaScript with no imports beyond node's: the bin asks on every start.
import { readFileSync, statSync } from "node:fs";
import { join, resolve } from "node:path";

export const CLI_DIR = resolve(import.meta.dirname, "..");
export const REPO_DIR = resolve(CLI_DIR, "../..");
export const DIST_DIR = join(CLI_DIR, "dist");

/**
 * Fresh when every file the build read is older than the build: a source
 * edited, added to an import, or a package's exports changed since makes it
 * stale. The record, `build-info.json`, is written last by the build: which
 * files went in (relative to the repository) and when the build began. A
 * missing or unreadable record counts as no build.
 */
export function buildIsFresh(distDir = DIST_DIR, repoDir = REPO_DIR) {
  let info;
  try {
    info = JSON.parse(readFileSync(join(distDir, "build-info.json"), "utf8"));
  } catch {
    return false;
  }
  if (typeof info?.startedAtMs !== "number" || !Array.isArray(info.inputs)) return false;
  try {
    for (const input of info.inputs) {
      if (statSync(join(repoDir, input)).mtimeMs >= info.startedAtMs) return false;
    }
  } catch {
    return false; // An input was removed or renamed.
  }
  return true;
}
