import type { Config } from "@regwatch/config";
import type { Logger } from "@regwatch/core/http";
import type { Db } from "@regwatch/db/open-database";
import type { SourceDefinition } from "@regwatch/sources/define-source";
import { SOURCES } from "@regwatch/sources/registry";

/**
 * The pages users watch, as sources (`regwatch watch`): read from the
 * database, each built like a registered source. A row that no longer checks
 * (a technology id retired, say) is left out with a warning, never stopping the rest.
 */
export async function watchedSources(db: Db, config: Config, log?: Logger): Promise<SourceDefinition[]> {
  const [{ listWatchedPages }, { pageSource }] = await Promise.all([
    import("@regwatch/db/queries/watched-pages"),
    import("@regwatch/sources/page"),
  ]);
  const sources: SourceDefinition[] = [];
  for (const row of await listWatchedPages(db)) {
    try {
      sources.push(
        pageSource(row, { allowPrivateUrls: config.allowPrivateUrls }) as unknown as SourceDefinition,
      );
    } catch (err) {
      log?.warn({ sourceId: row.id }, `watched page left out: ${(err as Error).message}`);
    }
  }
  return sources;
}

/** Every source: the registered ones, then the watched pages. */
export async function allSources(db: Db, config: Config, log?: Logger): Promise<SourceDefinition[]> {
  return [...SOURCES, ...(await watchedSources(db, config, log))];
}
