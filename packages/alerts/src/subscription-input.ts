// What a person submits to subscribe (JSON body, HTML form, or the CLI),
// checked and normalized in one place. Every error names the field and says
// what is accepted, because the CLI prints it and the web form shows it.
//
// Written as plain functions rather than a zod schema: nearly every field
// needs its own message ("unknown technology ... (known: ...)"), and list
// fields accept two shapes (array or comma-separated string).

import { domainToASCII } from "node:url";
import { isCountryCode } from "@regwatch/core/countries";
import { JURISDICTION_CODES, type Jurisdiction } from "@regwatch/core/jurisdictions";
import { type ChangeKind, changeKindSchema } from "@regwatch/core/schemas";
import { TECHNOLOGY_IDS, type TechnologyId } from "@regwatch/core/taxonomy";
import { WEBHOOK_FORMATS, type WebhookFormat } from "./webhook/payloads.ts";
import { checkWebhookUrl } from "./webhook/url-guard.ts";

export type Cadence = "immediate" | "daily" | "weekly";
/** ISO 8601 weekday: 1 = Monday … 7 = Sunday. */
export type IsoWeekday = 1 | 2 | 3 | 4 | 5 | 6 | 7;

export interface SubscriptionFilters {
  technologies: TechnologyId[];
  jurisdictions: Jurisdiction[];
  countries: string[];
  entries: string[];
  kinds: ChangeKind[];
  sources: string[];
  keywords: string[];
}

export interface SubscriptionInput {
  email: string;
  filters: SubscriptionFilters;
  cadence: Cadence;
  /** Day the weekly digest goes out; null unless `cadence` is "weekly". */
  weekday: IsoWeekday | null;
  /** Local hour (in `timeZone`) at which daily and weekly digests go out. */
  hour: number;
  timeZone: string;
  /** Alerts by email (the address still receives the confirmation when off). */
  emailAlerts: boolean;
  /** A digest with no changes is still sent (the attestation) unless this is off. */
  sendEmptyDigests: boolean;
  /** Alerts also (or only) go to this URL as a signed JSON POST. */
  webhookUrl: string | null;
  webhookFormat: WebhookFormat | null;
}

export { WEBHOOK_FORMATS, type WebhookFormat };

export const SUBSCRIPTION_FIELDS = [
  "email",
  "technologies",
  "jurisdictions",
  "countries",
  "entries",
  "kinds",
  "sources",
  "keywords",
  "cadence",
  "weekday",
  "hour",
  "timeZone",
  "emailAlerts",
  "sendEmptyDigests",
  "webhookUrl",
  "webhookFormat",
] as const;
export type SubscriptionField = (typeof SUBSCRIPTION_FIELDS)[number];

/** Bad subscription input: `field` is the submitted field at fault ("input" when the whole value is wrong). */
export class SubscriptionInputError extends Error {
  override name = "SubscriptionInputError";
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

// A filter list is a deliberate choice by a person; more values than this is a script or a mistake.
export const MAX_LIST_VALUES = 50;
export const MAX_ENTRY_LENGTH = 40;
export const MAX_KEYWORD_LENGTH = 100;
// RFC 5321 limits: 64 for the local part; 254 for a whole address in a path (256 minus the angle brackets).
const MAX_LOCAL_LENGTH = 64;
const MAX_EMAIL_LENGTH = 254;
const MAX_DOMAIN_LENGTH = 253;

export const CADENCES: readonly Cadence[] = ["immediate", "daily", "weekly"];
const WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"] as const;
const WEEKDAY_NAMES = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"];
const CHANGE_KINDS: readonly ChangeKind[] = changeKindSchema.options;

/**
 * Checks and normalizes a subscription request. Lists take an array of
 * strings or one comma-separated string (array items are split on commas
 * too, except keywords); items are trimmed, empty items dropped, duplicates
 * removed (keywords case-insensitively, keeping the first spelling).
 * Unknown fields are an error, so a typo ("technology") cannot silently
 * subscribe to everything.
 */
export function parseSubscriptionInput(
  input: unknown,
  known: { sourceIds: readonly string[]; allowPrivateWebhooks?: boolean },
): SubscriptionInput {
  if (typeof input !== "object" || input === null || Array.isArray(input)) {
    throw new SubscriptionInputError("input", "expected an object with the subscription's fields");
  }
  const record = input as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (!(SUBSCRIPTION_FIELDS as readonly string[]).includes(key)) {
      throw new SubscriptionInputError(
        key,
        `unknown field ${show(key)} (accepted: ${SUBSCRIPTION_FIELDS.join(", ")})`,
      );
    }
  }
  const get = (field: SubscriptionField): unknown =>
    Object.hasOwn(record, field) ? record[field] : undefined;

