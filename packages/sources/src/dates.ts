// Dates as the gazettes write them, checked to exist. Each source reads its
// publisher's own format ("1. januar 2025", "26 päivänä heinäkuuta 1996",
// "1er mars 2024", "16/07/2024"); all of them end here, so a day the calendar
// does not have (31 April, 29 February 2025) is refused the same way everywhere.

/** Whether year-month-day is a day of the (proleptic Gregorian) calendar. */
export function isCalendarDay(year: number, month: number, day: number): boolean {
  if (!Number.isInteger(year) || !Number.isInteger(month) || !Number.isInteger(day)) return false;
  if (month < 1 || month > 12 || day < 1) return false;
  return day <= new Date(Date.UTC(year, month, 0)).getUTCDate();
}

const pad = (n: number) => String(n).padStart(2, "0");

/** YYYY-MM-DD for a day of the calendar; null for one that does not exist. */
export function calendarDate(year: number, month: number, day: number): string | null {
  return isCalendarDay(year, month, day)
    ? `${String(year).padStart(4, "0")}-${pad(month)}-${pad(day)}`
    : null;
}

/** A string that is exactly YYYY-MM-DD and names a real day, or null. */
export function checkedIsoDate(value: string): string | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  return m && isCalendarDay(Number(m[1]), Number(m[2]), Number(m[3])) ? value : null;
}

/**
 * Month names, January first, as dates write them after the day: English
 * capitalised, the others in lower case; Finnish in the partitive
 * ("heinäkuuta"), French with its accents ("février", "août").
 */
export const MONTHS = {
  en: [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
  ],
  nb: [
    "januar",
    "februar",
    "mars",
    "april",
    "mai",
    "juni",
    "juli",
    "august",
    "september",
    "oktober",
    "november",
    "desember",
  ],
  sv: [
    "januari",
    "februari",
    "mars",
    "april",
    "maj",
    "juni",
    "juli",
    "augusti",
    "september",
    "oktober",
    "november",
    "december",
  ],
  fi: [
    "tammikuuta",
    "helmikuuta",
    "maaliskuuta",
    "huhtikuuta",
    "toukokuuta",
    "kesäkuuta",
    "heinäkuuta",
    "elokuuta",
    "syyskuuta",
    "lokakuuta",
    "marraskuuta",
    "joulukuuta",
  ],
  nl: [
    "januari",
    "februari",
    "maart",
    "april",
    "mei",
    "juni",
    "juli",
    "augustus",
    "september",
    "oktober",
    "november",
    "december",
  ],
  fr: [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
  ],
  it: [
    "gennaio",
    "febbraio",
    "marzo",
    "aprile",
    "maggio",
    "giugno",
    "luglio",
    "agosto",
    "settembre",
    "ottobre",
    "novembre",
    "dicembre",
  ],
  es: [
    "enero",
    "febrero",
    "marzo",
    "abril",
    "mayo",
    "junio",
    "julio",
    "agosto",
    "septiembre",
    "octubre",
    "noviembre",
    "diciembre",
  ],
} as const satisfies Record<string, readonly string[]>;

export type MonthLanguage = keyof typeof MONTHS;

/** The month (1–12) a name stands for, exactly as `MONTHS` writes it; 0 when it names none. */
export function monthNumber(language: MonthLanguage, name: string): number {
  return (MONTHS[language] as readonly string[]).indexOf(name) + 1;
}

/** The UTC calendar day of an instant, YYYY-MM-DD. */
export const isoDay = (d: Date) => d.toISOString().slice(0, 10);
const dayAfter = (day: string) => isoDay(new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000));
/** The day before an instant's UTC day. */
export const dayBefore = (d: Date) => isoDay(new Date(d.getTime() - 86_400_000));

/**
 * The days a gazette read day by day reads in one run: after the last one read
 * through today (today is read again next run: the day is not over), the
 * newest `maxDays` of them; today alone on a first run.
 */
export function daysToRead(lastDay: string | null, now: Date, maxDays: number): string[] {
  const today = isoDay(now);
  if (!lastDay || lastDay >= today) return [today];
  const days: string[] = [];
  for (let d = dayAfter(lastDay); d <= today; d = dayAfter(d)) days.push(d);
  return days.slice(-maxDays);
}
