import { getNextMillis } from "bullmq";
import { describe, expect, it } from "vitest";
import {
  cadenceMs,
  describeCadence,
  jitterSeconds,
  nextRuns,
  parseSchedule,
  staleSince,
  withJitter,
} from "../src/schedule.ts";

// The three patterns the sources declare today.
const ECFR = "41 */6 * * *";
const CA_ECL = "17 6,18 * * *";
const FEDERAL_REGISTER = "5 11,14,18,22 * * 1-5";

const HOUR = 3_600_000;
const iso = (dates: Date[]) => dates.map((date) => date.toISOString());

describe("parseSchedule", () => {
  it("accepts the three source patterns and splits them into named fields", () => {
    expect(parseSchedule(ECFR)).toEqual({
      cron: ECFR,
      minute: "41",
      hour: "*/6",
      dayOfMonth: "*",
      month: "*",
      dayOfWeek: "*",
    });
    expect(parseSchedule(CA_ECL).hour).toBe("6,18");
    expect(parseSchedule(FEDERAL_REGISTER).dayOfWeek).toBe("1-5");
  });

  it("collapses surrounding and repeated whitespace", () => {
    expect(parseSchedule("  41\t*/6  * * *\n").cron).toBe(ECFR);
  });

  it("names the pattern and the out-of-range minute", () => {
    expect(() => parseSchedule("61 * * * *")).toThrow(/^bad schedule "61 \* \* \* \*": .*61.*0-59/);
  });

  it("rejects too few fields, which cron-parser would pad with defaults", () => {
    expect(() => parseSchedule("* * *")).toThrow('bad schedule "* * *": expected 5 fields');
    expect(() => parseSchedule("* * *")).toThrow("got 3");
  });

  it("rejects an empty pattern, which cron-parser would read as every minute", () => {
    expect(() => parseSchedule("")).toThrow('bad schedule "": expected 5 fields');
    expect(() => parseSchedule("   ")).toThrow("got 0");
  });

  it("rejects a seconds field from a source and says the scheduler adds it", () => {
    expect(() => parseSchedule("0 41 */6 * * *")).toThrow(/got 6; sources may not set seconds/);
  });

  it("rejects H, names and shorthands, which BullMQ's cron-parser would read differently or at random", () => {
    expect(() => parseSchedule("H * * * *")).toThrow('minute field "H"');
    expect(() => parseSchedule("5 11 * * mon-fri")).toThrow('dayOfWeek field "mon-fri"');
    expect(() => parseSchedule("@daily")).toThrow("got 1");
  });

  it("rejects a pattern that can never fire", () => {
    expect(() => parseSchedule("0 0 30 2 *")).toThrow(/^bad schedule "0 0 30 2 \*": /);
  });
});

describe("jitterSeconds", () => {
  it("gives a key the same second on every call, pinned so that it cannot drift between hosts", () => {
    // sha256("ca/export-control-list") starts d2387052; 0xd2387052 % 60 = 10.
    expect(jitterSeconds("ca/export-control-list")).toBe(10);
    // sha256("us/federal-register") starts 97a0c2f4; 0x97a0c2f4 % 60 = 44.
    expect(jitterSeconds("us/federal-register")).toBe(44);
    expect(jitterSeconds("us/federal-register")).toBe(jitterSeconds("us/federal-register"));
  });

  it("spreads 200 keys over at least 40 distinct seconds of the minute", () => {
    const seconds = Array.from({ length: 200 }, (_, i) => jitterSeconds(`source-${i}`));
    for (const second of seconds) {
      expect(Number.isInteger(second) && second >= 0 && second < 60).toBe(true);
    }
    expect(new Set(seconds).size).toBeGreaterThanOrEqual(40);
  });

  it("stays below a narrower spread", () => {
    const seconds = Array.from({ length: 100 }, (_, i) => jitterSeconds(`source-${i}`, 10));
    expect(Math.max(...seconds)).toBe(9);
    expect(Math.min(...seconds)).toBe(0);
  });

  it("refuses a spread that is not a positive whole number", () => {
    expect(() => jitterSeconds("x", 0)).toThrow(RangeError);
    expect(() => jitterSeconds("x", 1.5)).toThrow(RangeError);
  });
});

