import {
  parseSubscriptionInput,
  type SubscriptionInput,
  SubscriptionInputError,
} from "@regwatch/alerts/subscription-input";
import { describe, expect, it } from "vitest";

const KNOWN = { sourceIds: ["us.federal-register", "us.ecfr.ccl", "ca.export-control-list"] };

function parse(input: Record<string, unknown>): SubscriptionInput {
  return parseSubscriptionInput({ email: "anna@example.com", ...input }, KNOWN);
}

function errorOf(input: unknown): { field: string; message: string } {
  try {
    parseSubscriptionInput(input, KNOWN);
  } catch (error) {
    if (error instanceof SubscriptionInputError) return { field: error.field, message: error.message };
    throw error;
  }
  throw new Error("expected a SubscriptionInputError, got a parsed subscription");
}

const fieldError = (input: Record<string, unknown>) => errorOf({ email: "anna@example.com", ...input });

describe("defaults", () => {
  it("fills every optional field for an email alone", () => {
    expect(parseSubscriptionInput({ email: "anna@example.com" }, KNOWN)).toEqual({
      email: "anna@example.com",
      filters: {
        technologies: [],
        jurisdictions: [],
        countries: [],
        entries: [],
        kinds: [],
        sources: [],
        keywords: [],
      },
      cadence: "immediate",
      weekday: null,
      hour: 8,
      timeZone: "UTC",
      emailAlerts: true,
      sendEmptyDigests: true,
      webhookUrl: null,
      webhookFormat: null,
    });
  });

  it("treats null like an absent field", () => {
    expect(parse({ technologies: null, cadence: null, hour: null, timeZone: null, weekday: null })).toEqual(
      parse({}),
    );
  });

  it("treats blank form fields as absent", () => {
    expect(parse({ technologies: "", cadence: " ", hour: "", timeZone: "", weekday: "" })).toEqual(parse({}));
    expect(parse({ cadence: "weekly", weekday: "" }).weekday).toBe(1);
  });

  it("defaults a weekly subscription to Monday", () => {
    expect(parse({ cadence: "weekly" }).weekday).toBe(1);
  });
});

describe("input shape", () => {
  it("rejects a value that is not an object", () => {
    for (const input of [null, undefined, "anna@example.com", 42, ["anna@example.com"]]) {
      expect(errorOf(input).field).toBe("input");
    }
  });

  it("rejects an unknown field by name, listing the accepted ones", () => {
    const error = fieldError({ technology: "quantum" });
    expect(error.field).toBe("technology");
    expect(error.message).toContain('unknown field "technology"');
    expect(error.message).toContain("technologies");
  });

  it("rejects a __proto__ key from JSON instead of ignoring it", () => {
    expect(errorOf(JSON.parse('{"email":"anna@example.com","__proto__":{"x":1}}')).field).toBe("__proto__");
  });
});

