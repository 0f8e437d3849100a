import type { BrowserClient, HttpClient, Logger } from "@regwatch/core/http";
import type { ChangeRecord } from "@regwatch/core/schemas";
import type { ArtifactFiles } from "@regwatch/db/artifact-files";
import type { Db } from "@regwatch/db/open-database";

export interface PipelineDeps {
  db: Db;
  /** Where raw bytes go when not into the database (the embedded database's data directory). */
  artifacts?: ArtifactFiles | null;
  http: HttpClient;
  /** Only sources that declare `needsBrowser` get it. */
  browser?: BrowserClient;
  /** Credentials for the sources that use them, from the configuration. */
  secrets?: Readonly<Record<string, string>>;
  log: Logger;
  /** Serializes units of database work inside one process (see docs/decisions/0002). */
  exclusive: <T>(work: () => Promise<T>) => Promise<T>;
  /**
   * Writes the alerts new records call for into the outbox, in the store's
   * transaction (`alertOutbox` in @regwatch/alerts); none without it.
   */
  outbox?: (
    tx: Db,
    records: readonly ChangeRecord[],
    context: { snapshotId: number; at: Date },
  ) => Promise<number>;
}

/** A promise-chain mutex: one unit of work at a time, in arrival order. */
export function createExclusive(): PipelineDeps["exclusive"] {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(work: () => Promise<T>) => {
    const run = tail.then(work, work);
    tail = run.catch(() => undefined);
    return run;
  };
}
