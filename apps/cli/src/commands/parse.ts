import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import type { CommandRun } from "../command.ts";
import { safeLine } from "../format.ts";
import { expectPositionals } from "../io.ts";
import { fileSourceArg } from "./source-arg.ts";

export const run: CommandRun = async (args, env) => {
  const { io } = env;
  const { values, positionals } = parseArgs({
    args,
    options: { json: { type: "boolean" } },
    allowPositionals: true,
  });
  expectPositionals(positionals, ["<source>", "<file>"]);
  const source = await fileSourceArg(positionals[0]!, env);
  const path = resolve(io.cwd, positionals[1]!);
  const snapshot = source.parse({ body: readFileSync(path), url: null });
  if (values.json) {
    io.out(`${JSON.stringify(snapshot, null, 2)}\n`);
    return 0;
  }
  if (snapshot.kind === "list") {
    for (const e of snapshot.entries)
      io.out(`${safeLine(`${e.key}  ${(e.heading ? `${e.heading} — ` : "") + e.text}`).slice(0, 160)}\n`);
    io.out(`${snapshot.entries.length} entries\n`);
  } else if (snapshot.kind === "documents") {
    for (const d of snapshot.documents)
      io.out(`${safeLine(`${d.id}  ${d.publishedAt ?? "—"}  ${d.citation ?? d.stage}  ${d.title}`)}\n`);
    io.out(`${snapshot.documents.length} documents\n`);
  } else {
    io.out(`${snapshot.text}\n`);
  }
  for (const w of snapshot.warnings) io.err(`warning: ${safeLine(w)}\n`);
  return 0;
};