describe("email", () => {
  it("trims and lower-cases the domain but keeps the local part", () => {
    expect(parse({ email: "  Anna.Berg@Example.COM \n" }).email).toBe("Anna.Berg@example.com");
  });

  it("accepts common real addresses", () => {
    for (const email of [
      "a@b.co",
      "first.last+tag@sub.example.org",
      "o'brien@example.ie",
      "x_y-z@mail-1.example.com",
      "anna@xn--bcher-kva.de",
    ]) {
      expect(parse({ email }).email).toBe(email);
    }
  });

  it("converts an internationalized domain to its xn-- form", () => {
    expect(parse({ email: "anna@Bücher.de" }).email).toBe("anna@xn--bcher-kva.de");
  });

  it("requires an email", () => {
    expect(errorOf({})).toEqual({ field: "email", message: "email is required" });
    expect(fieldError({ email: "   " })).toEqual({ field: "email", message: "email is required" });
    expect(fieldError({ email: 42 }).message).toBe("email must be a string");
  });

  it("rejects addresses without exactly one @", () => {
    for (const email of ["anna.example.com", "a@b@example.com", "@example.com", "anna@"]) {
      expect(fieldError({ email }).field, email).toBe("email");
    }
  });

  it("rejects a bad local part", () => {
    for (const email of [
      ".anna@example.com",
      "anna.@example.com",
      "an..na@example.com",
      "jörg@example.com",
    ]) {
      expect(fieldError({ email }).message, email).toContain('the part before "@"');
    }
    expect(fieldError({ email: `${"a".repeat(65)}@example.com` }).message).toContain("1–64 characters");
    expect(parse({ email: `${"a".repeat(64)}@example.com` }).email).toHaveLength(76);
  });

  it("rejects a bad domain", () => {
    for (const email of [
      "anna@localhost",
      "anna@example..com",
      "anna@-example.com",
      "anna@example-.com",
      "anna@exa_mple.com",
      "anna@example.com.",
      "anna@1.2.3.4",
      `anna@${"a".repeat(64)}.com`,
    ]) {
      expect(fieldError({ email }).message, email).toContain("the domain must be a name like example.com");
    }
  });

  it("rejects an address longer than 254 characters", () => {
    const long = `anna@${"a".repeat(61)}.${"b".repeat(61)}.${"c".repeat(61)}.${"d".repeat(61)}.com`;
    expect(long.length).toBeGreaterThan(254);
    expect(fieldError({ email: long }).message).toBe("email address is longer than 254 characters");
  });

  it("applies the 254-character limit to the xn-- form of the address", () => {
    const label = "bücher".repeat(8); // 48 characters, 55 once in xn-- form
    const email = `anna.berg@${[label, label, label, label, "x".repeat(20), "de"].join(".")}`;
    expect(email.length).toBeLessThanOrEqual(254);
    expect(fieldError({ email }).message).toBe(
      "email address is longer than 254 characters once its domain is in ASCII form",
    );
  });

  it("rejects header injection attempts", () => {
    const attempts: [string, string][] = [
      ["a@b.co\r\nBcc: x@y.zz", "a line break"],
      ["a@b.co\nBcc: x@y.zz", "a line break"],
      ["a@b.co, d@e.fr", "a comma"],
      ["a@b.co,d@e.fr", "a comma"],
      ["<a@b.co>", "an angle bracket"],
      ["Anna <a@b.co>", "a space"],
      ['"a b"@b.co', "a quote"],
      ["a@b.co;d@e.fr", '";"'],
      ["undisclosed:a@b.co;", '":"'],
      ["a@b.co\u2028Bcc: x@y.zz", "a line break"],
      ["a\u0000@b.co", "a control character"],
      ["a\u202e@b.co", "a control character"],
      ["a@b\u200b.co", "a control character"],
      ["a\u00a0b@b.co", "a space"],
    ];
    for (const [email, what] of attempts) {
      const error = fieldError({ email });
      expect(error.field, email).toBe("email");
      expect(error.message, email).toContain(`it contains ${what}`);
    }
  });

  it("escapes control characters when quoting the address back", () => {
    const { message } = fieldError({ email: "a@b.co\r\nBcc: x@y.zz" });
    expect(message).not.toMatch(/[\r\n]/);
    expect(message).toContain("\\u000d\\u000a");
  });

  it("rejects a megabyte of input quickly and without echoing it", () => {
    const { message } = fieldError({ email: `${"a".repeat(1_000_000)}@example.com` });
    expect(message.length).toBeLessThan(100);
  });
});

describe("technologies", () => {
  it("accepts taxonomy ids, case-insensitively", () => {
    expect(parse({ technologies: ["quantum", "GAAFET"] }).filters.technologies).toEqual([
      "quantum",
      "gaafet",
    ]);
  });

  it("names the field, the unknown value and the known ids", () => {
    expect(fieldError({ technologies: ["quantum", "quantumm"] })).toEqual({
      field: "technologies",
      message:
        'unknown technology "quantumm" (known: quantum, semiconductor-manufacturing-equipment, ' +
        "advanced-semiconductors, gaafet, additive-manufacturing, advanced-computing, " +
        "artificial-intelligence, cryptography, biotechnology)",
    });
  });
});

