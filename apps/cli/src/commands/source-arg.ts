import type { SourceDefinition } from "@regwatch/sources/define-source";
import { findSource, SOURCES } from "@regwatch/sources/registry";
import type { CommandEnv } from "../command.ts";
import { quoted, usage } from "../io.ts";

/** A source named on the command line, as a positional argument or after `flag`. */
export function sourceArg(id: string, flag?: string): SourceDefinition {
  return sourceIn(SOURCES, id, flag, findSource(id));
}

/** A source of `sources` (the registered ones and the watched pages) named on the command line. */
export function sourceIn(
  sources: readonly SourceDefinition[],
  id: string,
  flag?: string,
  found = sources.find((s) => s.id === id),
): SourceDefinition {
  if (!found)
    usage(
      `${flag ? `${flag}: ` : ""}unknown source ${quoted(id)} (known: ${sources.map((s) => s.id).join(", ")})`,
    );
  return found;
}

/**
 * A source named for a command that reads files (`parse`, `diff`): a
 * registered one without opening anything, or a watched page (`page.…`), whose
 * selector and settings are read from the database.
 */
export async function fileSourceArg(id: string, env: CommandEnv): Promise<SourceDefinition> {
  if (!id.startsWith("page.")) return sourceArg(id);
  const { database } = await env.runtime();
  const { allSources } = await import("../watched.ts");
  return sourceIn(await allSources(database.db, env.config, env.log), id);
}
