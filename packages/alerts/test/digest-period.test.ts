import { describe, expect, it } from "vitest";
import { digestPeriod, periodKey, zonedInstant } from "../src/digest-period.ts";

const at = (iso: string) => new Date(iso);
const iso = (p: { start: Date; end: Date; moment: Date }) => [
  p.start.toISOString(),
  p.end.toISOString(),
  p.moment.toISOString(),
];

describe("digestPeriod", () => {
  const weekly = { cadence: "weekly" as const, weekday: 1, hour: 8, timeZone: "UTC" };

  it("sends the Monday 08:00 weekly digest about Monday to Sunday of the week before", () => {
    expect(iso(digestPeriod(weekly, at("2026-11-23T09:00:00Z")))).toEqual([
      "2026-11-16T00:00:00.000Z",
      "2026-11-23T00:00:00.000Z",
      "2026-11-23T08:00:00.000Z",
    ]);
    // Exactly at the moment: due now.
    expect(digestPeriod(weekly, at("2026-11-23T08:00:00Z")).moment.toISOString()).toBe(
      "2026-11-23T08:00:00.000Z",
    );
    // A minute before: last week's moment is still the latest.
    expect(iso(digestPeriod(weekly, at("2026-11-23T07:59:00Z")))).toEqual([
      "2026-11-09T00:00:00.000Z",
      "2026-11-16T00:00:00.000Z",
      "2026-11-16T08:00:00.000Z",
    ]);
    // Later in the week: the same period, so the same key (sent once).
    expect(periodKey(digestPeriod(weekly, at("2026-11-27T18:00:00Z")))).toBe("2026-11-23T00:00:00.000Z");
  });

  it("sends the daily digest about yesterday", () => {
    const daily = { cadence: "daily" as const, weekday: null, hour: 7, timeZone: "America/New_York" };
    // 13:00 UTC is 08:00 in New York (EST): today's 07:00 has passed.
    expect(iso(digestPeriod(daily, at("2026-11-23T13:00:00Z")))).toEqual([
      "2026-11-22T05:00:00.000Z",
      "2026-11-23T05:00:00.000Z",
      "2026-11-23T12:00:00.000Z",
    ]);
  });

  it("reads the weekday and hour in the subscriber's zone", () => {
    const tokyo = { cadence: "weekly" as const, weekday: 1, hour: 8, timeZone: "Asia/Tokyo" };
    // Monday 08:00 in Tokyo is Sunday 23:00 UTC; the week ends at Monday 00:00 JST.
    expect(iso(digestPeriod(tokyo, at("2026-11-23T00:00:00Z")))).toEqual([
      "2026-11-15T15:00:00.000Z",
      "2026-11-22T15:00:00.000Z",
      "2026-11-22T23:00:00.000Z",
    ]);
  });

  it("keeps local midnights across a daylight-saving change: that day is 25 hours", () => {
    const paris = { cadence: "daily" as const, weekday: null, hour: 8, timeZone: "Europe/Paris" };
    // Clocks go back on Sunday 2026-10-25 at 03:00 CEST: the digest of the 26th covers a 25-hour day.
    const p = digestPeriod(paris, at("2026-10-26T12:00:00Z"));
    expect(iso(p)).toEqual([
      "2026-10-24T22:00:00.000Z",
      "2026-10-25T23:00:00.000Z",
      "2026-10-26T07:00:00.000Z",
    ]);
    expect(p.end.getTime() - p.start.getTime()).toBe(25 * 3_600_000);
  });

  it("places an hour that does not exist (spring forward) just after the gap", () => {
    // 2026-03-29 02:00 does not exist in Paris; 03:00 CEST is 01:00 UTC.
    expect(zonedInstant(2026, 3, 29, 2, "Europe/Paris").toISOString()).toBe("2026-03-29T01:00:00.000Z");
    expect(zonedInstant(2026, 3, 29, 8, "Europe/Paris").toISOString()).toBe("2026-03-29T06:00:00.000Z");
  });

  it("crosses month and year ends on local dates", () => {
    const auckland = { cadence: "weekly" as const, weekday: 1, hour: 9, timeZone: "Pacific/Auckland" };
    // Monday 2027-01-04 09:00 NZDT (UTC+13) is 2027-01-03 20:00 UTC.
    expect(iso(digestPeriod(auckland, at("2027-01-03T21:00:00Z")))).toEqual([
      "2026-12-27T11:00:00.000Z",
      "2027-01-03T11:00:00.000Z",
      "2027-01-03T20:00:00.000Z",
    ]);
  });
});
