import type { SourceDefinition } from "@regwatch/sources/define-source";
import { findSource, SOURCES } from "@regwatch/sources/registry";
import { usage } from "../io.ts";

export function sourceArg(id: string): SourceDefinition {
  const source = findSource(id);
  if (!source) usage(`unknown source "${id}"; known: ${SOURCES.map((s) => s.id).join(", ")}`);
  return source;
}