  const sourceIds = new Map(known.sourceIds.map((id) => [id.toLowerCase(), id]));
  const cadence = parseCadence(get("cadence"));
  // Validated even when unused, because an HTML form submits its weekday select whatever the cadence.
  const weekday = parseWeekday(get("weekday"));
  return {
    email: parseEmail(get("email")),
    filters: {
      technologies: parseList(get("technologies"), "technologies", (item) =>
        fromKnown(item.toLowerCase(), item, TECHNOLOGY_IDS, "technology"),
      ),
      jurisdictions: parseList(get("jurisdictions"), "jurisdictions", (item) =>
        fromKnown(item.toUpperCase(), item, JURISDICTION_CODES, "jurisdiction"),
      ),
      countries: parseList(get("countries"), "countries", parseCountry),
      entries: parseList(get("entries"), "entries", parseEntry),
      kinds: parseList(get("kinds"), "kinds", (item) =>
        fromKnown(item.toLowerCase(), item, CHANGE_KINDS, "change kind"),
      ),
      sources: parseList(get("sources"), "sources", (item) => {
        const id = sourceIds.get(item.toLowerCase());
        if (id === undefined)
          throw new Error(`unknown source ${show(item)} (known: ${listKnown(known.sourceIds)})`);
        return id;
      }),
      keywords: parseList(get("keywords"), "keywords", parseKeyword, (k) => k.toLowerCase()),
    },
    cadence,
    weekday: cadence === "weekly" ? weekday : null,
    hour: parseHour(get("hour")),
    timeZone: parseTimeZone(get("timeZone")),
    ...parseDelivery(get, known.allowPrivateWebhooks ?? false),
  };
}

// --- delivery ------------------------------------------------------------

/** A yes/no field: JSON booleans, and what HTML forms and command lines send. */
function parseFlag(value: unknown, field: SubscriptionField, fallback: boolean): boolean {
  if (value === undefined || value === null || value === "") return fallback;
  if (typeof value === "boolean") return value;
  if (typeof value === "string") {
    const v = value.trim().toLowerCase();
    if (["true", "1", "on", "yes"].includes(v)) return true;
    if (["false", "0", "off", "no"].includes(v)) return false;
  }
  throw new SubscriptionInputError(field, `${field} must be true or false, not ${show(String(value))}`);
}

function parseDelivery(get: (field: SubscriptionField) => unknown, allowPrivate: boolean) {
  const rawUrl = get("webhookUrl");
  let webhookUrl: string | null = null;
  if (rawUrl !== undefined && rawUrl !== null && rawUrl !== "") {
    if (typeof rawUrl !== "string")
      throw new SubscriptionInputError("webhookUrl", "webhookUrl must be a string");
    if (rawUrl.length > 2048)
      throw new SubscriptionInputError("webhookUrl", "webhookUrl is longer than 2048 characters");
    try {
      webhookUrl = checkWebhookUrl(rawUrl.trim(), { allowPrivate }).href;
    } catch (err) {
      throw new SubscriptionInputError("webhookUrl", (err as Error).message);
    }
  }
  const rawFormat = get("webhookFormat");
  let webhookFormat: WebhookFormat | null = null;
  if (rawFormat !== undefined && rawFormat !== null && rawFormat !== "") {
    if (
      typeof rawFormat !== "string" ||
      !(WEBHOOK_FORMATS as readonly string[]).includes(rawFormat.trim().toLowerCase())
    ) {
      throw new SubscriptionInputError(
        "webhookFormat",
        `unknown webhook format ${show(String(rawFormat))} (known: ${WEBHOOK_FORMATS.join(", ")})`,
      );
    }
    if (!webhookUrl) throw new SubscriptionInputError("webhookFormat", "webhookFormat needs a webhookUrl");
    webhookFormat = rawFormat.trim().toLowerCase() as WebhookFormat;
  }
  const emailAlerts = parseFlag(get("emailAlerts"), "emailAlerts", true);
  if (!emailAlerts && !webhookUrl) {
    throw new SubscriptionInputError(
      "emailAlerts",
      "alerts must go somewhere: keep email alerts on, or give a webhookUrl",
    );
  }
  return {
    emailAlerts,
    sendEmptyDigests: parseFlag(get("sendEmptyDigests"), "sendEmptyDigests", true),
    webhookUrl,
    webhookFormat: webhookUrl ? (webhookFormat ?? "json") : null,
  };
}

