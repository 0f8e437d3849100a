import { describe, expect, it } from "vitest";
import { calendarDate, checkedIsoDate, isCalendarDay, MONTHS, monthNumber } from "../src/dates.ts";

describe("dates every source shares", () => {
  it("refuses days the calendar does not have, leap years included", () => {
    expect(isCalendarDay(2024, 2, 29)).toBe(true);
    expect(isCalendarDay(2025, 2, 29)).toBe(false);
    expect(isCalendarDay(1900, 2, 29)).toBe(false);
    expect(isCalendarDay(2000, 2, 29)).toBe(true);
    expect(isCalendarDay(2024, 4, 31)).toBe(false);
    expect(isCalendarDay(2024, 13, 1)).toBe(false);
    expect(isCalendarDay(2024, 0, 1)).toBe(false);
    expect(isCalendarDay(2024, 1, 0)).toBe(false);
    expect(isCalendarDay(2024, 1.5, 1)).toBe(false);
  });

  it("writes and checks ISO dates", () => {
    expect(calendarDate(2024, 9, 6)).toBe("2024-09-06");
    expect(calendarDate(2024, 2, 30)).toBeNull();
    expect(checkedIsoDate("2024-11-08")).toBe("2024-11-08");
    expect(checkedIsoDate("2025-02-29")).toBeNull();
    expect(checkedIsoDate("2024-11-08T00:00:00Z")).toBeNull();
    expect(checkedIsoDate("2024-1-8")).toBeNull();
  });

  it("knows twelve months in every language, each name once", () => {
    for (const [language, names] of Object.entries(MONTHS)) {
      expect(names, language).toHaveLength(12);
      expect(new Set(names).size, language).toBe(12);
    }
    expect(monthNumber("fi", "heinäkuuta")).toBe(7);
    expect(monthNumber("fr", "août")).toBe(8);
    expect(monthNumber("fr", "aout")).toBe(0);
    expect(monthNumber("en", "march")).toBe(0);
    expect(monthNumber("it", "luglio")).toBe(7);
  });
});
