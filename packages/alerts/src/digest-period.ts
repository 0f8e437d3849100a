// When a digest is due and what period it covers, in the subscriber's time
// zone: "Mondays at 08:00 in Europe/Paris" is a moment that moves against UTC
// twice a year, so periods are computed on local dates and converted, never by
// adding 7 × 24 hours to an instant.

export type DigestCadence = "daily" | "weekly";

export interface DigestSchedule {
  cadence: DigestCadence;
  /** ISO weekday (1 = Monday) of a weekly digest; ignored for daily. */
  weekday: number | null;
  /** Local hour, 0–23. */
  hour: number;
  /** IANA time zone. */
  timeZone: string;
}

/** A digest's period, [start, end): whole local days. */
export interface DigestPeriod {
  start: Date;
  end: Date;
}

/** The period a digest covers, and the moment it is sent at. */
export interface DigestOccurrence extends DigestPeriod {
  moment: Date;
}

interface LocalParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

const formats = new Map<string, Intl.DateTimeFormat>();

function formatFor(timeZone: string): Intl.DateTimeFormat {
  let format = formats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
    formats.set(timeZone, format);
  }
  return format;
}

/** The wall-clock reading of an instant in a time zone. */
export function localParts(at: Date, timeZone: string): LocalParts {
  const out: Record<string, number> = {};
  for (const part of formatFor(timeZone).formatToParts(at)) {
    if (part.type !== "literal") out[part.type] = Number(part.value);
  }
  return {
    year: out.year!,
    month: out.month!,
    day: out.day!,
    hour: out.hour!,
    minute: out.minute!,
    second: out.second!,
  };
}

/** How far the zone's clock is ahead of UTC at an instant, in ms. */
function offsetAt(instant: number, timeZone: string): number {
  const p = localParts(new Date(instant), timeZone);
  const asUtc = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  return asUtc - Math.floor(instant / 1000) * 1000;
}

/**
 * The instant a local date and hour names in a zone. An hour that does not
 * exist (the spring-forward gap) lands just after the gap; one that exists
 * twice (autumn) is its first occurrence.
 */
export function zonedInstant(year: number, month: number, day: number, hour: number, timeZone: string): Date {
  const wall = Date.UTC(year, month - 1, day, hour);
  const first = wall - offsetAt(wall, timeZone);
  const second = wall - offsetAt(first, timeZone);
  if (first === second) return new Date(first);
  // Two readings disagree around a transition: take the earlier one that shows the asked hour, else the later.
  const [early, late] = first < second ? [first, second] : [second, first];
  return new Date(localParts(new Date(early), timeZone).hour === hour ? early : late);
}

/** A local calendar date moved by whole days (the hour is kept by the caller). */
function shiftDate(year: number, month: number, day: number, days: number) {
  const d = new Date(Date.UTC(year, month - 1, day + days));
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
}

/** ISO weekday (1 = Monday) of a calendar date. */
function isoWeekday(year: number, month: number, day: number): number {
  return ((new Date(Date.UTC(year, month - 1, day)).getUTCDay() + 6) % 7) + 1;
}

/**
 * The latest scheduled moment at or before `now`, and the period the digest
 * sent then covers: the whole local days before the day it is sent on (the
 * Monday 08:00 weekly digest covers Monday to Sunday of the week before; the
 * daily one, yesterday). Changes detected between midnight and the moment go
 * into the next digest, so consecutive periods meet exactly.
 */
export function digestPeriod(schedule: DigestSchedule, now: Date): DigestOccurrence {
  const step = schedule.cadence === "weekly" ? 7 : 1;
  const today = localParts(now, schedule.timeZone);
  let back = 0;
  if (schedule.cadence === "weekly") {
    const weekday = schedule.weekday ?? 1;
    back = (isoWeekday(today.year, today.month, today.day) - weekday + 7) % 7;
  }
  const at = (days: number, hour: number) => {
    const d = shiftDate(today.year, today.month, today.day, -days);
    return zonedInstant(d.year, d.month, d.day, hour, schedule.timeZone);
  };
  let moment = at(back, schedule.hour);
  if (moment.getTime() > now.getTime()) {
    back += step;
    moment = at(back, schedule.hour);
  }
  return { start: at(back + step, 0), end: at(back, 0), moment };
}

/** A period as the key part of its outbox row: the same moment always gives the same period, and the same key. */
export function periodKey(period: DigestPeriod): string {
  return period.end.toISOString();
}