// --- email ---------------------------------------------------------------

// Anything that could end a header line, start another address, or make the
// address a display name or a group: line breaks and other control or
// invisible formatting characters, spaces, quotes, angle brackets, commas,
// semicolons, colons, parentheses (comments), square brackets, backslashes.
const EMAIL_FORBIDDEN = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\s"<>,;:()[\]\\]/u;
// RFC 5322 atext (the apostrophe stays: o'brien@example.com is a real address).
const LOCAL_PART = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;
const DOMAIN_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

function parseEmail(value: unknown): string {
  const fail = (message: string) => new SubscriptionInputError("email", message);
  if (value === undefined || value === null) throw fail("email is required");
  if (typeof value !== "string") throw fail("email must be a string");
  const address = value.trim();
  if (address === "") throw fail("email is required");
  // Checked before any other work so a hostile megabyte costs one comparison.
  if (address.length > MAX_EMAIL_LENGTH) {
    throw fail(`email address is longer than ${MAX_EMAIL_LENGTH} characters`);
  }
  const bad = EMAIL_FORBIDDEN.exec(address);
  if (bad) throw fail(`invalid email address ${show(address)}: it contains ${describeChar(bad[0])}`);
  const parts = address.split("@");
  if (parts.length !== 2) throw fail(`invalid email address ${show(address)}: expected exactly one "@"`);
  const [local = "", rawDomain = ""] = parts;
  if (local.length === 0 || local.length > MAX_LOCAL_LENGTH) {
    throw fail(
      `invalid email address ${show(address)}: the part before "@" must be 1–${MAX_LOCAL_LENGTH} characters`,
    );
  }
  if (!LOCAL_PART.test(local)) {
    throw fail(
      `invalid email address ${show(address)}: the part before "@" may use ASCII letters, digits and ` +
        "!#$%&'*+/=?^_`{|}~-, with single dots between them",
    );
  }
  const domain = toAsciiDomain(rawDomain);
  const labels = domain.split(".");
  const tld = labels.at(-1) ?? "";
  if (
    domain.length === 0 ||
    domain.length > MAX_DOMAIN_LENGTH ||
    labels.length < 2 ||
    !labels.every((label) => DOMAIN_LABEL.test(label)) ||
    /^\d+$/.test(tld)
  ) {
    throw fail(
      `invalid email address ${show(address)}: the domain must be a name like example.com ` +
        "(letters, digits and hyphens, at least one dot; international names are accepted)",
    );
  }
  const normalized = `${local}@${domain}`;
  if (normalized.length > MAX_EMAIL_LENGTH) {
    throw fail(
      `email address is longer than ${MAX_EMAIL_LENGTH} characters once its domain is in ASCII form`,
    );
  }
  return normalized;
}

/** Lower-cases the domain; an internationalized one is converted to its "xn--" form, which is what mail servers use. */
function toAsciiDomain(domain: string): string {
  if (/^[\x00-\x7f]*$/.test(domain)) return domain.toLowerCase();
  return domainToASCII(domain);
}