describe("list fields", () => {
  it("accept one comma-separated string, trimmed, skipping empty items", () => {
    expect(parse({ technologies: " quantum, gaafet ,,cryptography, " }).filters.technologies).toEqual([
      "quantum",
      "gaafet",
      "cryptography",
    ]);
  });

  it("split array items on commas, as repeated CLI options give them", () => {
    expect(parse({ jurisdictions: ["us,jp", "NL"] }).filters.jurisdictions).toEqual(["US", "JP", "NL"]);
  });

  it("deduplicate after normalizing, keeping first-seen order", () => {
    expect(parse({ countries: "cn, CN, ru, Cn" }).filters.countries).toEqual(["CN", "RU"]);
    expect(parse({ technologies: ["gaafet", "quantum", "GaaFet"] }).filters.technologies).toEqual([
      "gaafet",
      "quantum",
    ]);
  });

  it("accept 50 values and reject 51", () => {
    const fifty = Array.from({ length: 50 }, (_, i) => `kw${i}`);
    expect(parse({ keywords: fifty }).filters.keywords).toHaveLength(50);
    expect(fieldError({ keywords: [...fifty, "one more"] })).toEqual({
      field: "keywords",
      message: "keywords accepts at most 50 values (got 51)",
    });
    expect(fieldError({ entries: Array.from({ length: 51 }, (_, i) => `3B${i}`).join(",") }).field).toBe(
      "entries",
    );
  });

  it("reject values that are neither a list of strings nor a string", () => {
    for (const technologies of [42, { quantum: true }, ["quantum", 7], [null], true]) {
      expect(fieldError({ technologies })).toEqual({
        field: "technologies",
        message: "technologies must be a list of strings or a comma-separated string",
      });
    }
  });
});

describe("jurisdictions", () => {
  it("accepts codes case-insensitively and returns them upper-case", () => {
    expect(parse({ jurisdictions: "us, eu, Wa" }).filters.jurisdictions).toEqual(["US", "EU", "WA"]);
  });

  it("rejects a country regwatch does not watch, listing the watched ones", () => {
    const error = fieldError({ jurisdictions: "DE" });
    expect(error.field).toBe("jurisdictions");
    expect(error.message).toBe(
      'unknown jurisdiction "DE" (known: US, GB, FR, CA, IT, ES, AU, NL, JP, FI, NO, EU, WA)',
    );
  });
});

describe("countries", () => {
  it("accepts ISO 3166-1 alpha-2 codes and returns them upper-case", () => {
    expect(parse({ countries: ["cn", "Ru", "IR"] }).filters.countries).toEqual(["CN", "RU", "IR"]);
  });

  it("rejects unassigned codes, names and three-letter codes", () => {
    for (const country of ["XX", "China", "CHN", "C"]) {
      const error = fieldError({ countries: country });
      expect(error.field, country).toBe("countries");
      expect(error.message, country).toContain(`unknown country "${country}"`);
    }
  });

  it("points UK to GB", () => {
    expect(fieldError({ countries: "UK" }).message).toContain("the United Kingdom is GB");
  });
});