describe("withJitter", () => {
  it("puts the key's second in front of the source's five fields", () => {
    expect(withJitter(ECFR, "us/federal-register")).toBe("44 41 */6 * * *");
    expect(withJitter(` ${CA_ECL} `, "ca/export-control-list")).toBe("10 17 6,18 * * *");
  });

  it("refuses an invalid pattern rather than passing it on to BullMQ", () => {
    expect(() => withJitter("61 * * * *", "k")).toThrow('bad schedule "61 * * * *"');
  });

  it.each([ECFR, CA_ECL, FEDERAL_REGISTER])(
    "fires at the same minutes as %s, at the key's second, as BullMQ's getNextMillis reads it",
    (cron) => {
      const key = "us/federal-register";
      const after = new Date("2024-12-28T00:00:00Z");
      const plain = nextRuns(cron, after, 40);
      const jittered = nextRuns(cron, after, 40, key);
      expect(jittered.map((run) => run.getTime() - 44_000)).toEqual(plain.map((run) => run.getTime()));

      // BullMQ's own call (its pinned cron-parser), chained as its scheduler chains iterations.
      const bullmqRuns: string[] = [];
      let millis = after.getTime();
      for (let i = 0; i < 40; i++) {
        millis = getNextMillis(millis, { pattern: withJitter(cron, key), tz: "UTC" })!;
        bullmqRuns.push(new Date(millis).toISOString());
      }
      expect(bullmqRuns).toEqual(iso(jittered));
    },
  );
});

describe("nextRuns", () => {
  it("lists eCFR's runs every six hours at :41", () => {
    expect(iso(nextRuns(ECFR, new Date("2025-01-15T05:00:00Z"), 4))).toEqual([
      "2025-01-15T06:41:00.000Z",
      "2025-01-15T12:41:00.000Z",
      "2025-01-15T18:41:00.000Z",
      "2025-01-16T00:41:00.000Z",
    ]);
  });

  it("starts strictly after the given time, even when it is a fire time", () => {
    expect(iso(nextRuns(ECFR, new Date("2025-01-15T06:41:00Z"), 1))).toEqual(["2025-01-15T12:41:00.000Z"]);
    expect(iso(nextRuns(ECFR, new Date("2025-01-15T06:40:59.999Z"), 1))).toEqual([
      "2025-01-15T06:41:00.000Z",
    ]);
  });

  it("crosses the year end and the leap day", () => {
    expect(iso(nextRuns(CA_ECL, new Date("2024-12-31T18:17:00Z"), 2))).toEqual([
      "2025-01-01T06:17:00.000Z",
      "2025-01-01T18:17:00.000Z",
    ]);
    expect(iso(nextRuns(CA_ECL, new Date("2024-02-28T20:00:00Z"), 2))).toEqual([
      "2024-02-29T06:17:00.000Z",
      "2024-02-29T18:17:00.000Z",
    ]);
    expect(iso(nextRuns("0 0 1 * *", new Date("2025-01-31T12:00:00Z"), 2))).toEqual([
      "2025-02-01T00:00:00.000Z",
      "2025-03-01T00:00:00.000Z",
    ]);
  });

  it("skips the weekend for the Federal Register", () => {
    // 2025-01-03 is a Friday.
    expect(iso(nextRuns(FEDERAL_REGISTER, new Date("2025-01-03T18:05:00Z"), 3))).toEqual([
      "2025-01-03T22:05:00.000Z",
      "2025-01-06T11:05:00.000Z",
      "2025-01-06T14:05:00.000Z",
    ]);
  });

  it("reads UTC whatever the host's zone, across a US daylight-saving change", () => {
    const hostZone = process.env.TZ;
    // cron-parser without tz would read the pattern in New York time: 05:41Z, 10:41Z, 16:41Z on this day.
    process.env.TZ = "America/New_York";
    try {
      expect(iso(nextRuns(ECFR, new Date("2025-03-09T05:00:00Z"), 3))).toEqual([
        "2025-03-09T06:41:00.000Z",
        "2025-03-09T12:41:00.000Z",
        "2025-03-09T18:41:00.000Z",
      ]);
    } finally {
      if (hostZone === undefined) delete process.env.TZ;
      else process.env.TZ = hostZone;
    }
  });

  it("fires at the key's second when given a jitter key", () => {
    // Second 10: 06:41:10 is already past at 06:41:30.
    expect(iso(nextRuns(ECFR, new Date("2025-01-15T06:41:30Z"), 2, "ca/export-control-list"))).toEqual([
      "2025-01-15T12:41:10.000Z",
      "2025-01-15T18:41:10.000Z",
    ]);
  });

  it("returns nothing for a count of 0 and refuses a negative count, an invalid date or pattern", () => {
    expect(nextRuns(ECFR, new Date("2025-01-15T00:00:00Z"), 0)).toEqual([]);
    expect(() => nextRuns(ECFR, new Date("2025-01-15T00:00:00Z"), -1)).toThrow(RangeError);
    expect(() => nextRuns(ECFR, new Date("nonsense"), 1)).toThrow("after is not a valid date");
    expect(() => nextRuns("* * *", new Date("2025-01-15T00:00:00Z"), 1)).toThrow("bad schedule");
  });
});

