/**
 * Turns at a host, at least `intervalMs` apart, kept by a clock: what the
 * Register's robots.txt asks of www.legislation.gov.au (crawl-delay 10 s
 * [C]). The HTTP client already spaces requests per host, but by one interval
 * for every host (1 s by default); this source alone knows that the Register
 * wants ten, so it waits for its own turn before each request there.
 *
 * One pacer per process: a run and a backfill of this source in the same
 * process share it. Workers on other machines do not (each has its own);
 * runs of one source are not run concurrently, so that is enough today.
 */
export interface Pacer {
  /** Resolves when a request to `host` may be made, and books that moment. */
  turn(host: string): Promise<void>;
}

export interface PacerOptions {
  intervalMs: number;
  /** Milliseconds since the epoch; the wall clock by default. */
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

const wallClockSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function createPacer({ intervalMs, now = Date.now, sleep = wallClockSleep }: PacerOptions): Pacer {
  const next = new Map<string, number>();
  return {
    async turn(host) {
      const at = now();
      const slot = Math.max(at, next.get(host) ?? 0);
      // Booked before waiting, so two callers never take the same turn.
      next.set(host, slot + intervalMs);
      if (slot > at) await sleep(slot - at);
    },
  };
}
