import { createHash } from "node:crypto";
import { type CronExpression, CronExpressionParser } from "cron-parser";

/**
 * A source's `schedule`, checked: five cron fields (minute hour day-of-month
 * month day-of-week), read in UTC.
 *
 * BullMQ's job schedulers read the same patterns with cron-parser 5.10.3 (its
 * own pinned copy under node_modules/bullmq), calling
 * `CronExpressionParser.parse(pattern, { ...repeatOpts, currentDate })` and
 * taking `.next()`; see `getNextMillis` in bullmq's job-scheduler.js. Every
 * function here calls cron-parser the same way, non-strict like BullMQ, and
 * always with `tz: "UTC"`: BullMQ passes `repeatOpts.tz` through, so the
 * scheduler must set `tz: "UTC"` too, or cron-parser reads the pattern in the
 * host's local zone.
 */
export interface Schedule {
  /** The pattern with its fields separated by single spaces. */
  readonly cron: string;
  readonly minute: string;
  readonly hour: string;
  readonly dayOfMonth: string;
  readonly month: string;
  readonly dayOfWeek: string;
}

/** How often staleness is judged, by default: a fetch and parse take minutes, not seconds. */
const DEFAULT_GRACE_MS = 15 * 60_000;

/** A fixed Monday, so that `cadenceMs` does not depend on the day it is asked. */
const CADENCE_REFERENCE = new Date("2024-01-01T00:00:00Z");
/** Two weeks: long enough to see every weekday pattern twice, weekends included. */
const CADENCE_WINDOW_MS = 14 * 24 * 3_600_000;

const FIELD_NAMES = ["minute", "hour", "dayOfMonth", "month", "dayOfWeek"] as const;

/**
 * Digits, `*`, lists, ranges and steps only. Both cron-parser copies read these
 * alike; the rest they do not, or not stably: `H` is drawn at random on every
 * parse unless a hashSeed is passed (BullMQ passes none, so the minute would
 * move at each restart), and 5.10.3 reads names, `?`, `L` and stray `*` more
 * loosely than 5.10.6.
 */
const PLAIN_FIELD = /^[0-9*,/-]+$/;

/** Checks a source's cron pattern; the error names the pattern and what is wrong with it. */
export function parseSchedule(cron: string): Schedule {
  const fail = (why: string): never => {
    throw new Error(`bad schedule ${JSON.stringify(cron)}: ${why}`);
  };
  // cron-parser reads "" as every minute and pads "* * *" with defaults, so the count is ours to check.
  const atoms = cron.trim() === "" ? [] : cron.trim().split(/\s+/);
  if (atoms.length !== 5) {
    fail(
      `expected 5 fields (minute hour day-of-month month day-of-week), got ${atoms.length}` +
        (atoms.length === 6 ? "; sources may not set seconds, the scheduler adds them as jitter" : ""),
    );
  }
  const [minute, hour, dayOfMonth, month, dayOfWeek] = atoms as [string, string, string, string, string];
  [minute, hour, dayOfMonth, month, dayOfWeek].forEach((field, i) => {
    if (!PLAIN_FIELD.test(field)) {
      fail(`${FIELD_NAMES[i]} field "${field}" may use only digits, "*", ",", "-" and "/"`);
    }
  });
  const normalized = atoms.join(" ");
  try {
    // cron-parser also refuses a day that no listed month has ("0 0 30 2 *").
    cronExpression(normalized, CADENCE_REFERENCE);
  } catch (error) {
    fail((error as Error).message);
  }
  return { cron: normalized, minute, hour, dayOfMonth, month, dayOfWeek };
}

/**
 * A second in [0, spreadSeconds) that depends only on `key`, so that sources
 * whose patterns share a minute do not all fetch at its first second, and a
 * source keeps its second across restarts and hosts (no Math.random, no seed).
 */
export function jitterSeconds(key: string, spreadSeconds = 60): number {
  if (!Number.isInteger(spreadSeconds) || spreadSeconds < 1) {
    throw new RangeError(`jitter spread must be a positive whole number of seconds, got ${spreadSeconds}`);
  }
  // The first 4 bytes of a sha256 are uniform enough; the modulo bias over 2^32 is negligible.
  return createHash("sha256").update(key).digest().readUInt32BE(0) % spreadSeconds;
}

/**
 * The pattern to hand BullMQ: a seconds field holding the key's jitter, then
 * the source's five fields ("17 6,18 * * *" → "37 17 6,18 * * *"). The same
 * minutes, at one fixed second within each.
 */
export function withJitter(cron: string, key: string): string {
  return `${jitterSeconds(key)} ${parseSchedule(cron).cron}`;
}

/**
 * The next `count` fire times strictly after `after`, in UTC, at the key's
 * jitter second when a key is given (as BullMQ will fire `withJitter(cron, key)`).
 */
export function nextRuns(cron: string, after: Date, count: number, jitterKey?: string): Date[] {
  if (!Number.isInteger(count) || count < 0) {
    throw new RangeError(`run count must be a whole number ≥ 0, got ${count}`);
  }
  checkDate(after, "after");
  const pattern = jitterKey === undefined ? parseSchedule(cron).cron : withJitter(cron, jitterKey);
  return cronExpression(pattern, after)
    .take(count)
    .map((run) => run.toDate());
}

