import type { Clock } from "../src/runners/runner.ts";

/** Lets promise chains and the work they start run: a few turns of the event loop. */
export async function settle(turns = 5): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise((resolve) => setImmediate(resolve));
}

export interface FakeClock extends Clock {
  /** Moves time forward by `ms`, firing due timers in time order (ties in the order set) and settling after each. */
  advance(ms: number): Promise<void>;
  /** Moves time forward to `at` (epoch ms); never backwards. */
  advanceTo(at: number): Promise<void>;
  /** Timers set and not yet fired or cancelled. */
  pending(): number;
}

/** A clock that moves only when told to, so a test can land on a fire time to the millisecond. */
export function fakeClock(start: Date | number): FakeClock {
  let now = typeof start === "number" ? start : start.getTime();
  let seq = 0;
  const timers = new Map<number, { at: number; fn: () => void }>();

  const due = (until: number) => {
    let next: { id: number; at: number; fn: () => void } | null = null;
    for (const [id, timer] of timers) {
      if (timer.at > until) continue;
      // Map iteration follows insertion, so the first of equal times wins: the one set first.
      if (!next || timer.at < next.at) next = { id, ...timer };
    }
    return next;
  };

  const clock: FakeClock = {
    now: () => now,
    setTimeout(fn, ms) {
      const id = seq++;
      timers.set(id, { at: now + Math.max(0, ms), fn });
      return () => {
        timers.delete(id);
      };
    },
    async advance(ms) {
      await clock.advanceTo(now + ms);
    },
    async advanceTo(at) {
      if (at < now) throw new Error(`the fake clock does not go back (${at} < ${now})`);
      await settle();
      for (let timer = due(at); timer; timer = due(at)) {
        timers.delete(timer.id);
        now = Math.max(now, timer.at);
        timer.fn();
        await settle();
      }
      now = at;
      await settle();
    },
    pending: () => timers.size,
  };
  return clock;
}
