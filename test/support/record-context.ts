import type { RecordContext } from "@regwatch/diff/diff-snapshots";
import type { SourceDefinition } from "@regwatch/sources/define-source";

/** A diff context for tests and benchmarks: a regulatory run at `detectedAt`, nothing else known. */
export function recordContext(
  source: Pick<SourceDefinition, "id" | "jurisdiction" | "parserVersion">,
  overrides: Partial<RecordContext> & { detectedAt?: string } = {},
): RecordContext {
  const detectedAt = overrides.detectedAt ?? "2026-01-01T00:00:00.000Z";
  return {
    source: { id: source.id, jurisdiction: source.jurisdiction },
    detectedAt,
    provenance: {
      artifactSha256: "0".repeat(64),
      fetchedAt: detectedAt,
      parserVersion: source.parserVersion,
    },
    origin: "regulatory",
    url: null,
    citation: null,
    publishedAt: null,
    effectiveAt: null,
    ...overrides,
  };
}