function describeChar(char: string): string {
  if (char === "\r" || char === "\n" || char === "\u2028" || char === "\u2029") return "a line break";
  if (/\p{Cc}|\p{Cf}/u.test(char)) return `a control character (${show(char)})`;
  if (/\s/.test(char)) return "a space";
  if (char === '"') return "a quote";
  if (char === "<" || char === ">") return "an angle bracket";
  if (char === ",") return "a comma (one address per subscription)";
  return `"${char}"`;
}

// --- lists ---------------------------------------------------------------

function parseList<T>(
  value: unknown,
  field: SubscriptionField,
  parseItem: (item: string) => T,
  dedupeKey: (value: T) => unknown = (v) => v,
): T[] {
  if (value === undefined || value === null) return [];
  let items: string[];
  if (typeof value === "string") {
    items = value.split(",");
  } else if (Array.isArray(value) && value.every((item) => typeof item === "string")) {
    // The CLI repeats an option ("--technology quantum,gaafet --technology ai") and a form may mix
    // a multi-select with typed text: items are split too, except keywords, which may hold a comma.
    items = field === "keywords" ? value : value.flatMap((item) => item.split(","));
  } else {
    throw new SubscriptionInputError(field, `${field} must be a list of strings or a comma-separated string`);
  }
  const trimmed = items.map((item) => item.trim()).filter((item) => item !== "");
  // Counted before parsing so an enormous list costs no per-item work.
  if (trimmed.length > MAX_LIST_VALUES) {
    throw new SubscriptionInputError(
      field,
      `${field} accepts at most ${MAX_LIST_VALUES} values (got ${trimmed.length})`,
    );
  }
  const seen = new Set<unknown>();
  const out: T[] = [];
  for (const item of trimmed) {
    let parsed: T;
    try {
      parsed = parseItem(item);
    } catch (error) {
      throw new SubscriptionInputError(field, (error as Error).message);
    }
    const key = dedupeKey(parsed);
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(parsed);
  }
  return out;
}

function fromKnown<T extends string>(
  normalized: string,
  item: string,
  knownValues: readonly T[],
  noun: string,
): T {
  const found = knownValues.find((k) => k === normalized);
  if (found === undefined)
    throw new Error(`unknown ${noun} ${show(item)} (known: ${listKnown(knownValues)})`);
  return found;
}

function listKnown(values: readonly string[]): string {
  return values.length === 0 ? "none" : values.join(", ");
}

function parseCountry(item: string): string {
  const code = item.toUpperCase();
  if (/^[A-Z]{2}$/.test(code) && isCountryCode(code)) return code;
  // The one code people reach for that ISO does not assign.
  const hint = code === "UK" ? "; the United Kingdom is GB" : "";
  throw new Error(
    `unknown country ${show(item)} (expected an ISO 3166-1 alpha-2 code such as DE or JP${hint})`,
  );
}

// Entry keys as the lists number them: "3B001", "3B001.c.1.a", "1C010.a",
// Canada's "5506(2)(c)", and a prefix ending in one "*" ("3B*").
const ENTRY_PATTERN = /^[A-Za-z0-9][A-Za-z0-9.()]*\*?$/;

