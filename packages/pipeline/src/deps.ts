import type { BrowserClient, HttpClient, Logger } from "@regwatch/core/http";
import type { Db } from "@regwatch/db/open-database";

export interface PipelineDeps {
  db: Db;
  http: HttpClient;
  /** Only sources that declare `needsBrowser` get it. */
  browser?: BrowserClient;
  log: Logger;
  /** Serializes units of database work inside one process (see docs/decisions/0002). */
  exclusive: <T>(work: () => Promise<T>) => Promise<T>;
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
