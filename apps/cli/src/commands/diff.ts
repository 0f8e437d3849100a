import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { sha256Hex } from "@regwatch/core/text";
import { diffSnapshots, type RecordContext, storedStateOf } from "@regwatch/diff/diff-snapshots";
import type { CommandRun } from "../command.ts";
import { changeLine } from "../format.ts";
import { expectPositionals, isoDateArg } from "../io.ts";
import { fileSourceArg } from "./source-arg.ts";

export const run: CommandRun = async (args, env) => {
  const { io } = env;
  const { values, positionals } = parseArgs({
    args,
    options: { json: { type: "boolean" }, at: { type: "string" } },
    allowPositionals: true,
  });
  expectPositionals(positionals, ["<source>", "<old>", "<new>"]);
  const source = await fileSourceArg(positionals[0]!, env);
  const at = isoDateArg(values.at, "--at") ?? new Date();
  const [oldPath, newPath] = [resolve(io.cwd, positionals[1]!), resolve(io.cwd, positionals[2]!)];
  const oldBody = readFileSync(oldPath);
  const newBody = readFileSync(newPath);
  const before = source.parse({ body: oldBody, url: null });
  const parsed = source.parse({ body: newBody, url: null });
  // Blocks without numbers of their own (a watched page's) take the keys of their matches, as a run does.
  const after =
    source.alignEntries && before.kind === "list" && parsed.kind === "list"
      ? { ...parsed, entries: source.alignEntries(before.entries, parsed.entries) }
      : parsed;
  const defaults = source.describe(after, { url: null, asOf: null });
  const ctx: RecordContext = {
    source: { id: source.id, jurisdiction: source.jurisdiction },
    detectedAt: at.toISOString(),
    provenance: {
      artifactSha256: sha256Hex(newBody),
      fetchedAt: at.toISOString(),
      parserVersion: source.parserVersion,
    },
    origin: "regulatory",
    url: defaults.url,
    citation: defaults.citation,
    publishedAt: defaults.publishedAt,
    effectiveAt: defaults.effectiveAt,
    citationsByDate: defaults.citationsByDate,
  };
  const changes = diffSnapshots(storedStateOf(before), after, ctx, source.id);
  if (values.json) io.out(`${JSON.stringify({ changes }, null, 2)}\n`);
  else {
    for (const c of changes) io.out(`${changeLine(c)}\n`);
    io.out(`${changes.length} change${changes.length === 1 ? "" : "s"}\n`);
  }
  return 0;
};