function parseEntry(item: string): string {
  if (item.length > MAX_ENTRY_LENGTH) {
    throw new Error(`entry ${show(item)} is longer than ${MAX_ENTRY_LENGTH} characters`);
  }
  if (!ENTRY_PATTERN.test(item)) {
    throw new Error(
      `invalid entry ${show(item)} (expected an entry number like 3B001, 1C010.a or 5506(2)(c), ` +
        'optionally ending in one "*" like 3B*)',
    );
  }
  // Upper-case the entry number itself ("3b001" → "3B001", "ml22" → "ML22"); paragraph
  // letters after it stay as typed, since lists key them in lower case ("3B001.c.1.a").
  const head = /^[^.(*]*/.exec(item)?.[0] ?? "";
  return head.toUpperCase() + item.slice(head.length);
}

// C0/C1 controls, line and paragraph separators, and the bidirectional
// overrides that could make a keyword render as something else in a mail.
const KEYWORD_FORBIDDEN = /[\p{Cc}\u2028\u2029\u202a-\u202e\u2066-\u2069]/u;

function parseKeyword(item: string): string {
  if (item.length > MAX_KEYWORD_LENGTH) {
    throw new Error(`keyword ${show(item)} is longer than ${MAX_KEYWORD_LENGTH} characters`);
  }
  if (KEYWORD_FORBIDDEN.test(item)) throw new Error(`keyword ${show(item)} contains a control character`);
  return item;
}

// --- schedule ------------------------------------------------------------

function parseCadence(value: unknown): Cadence {
  if (isAbsent(value)) return "immediate";
  const cadence = typeof value === "string" ? value.trim().toLowerCase() : value;
  const found = CADENCES.find((c) => c === cadence);
  if (found === undefined) {
    throw new SubscriptionInputError(
      "cadence",
      `unknown cadence ${showValue(value)} (accepted: ${CADENCES.join(", ")})`,
    );
  }
  return found;
}

function parseWeekday(value: unknown): IsoWeekday {
  if (isAbsent(value)) return 1;
  if (typeof value === "string") {
    const text = value.trim().toLowerCase();
    const index = Math.max(WEEKDAYS.indexOf(text as (typeof WEEKDAYS)[number]), WEEKDAY_NAMES.indexOf(text));
    if (index >= 0) return (index + 1) as IsoWeekday;
  }
  const n = toInteger(value);
  if (n !== null && n >= 1 && n <= 7) return n as IsoWeekday;
  throw new SubscriptionInputError(
    "weekday",
    `invalid weekday ${showValue(value)} (accepted: ${WEEKDAYS.join(", ")}, or 1–7 with 1 = Monday)`,
  );
}

function parseHour(value: unknown): number {
  if (isAbsent(value)) return 8;
  const n = toInteger(value);
  if (n !== null && n >= 0 && n <= 23) return n;
  throw new SubscriptionInputError(
    "hour",
    `invalid hour ${showValue(value)} (accepted: a whole number 0–23)`,
  );
}

/** Not given: missing, null, or a blank form field (a form sends "" for an untouched text input). */
function isAbsent(value: unknown): boolean {
  return value === undefined || value === null || (typeof value === "string" && value.trim() === "");
}

/** A whole number given as a number or as digits (forms and the CLI send text). */
function toInteger(value: unknown): number | null {
  if (typeof value === "number") return Number.isInteger(value) ? value : null;
  if (typeof value === "string" && /^\s*\d{1,2}\s*$/.test(value)) return Number(value);
  return null;
}

const TIME_ZONE_NAME = /^[A-Za-z][A-Za-z0-9_+\-/]*$/;

function parseTimeZone(value: unknown): string {
  if (isAbsent(value)) return "UTC";
  const fail = () =>
    new SubscriptionInputError(
      "timeZone",
      `unknown time zone ${showValue(value)} (accepted: an IANA name such as Europe/Paris or UTC)`,
    );
  if (typeof value !== "string") throw fail();
  const name = value.trim();
  // The shape check keeps offsets ("+01:00") out, which newer V8 versions also accept as time zones.
  if (!TIME_ZONE_NAME.test(name)) throw fail();
  let resolved: string;
  try {
    resolved = new Intl.DateTimeFormat(undefined, { timeZone: name }).resolvedOptions().timeZone;
  } catch {
    throw fail();
  }
  // Only the letter case is taken from ICU ("europe/paris" → "Europe/Paris"): its canonical
  // ids are the old ones ("Asia/Kolkata" resolves to "Asia/Calcutta"), so a name is otherwise kept as given.
  return resolved.toLowerCase() === name.toLowerCase() ? resolved : name;
}

// --- messages ------------------------------------------------------------

const SHOWN_LENGTH = 60;

/** Quotes user text for an error message: cut short, with control and invisible characters escaped (terminals, logs). */
function show(text: string): string {
  const cut = text.length > SHOWN_LENGTH ? `${text.slice(0, SHOWN_LENGTH)}…` : text;
  const escaped = cut.replace(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}"\\]/gu, (c) =>
    c === '"' || c === "\\" ? `\\${c}` : `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
  return `"${escaped}"`;
}

function showValue(value: unknown): string {
  if (typeof value === "string") return show(value);
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return Array.isArray(value) ? "(a list)" : `(${typeof value})`;
}
