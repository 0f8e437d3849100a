import type { SourceDefinition } from "@regwatch/sources/define-source";
import { findSource, SOURCES } from "@regwatch/sources/registry";
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