describe("entries", () => {
  it("accepts entry numbers, paragraphs, Canadian items and prefixes", () => {
    expect(
      parse({ entries: ["3B001", "3B*", "5506", "5506(2)(c)", "1C010.a", "3B001.c.1.a"] }).filters.entries,
    ).toEqual(["3B001", "3B*", "5506", "5506(2)(c)", "1C010.a", "3B001.c.1.a"]);
  });

  it("upper-cases the entry number but keeps paragraph letters", () => {
    expect(parse({ entries: "3b001.c.1.a, 3b*, ml22.a, 4a906" }).filters.entries).toEqual([
      "3B001.c.1.a",
      "3B*",
      "ML22.a",
      "4A906",
    ]);
  });

  it("rejects other characters, a bare or inner star, and more than one star", () => {
    for (const entry of [
      "*",
      "3B**",
      "3*B001",
      "3B001 a",
      "3B001-a",
      "3B001/a",
      ".3B001",
      "3B001;DROP",
      "3B\u0000",
    ]) {
      const error = fieldError({ entries: [entry] });
      expect(error.field, entry).toBe("entries");
      expect(error.message, entry).toContain("invalid entry");
    }
  });

  it("accepts 40 characters and rejects 41", () => {
    const forty = `3B001.${"a".repeat(34)}`;
    expect(parse({ entries: [forty] }).filters.entries).toEqual([forty]);
    expect(fieldError({ entries: [`${forty}a`] }).message).toContain("is longer than 40 characters");
  });
});

describe("kinds", () => {
  it("accepts change kinds case-insensitively", () => {
    expect(parse({ kinds: "Added, removed,MODIFIED, published" }).filters.kinds).toEqual([
      "added",
      "removed",
      "modified",
      "published",
    ]);
  });

  it("rejects an unknown kind, listing the kinds", () => {
    expect(fieldError({ kinds: ["deleted"] })).toEqual({
      field: "kinds",
      message: 'unknown change kind "deleted" (known: added, removed, modified, published)',
    });
  });
});

describe("sources", () => {
  it("accepts the known source ids, in their canonical spelling", () => {
    expect(parse({ sources: "us.ecfr.ccl, US.Federal-Register" }).filters.sources).toEqual([
      "us.ecfr.ccl",
      "us.federal-register",
    ]);
  });

  it("rejects an unknown source, listing the known ones it was given", () => {
    expect(fieldError({ sources: ["us.ecfr"] })).toEqual({
      field: "sources",
      message: 'unknown source "us.ecfr" (known: us.federal-register, us.ecfr.ccl, ca.export-control-list)',
    });
  });

  it("knows only the ids passed in", () => {
    expect(() =>
      parseSubscriptionInput({ email: "a@b.co", sources: "us.ecfr.ccl" }, { sourceIds: [] }),
    ).toThrow('unknown source "us.ecfr.ccl" (known: none)');
  });
});

describe("keywords", () => {
  it("trims keywords and keeps commas inside array items", () => {
    expect(parse({ keywords: ["  quantum computing ", "Leiden, Delft"] }).filters.keywords).toEqual([
      "quantum computing",
      "Leiden, Delft",
    ]);
  });

  it("splits a comma-separated string", () => {
    expect(parse({ keywords: "cryogenic, dilution refrigerator" }).filters.keywords).toEqual([
      "cryogenic",
      "dilution refrigerator",
    ]);
  });

  it("deduplicates case-insensitively, keeping the first spelling", () => {
    expect(parse({ keywords: "EUV, euv, Euv" }).filters.keywords).toEqual(["EUV"]);
  });

  it("accepts 100 characters and rejects 101", () => {
    expect(parse({ keywords: ["k".repeat(100)] }).filters.keywords).toEqual(["k".repeat(100)]);
    const error = fieldError({ keywords: ["k".repeat(101)] });
    expect(error.field).toBe("keywords");
    expect(error.message).toContain("is longer than 100 characters");
    expect(error.message.length).toBeLessThan(120);
  });

  it("rejects control characters, line breaks and bidirectional overrides", () => {
    for (const keyword of ["a\u0007b", "a\nb", "a\u0085b", "a\u2028b", "abc\u202edef"]) {
      const error = fieldError({ keywords: [keyword] });
      expect(error.field, JSON.stringify(keyword)).toBe("keywords");
      expect(error.message).toContain("contains a control character");
      expect(error.message).not.toMatch(/[\u0000-\u001f\u0085\u2028\u202e]/);
    }
  });

  it("accepts non-Latin keywords", () => {
    expect(parse({ keywords: ["量子コンピュータ", "Überwachung"] }).filters.keywords).toEqual([
      "量子コンピュータ",
      "Überwachung",
    ]);
  });
});

