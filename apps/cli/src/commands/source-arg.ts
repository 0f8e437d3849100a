import type { SourceDefinition } from "@regwatch/sources/define-source";
import { findSource, SOURCES } from "@regwatch/sources/registry";
import { quoted, usage } from "../io.ts";

/** A source named on the command line, as a positional argument or after `flag`. */
export function sourceArg(id: string, flag?: string): SourceDefinition {
  const source = findSource(id);
  if (!source)
    usage(
      `${flag ? `${flag}: ` : ""}unknown source ${quoted(id)} (known: ${SOURCES.map((s) => s.id).join(", ")})`,
    );
  return source;
}