/**
 * The longest wait between two consecutive fire times, over the fire times from
 * a fixed reference Monday (2024-01-01T00:00Z, included) through the first one
 * past two weeks later: every sixth hour → 6 h; "5 11,14,18,22 * * 1-5" →
 * Friday 22:05 to Monday 11:05, 61 h. A pattern firing less than once a
 * fortnight yields only its first gap (monthly: 1 January to 1 February).
 */
export function cadenceMs(cron: string): number {
  // A millisecond early, because next() is strictly after and a fire time at the reference itself counts.
  const expression = cronExpression(parseSchedule(cron).cron, new Date(CADENCE_REFERENCE.getTime() - 1));
  const windowEnd = CADENCE_REFERENCE.getTime() + CADENCE_WINDOW_MS;
  let previous = expression.next().getTime();
  let longest = 0;
  // At least one gap, even when the first fire time is already past the window.
  do {
    const current = expression.next().getTime();
    longest = Math.max(longest, current - previous);
    previous = current;
  } while (previous <= windowEnd);
  return longest;
}

export interface StalenessCheck {
  /** The last successful run, or null if the source never succeeded. */
  lastSuccess: Date | null;
  /** Where counting starts when there is no success yet, e.g. when the source was registered. */
  since?: Date;
  now: Date;
  /** How many fire times may pass without a success; the next one missed makes the source stale. */
  missedRuns: number;
  /** How long after a fire time its run may still be going; default 15 minutes. */
  graceMs?: number;
  /** The source's jitter key, when it is scheduled with `withJitter`. */
  jitterKey?: string;
}

/**
 * When the source became stale, or null if it is not (yet): stale once
 * `missedRuns` fire times after the last success (or after `since`, if it never
 * succeeded) have passed, a fire time counting as passed `graceMs` after it.
 * The date returned is that moment, the `missedRuns`-th fire time plus the
 * grace, so a non-null result is never later than `now`.
 */
export function staleSince(cron: string, check: StalenessCheck): Date | null {
  const { lastSuccess, since, now, missedRuns, graceMs = DEFAULT_GRACE_MS, jitterKey } = check;
  if (!Number.isInteger(missedRuns) || missedRuns < 1) {
    throw new RangeError(`missedRuns must be a whole number ≥ 1, got ${missedRuns}`);
  }
  if (!Number.isFinite(graceMs) || graceMs < 0) {
    throw new RangeError(`graceMs must be ≥ 0, got ${graceMs}`);
  }
  const from = lastSuccess ?? since;
  if (from === undefined) {
    // Without either there is nothing to count from; null would pass a source that never ran as healthy.
    throw new Error(`staleSince(${JSON.stringify(cron)}) needs lastSuccess or since`);
  }
  checkDate(now, "now");
  const runs = nextRuns(cron, from, missedRuns, jitterKey);
  const staleAt = new Date(runs[runs.length - 1]!.getTime() + graceMs);
  return staleAt.getTime() <= now.getTime() ? staleAt : null;
}

const WEEKDAYS = "1,2,3,4,5";

/**
 * A few words for `regwatch sources`: "every 6 h", "twice a day",
 * "4 times a day, Mon–Fri"; "cron <pattern>" for anything less regular than
 * one minute past a set of hours, every day or every weekday.
 */
export function describeCadence(cron: string): string {
  const schedule = parseSchedule(cron);
  const fields = cronExpression(schedule.cron, CADENCE_REFERENCE).fields;
  const fallback = `cron ${schedule.cron}`;
  const days = dayClause(fields.dayOfWeek.isWildcard, fields.dayOfWeek.values);
  if (
    fields.minute.values.length !== 1 ||
    !fields.dayOfMonth.isWildcard ||
    !fields.month.isWildcard ||
    days === null
  ) {
    return fallback;
  }
  const hours = fields.hour.values.length;
  if (hours === 24) return `every hour${days}`;
  // "*/6" reads as an interval; an explicit list reads as a count, even when evenly spaced ("6,18").
  const step = /^(?:\*|0)\/(\d+)$/.exec(schedule.hour);
  if (step && 24 % Number(step[1]) === 0) return `every ${step[1]} h${days}`;
  const perDay = hours === 1 ? "once a day" : hours === 2 ? "twice a day" : `${hours} times a day`;
  return `${perDay}${days}`;
}

const DAY_NAMES = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];

/**
 * "" for every day, ", Mon–Fri" for weekdays, ", Mon–Sat" for any run of
 * consecutive days Monday on (gazettes that publish on Saturdays), null for
 * any other set of days.
 */
function dayClause(everyDay: boolean, values: readonly (number | string)[]): string | null {
  if (everyDay) return "";
  // Sunday may be written 0 or 7.
  const days = [...new Set(values.map((day) => (day === 7 ? 0 : Number(day))))].sort((a, b) => a - b);
  if (days.join(",") === WEEKDAYS) return ", Mon–Fri";
  const run = days.length > 1 && days.every((d, i) => d === days[0]! + i) && days[0] !== 0;
  return run ? `, ${DAY_NAMES[days[0]!]}–${DAY_NAMES[days.at(-1)!]}` : null;
}

function cronExpression(pattern: string, currentDate: Date): CronExpression {
  return CronExpressionParser.parse(pattern, { currentDate, tz: "UTC" });
}

function checkDate(date: Date, name: string): void {
  if (Number.isNaN(date.getTime())) throw new RangeError(`${name} is not a valid date`);
}