describe("cadence and weekday", () => {
  it("accepts the three cadences, case-insensitively", () => {
    expect(parse({ cadence: "daily" }).cadence).toBe("daily");
    expect(parse({ cadence: " Weekly " }).cadence).toBe("weekly");
    expect(parse({ cadence: "IMMEDIATE" }).cadence).toBe("immediate");
  });

  it("rejects another cadence", () => {
    expect(fieldError({ cadence: "hourly" })).toEqual({
      field: "cadence",
      message: 'unknown cadence "hourly" (accepted: immediate, daily, weekly)',
    });
    expect(fieldError({ cadence: 1 }).field).toBe("cadence");
  });

  it("accepts weekday names and ISO numbers for a weekly cadence", () => {
    expect(parse({ cadence: "weekly", weekday: "fri" }).weekday).toBe(5);
    expect(parse({ cadence: "weekly", weekday: "SUN" }).weekday).toBe(7);
    expect(parse({ cadence: "weekly", weekday: "Wednesday" }).weekday).toBe(3);
    expect(parse({ cadence: "weekly", weekday: 7 }).weekday).toBe(7);
    expect(parse({ cadence: "weekly", weekday: "2" }).weekday).toBe(2);
  });

  it("leaves weekday null unless weekly, even when a form sends one", () => {
    expect(parse({ cadence: "daily", weekday: "fri" }).weekday).toBeNull();
    expect(parse({ weekday: 3 }).weekday).toBeNull();
  });

  it("rejects an invalid weekday, whatever the cadence", () => {
    for (const weekday of [0, 8, "funday", 1.5, "mo", true]) {
      const error = fieldError({ cadence: "weekly", weekday });
      expect(error.field, String(weekday)).toBe("weekday");
      expect(error.message).toContain("accepted: mon, tue, wed, thu, fri, sat, sun, or 1–7");
    }
    expect(fieldError({ cadence: "daily", weekday: 9 }).field).toBe("weekday");
  });
});

describe("hour", () => {
  it("accepts 0–23 as a number or digits", () => {
    expect(parse({ hour: 0 }).hour).toBe(0);
    expect(parse({ hour: 23 }).hour).toBe(23);
    expect(parse({ hour: "07" }).hour).toBe(7);
  });

  it("rejects anything else", () => {
    for (const hour of [24, -1, 7.5, "7am", "1e1", Number.NaN, [8]]) {
      const error = fieldError({ hour });
      expect(error.field, String(hour)).toBe("hour");
      expect(error.message).toContain("accepted: a whole number 0–23");
    }
  });
});

describe("timeZone", () => {
  it("accepts IANA names, returned in their canonical spelling", () => {
    expect(parse({ timeZone: "Europe/Amsterdam" }).timeZone).toBe("Europe/Amsterdam");
    expect(parse({ timeZone: "asia/tokyo" }).timeZone).toBe("Asia/Tokyo");
    expect(parse({ timeZone: " UTC " }).timeZone).toBe("UTC");
  });

  it("keeps a current name that ICU would turn into its older alias", () => {
    expect(parse({ timeZone: "Asia/Kolkata" }).timeZone).toBe("Asia/Kolkata");
    expect(parse({ timeZone: "America/Argentina/Buenos_Aires" }).timeZone).toBe(
      "America/Argentina/Buenos_Aires",
    );
  });

  it("rejects unknown zones, offsets and hostile strings", () => {
    for (const timeZone of [
      "Europe/Nowhere",
      "+01:00",
      "GMT+1:00",
      "Europe/\nParis",
      "Europe/Paris\u0000",
      "../etc/passwd",
      "x".repeat(10_000),
      "Europe/Paris;x",
      1,
    ]) {
      const error = fieldError({ timeZone });
      expect(error.field).toBe("timeZone");
      expect(error.message).toContain("accepted: an IANA name such as Europe/Paris or UTC");
      expect(error.message.length).toBeLessThan(200);
    }
  });
});