describe("cadenceMs", () => {
  it("measures the longest gap of each source pattern", () => {
    expect(cadenceMs(ECFR)).toBe(6 * HOUR);
    expect(cadenceMs(CA_ECL)).toBe(12 * HOUR);
    // Friday 22:05 to Monday 11:05.
    expect(cadenceMs(FEDERAL_REGISTER)).toBe(61 * HOUR);
  });

  it("takes the uneven gap, not the average", () => {
    // 02:00 → 22:00 is 20 h, 22:00 → 02:00 is 4 h.
    expect(cadenceMs("0 2,22 * * *")).toBe(20 * HOUR);
  });

  it("sees one gap of a pattern slower than the window", () => {
    // From the reference 2024-01-01: 1 January to 1 February.
    expect(cadenceMs("0 0 1 * *")).toBe(31 * 24 * HOUR);
    // First fire time 1 March 2024, past the window: still one gap, to 1 March 2025.
    expect(cadenceMs("0 0 1 3 *")).toBe(365 * 24 * HOUR);
    // 1 February 2024 to 1 February 2025 spans the leap day.
    expect(cadenceMs("0 0 1 2 *")).toBe(366 * 24 * HOUR);
  });

  it("measures minute-by-minute and weekly patterns", () => {
    expect(cadenceMs("* * * * *")).toBe(60_000);
    expect(cadenceMs("0 9 * * 1")).toBe(7 * 24 * HOUR);
  });
});

