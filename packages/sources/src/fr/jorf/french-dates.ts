// French long dates as the Journal officiel writes them: "2 février 2024",
// "1er mars 2024". Read strictly: a day that the month does not have, a
// month without its accent, a leading zero or "2er" is not a date.

import { isCalendarDay, MONTHS } from "../../dates.ts";

export const FRENCH_MONTHS = MONTHS.fr;

const MONTH = FRENCH_MONTHS.join("|");
// "1er" for the first of the month (also "1ᵉʳ" once superscripts are read as
// text); other days as written, without a leading zero.
const DAY = "1er|1ᵉʳ|[1-9]|[12]\\d|3[01]";

/** A French long date anywhere in a text: the day, month and year as written. */
export const FRENCH_DATE_IN_TEXT = new RegExp(`(?<![\\p{L}\\d])(${DAY}) (${MONTH}) (\\d{4})(?!\\d)`, "gu");
const FRENCH_DATE_ALONE = new RegExp(`^(${DAY}) (${MONTH}) (\\d{4})$`, "u");

/**
 * "2 février 2024" → "2024-02-02"; "1er mars 2024" → "2024-03-01". Anything
 * else (an impossible day, "01 mars", "fevrier" without its accent) → null.
 * Spaces (no-break included) are expected already collapsed to one.
 */
export function parseFrenchDate(text: string): string | null {
  const m = FRENCH_DATE_ALONE.exec(text.normalize("NFC").trim());
  if (!m) return null;
  const day = m[1] === "1er" || m[1] === "1ᵉʳ" ? 1 : Number(m[1]);
  const month = FRENCH_MONTHS.indexOf(m[2] as (typeof FRENCH_MONTHS)[number]) + 1;
  const year = Number(m[3]);
  if (!isCalendarDay(year, month, day)) return null;
  return `${m[3]}-${String(month).padStart(2, "0")}-${String(day).padStart(2, "0")}`;
}

/** "2024-03-01" → "1er mars 2024": how a French text names the day (used to find a text cited by date). */
export function frenchDateWords(iso: string): string {
  const [y, m, d] = iso.split("-").map(Number) as [number, number, number];
  return `${d === 1 ? "1er" : d} ${FRENCH_MONTHS[m - 1]} ${y}`;
}

/** The day after an ISO date. */
export function nextDay(iso: string): string {
  return new Date(Date.parse(`${iso}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
}