describe("a full subscription", () => {
  it("normalizes everything at once", () => {
    expect(
      parseSubscriptionInput(
        {
          email: "Compliance@Example.NL",
          technologies: "quantum,semiconductor-manufacturing-equipment",
          jurisdictions: ["jp", "nl"],
          countries: "cn",
          entries: "3b001*",
          kinds: ["added"],
          sources: ["us.ecfr.ccl"],
          keywords: ["lithography"],
          cadence: "weekly",
          weekday: "thu",
          hour: "9",
          timeZone: "Europe/Amsterdam",
          sendEmptyDigests: "off",
          webhookUrl: " https://hooks.slack.com/services/T0/B0/x ",
          webhookFormat: "Slack",
          emailAlerts: "false",
        },
        KNOWN,
      ),
    ).toEqual({
      email: "Compliance@example.nl",
      filters: {
        technologies: ["quantum", "semiconductor-manufacturing-equipment"],
        jurisdictions: ["JP", "NL"],
        countries: ["CN"],
        entries: ["3B001*"],
        kinds: ["added"],
        sources: ["us.ecfr.ccl"],
        keywords: ["lithography"],
      },
      cadence: "weekly",
      weekday: 4,
      hour: 9,
      timeZone: "Europe/Amsterdam",
      emailAlerts: false,
      sendEmptyDigests: false,
      webhookUrl: "https://hooks.slack.com/services/T0/B0/x",
      webhookFormat: "slack",
    });
  });
});

describe("delivery", () => {
  const parse = (input: Record<string, unknown>, allowPrivateWebhooks = false) =>
    parseSubscriptionInput({ email: "anna@example.com", ...input }, { ...KNOWN, allowPrivateWebhooks });
  const fieldOf = (input: Record<string, unknown>) => {
    try {
      parse(input);
    } catch (err) {
      return (err as SubscriptionInputError).field;
    }
    return null;
  };

  it("refuses webhooks to loopback, private and link-local addresses, naming the field", () => {
    for (const url of [
      "http://127.0.0.1:8080/hook",
      "https://10.1.2.3/hook",
      "https://169.254.169.254/latest/meta-data",
      "https://[::1]/hook",
      "https://localhost/hook",
    ]) {
      expect(fieldOf({ webhookUrl: url }), url).toBe("webhookUrl");
    }
    expect(fieldOf({ webhookUrl: "ftp://example.com/x" })).toBe("webhookUrl");
  });

  it("takes a local webhook only when private webhooks are allowed (tests)", () => {
    expect(parse({ webhookUrl: "http://127.0.0.1:8080/hook" }, true).webhookUrl).toBe(
      "http://127.0.0.1:8080/hook",
    );
  });

  it("defaults the webhook format to json, and needs a URL for a format", () => {
    expect(parse({ webhookUrl: "https://example.com/hook" }).webhookFormat).toBe("json");
    expect(fieldOf({ webhookFormat: "slack" })).toBe("webhookFormat");
    expect(fieldOf({ webhookUrl: "https://example.com/hook", webhookFormat: "discord" })).toBe(
      "webhookFormat",
    );
  });

  it("refuses turning email off without a webhook: alerts must go somewhere", () => {
    expect(fieldOf({ emailAlerts: false })).toBe("emailAlerts");
    expect(fieldOf({ emailAlerts: "maybe" })).toBe("emailAlerts");
    expect(parse({ emailAlerts: "0", webhookUrl: "https://example.com/h" }).emailAlerts).toBe(false);
  });
});