describe("staleSince", () => {
  // eCFR runs at 00:41, 06:41, 12:41, 18:41; the 06:41 run succeeded at 06:50.
  const lastSuccess = new Date("2025-01-10T06:50:00Z");

  it("is not stale until the grace after the missed run has passed", () => {
    const now = new Date("2025-01-10T18:55:59.999Z");
    expect(staleSince(ECFR, { lastSuccess, now, missedRuns: 2 })).toBeNull();
  });

  it("is stale from the second missed run plus 15 minutes, at that very moment", () => {
    const now = new Date("2025-01-10T18:56:00Z");
    expect(staleSince(ECFR, { lastSuccess, now, missedRuns: 2 })?.toISOString()).toBe(
      "2025-01-10T18:56:00.000Z",
    );
  });

  it("keeps the same stale-since time as time goes on", () => {
    const now = new Date("2025-01-12T00:00:00Z");
    expect(staleSince(ECFR, { lastSuccess, now, missedRuns: 2 })?.toISOString()).toBe(
      "2025-01-10T18:56:00.000Z",
    );
  });

  it("uses the grace it is given", () => {
    const at = new Date("2025-01-10T18:41:00Z");
    expect(staleSince(ECFR, { lastSuccess, now: at, missedRuns: 2, graceMs: 0 })?.toISOString()).toBe(
      "2025-01-10T18:41:00.000Z",
    );
    expect(staleSince(ECFR, { lastSuccess, now: at, missedRuns: 2, graceMs: 1 })).toBeNull();
    const hourLater = new Date("2025-01-10T19:40:00Z");
    expect(staleSince(ECFR, { lastSuccess, now: hourLater, missedRuns: 2, graceMs: HOUR })).toBeNull();
  });

  it("counts from a success that came just after its fire time", () => {
    // Succeeded at 12:41:30: the missed runs are 18:41 and 00:41.
    const success = new Date("2025-01-10T12:41:30Z");
    const now = new Date("2025-01-11T01:00:00Z");
    expect(staleSince(ECFR, { lastSuccess: success, now, missedRuns: 2 })?.toISOString()).toBe(
      "2025-01-11T00:56:00.000Z",
    );
  });

  it("counts a never-succeeded source from when it was registered", () => {
    const since = new Date("2025-01-10T00:00:00Z");
    expect(
      staleSince(ECFR, { lastSuccess: null, since, now: new Date("2025-01-10T06:55:00Z"), missedRuns: 2 }),
    ).toBeNull();
    expect(
      staleSince(ECFR, {
        lastSuccess: null,
        since,
        now: new Date("2025-01-10T07:00:00Z"),
        missedRuns: 2,
      })?.toISOString(),
    ).toBe("2025-01-10T06:56:00.000Z");
  });

  it("prefers the last success over the registration time", () => {
    const since = new Date("2025-01-01T00:00:00Z");
    const now = new Date("2025-01-10T13:00:00Z");
    expect(staleSince(ECFR, { lastSuccess, since, now, missedRuns: 2 })).toBeNull();
  });

  it("refuses to judge a source with neither a success nor a registration time", () => {
    expect(() => staleSince(ECFR, { lastSuccess: null, now: new Date(), missedRuns: 1 })).toThrow(
      "needs lastSuccess or since",
    );
  });

  it("does not count the weekend against the Federal Register", () => {
    // Friday 22:05 succeeded; the next run is Monday 11:05.
    const friday = new Date("2025-01-03T22:06:00Z");
    const sunday = new Date("2025-01-05T23:59:00Z");
    const monday = new Date("2025-01-06T11:20:00Z");
    expect(staleSince(FEDERAL_REGISTER, { lastSuccess: friday, now: sunday, missedRuns: 1 })).toBeNull();
    expect(
      staleSince(FEDERAL_REGISTER, { lastSuccess: friday, now: monday, missedRuns: 1 })?.toISOString(),
    ).toBe("2025-01-06T11:20:00.000Z");
  });

  it("counts the jittered fire time when given the source's jitter key", () => {
    const now = new Date("2025-01-10T18:56:09Z");
    const check = { lastSuccess, now, missedRuns: 2, jitterKey: "ca/export-control-list" };
    expect(staleSince(ECFR, check)).toBeNull();
    expect(staleSince(ECFR, { ...check, now: new Date("2025-01-10T18:56:10Z") })?.toISOString()).toBe(
      "2025-01-10T18:56:10.000Z",
    );
  });

  it("refuses fewer than one missed run and a negative grace", () => {
    const now = new Date("2025-01-10T18:56:00Z");
    expect(() => staleSince(ECFR, { lastSuccess, now, missedRuns: 0 })).toThrow(RangeError);
    expect(() => staleSince(ECFR, { lastSuccess, now, missedRuns: 1, graceMs: -1 })).toThrow(RangeError);
  });
});

describe("describeCadence", () => {
  it("describes the three source patterns", () => {
    expect(describeCadence(ECFR)).toBe("every 6 h");
    expect(describeCadence(CA_ECL)).toBe("twice a day");
    expect(describeCadence(FEDERAL_REGISTER)).toBe("4 times a day, Mon–Fri");
  });

  it("describes hourly, daily and weekday intervals", () => {
    expect(describeCadence("0 * * * *")).toBe("every hour");
    expect(describeCadence("30 9 * * *")).toBe("once a day");
    expect(describeCadence("0 */6 * * 1-5")).toBe("every 6 h, Mon–Fri");
    // Five hours do not divide the day: the 20:00 → 00:00 gap is 4 h, so it is not "every 5 h".
    expect(describeCadence("0 */5 * * *")).toBe("5 times a day");
    // Gazettes that come out on Saturdays too.
    expect(describeCadence("40 6 * * 1-6")).toBe("once a day, Mon–Sat");
    expect(describeCadence("0 7 * * 2-4")).toBe("once a day, Tue–Thu");
  });

  it("falls back to the pattern for anything less regular", () => {
    expect(describeCadence("*/15 * * * *")).toBe("cron */15 * * * *");
    expect(describeCadence("0 9 1 * *")).toBe("cron 0 9 1 * *");
    expect(describeCadence("0 9 * * 0,6")).toBe("cron 0 9 * * 0,6");
    expect(describeCadence("0 9 * * 1,3,5")).toBe("cron 0 9 * * 1,3,5");
  });

  it("refuses an invalid pattern", () => {
    expect(() => describeCadence("61 * * * *")).toThrow("bad schedule");
  });
});
