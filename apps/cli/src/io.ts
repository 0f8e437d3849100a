import { UsageError } from "@regwatch/core/errors";

/** Where a command writes. Commands never touch process.stdout, so a running server can run them for another process. */
export interface Io {
  out(text: string): void;
  err(text: string): void;
  cwd: string;
  env: Record<string, string | undefined>;
}

export function processIo(): Io {
  // `regwatch changes | head` closes the pipe early; that is not an error.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on("error", (err: NodeJS.ErrnoException) => {
      if (err.code === "EPIPE") process.exit(process.exitCode ?? 0);
      throw err;
    });
  }
  return {
    out: (t) => process.stdout.write(t),
    err: (t) => process.stderr.write(t),
    cwd: process.cwd(),
    env: process.env,
  };
}

/**
 * Bad usage (exit 2). `reason` says in one line what is wrong ("missing <file>");
 * `execute` prints it and then the command's usage, so never pass the usage itself.
 */
export function usage(reason: string): never {
  throw new UsageError(reason);
}

/** A value from the command line, quoted so that it stays on the one line of the reason. */
export function quoted(value: string): string {
  return JSON.stringify(value);
}

/** Checks the positional arguments against their names in the usage line (`<source>`, `<file>`). */
export function expectPositionals(positionals: readonly string[], names: readonly string[]): void {
  if (positionals.length < names.length) usage(`missing ${names.slice(positionals.length).join(" ")}`);
  if (positionals.length > names.length) usage(`unexpected argument ${quoted(positionals[names.length]!)}`);
}

/**
 * The usage error `err` stands for, if any: ours, or one from node's
 * `parseArgs`, whose messages run over several lines and tell a script writer
 * about `--`; they are reworded as one line naming the option.
 */
export function asUsageError(err: unknown): UsageError | undefined {
  if (err instanceof UsageError) return err;
  const { code, message } = (err ?? {}) as { code?: unknown; message?: unknown };
  if (typeof code !== "string" || !code.startsWith("ERR_PARSE_ARGS") || typeof message !== "string")
    return undefined;
  const option = /^(?:Unknown option|Option) '([^' ]+)/.exec(message)?.[1];
  const positional = /^Unexpected argument '(.*)'\. /.exec(message)?.[1];
  if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION" && option) return new UsageError(`unknown option ${option}`);
  if (code === "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL" && positional !== undefined)
    return new UsageError(`unexpected argument ${quoted(positional)}`);
  if (code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE" && option) {
    if (/does not take an argument/.test(message)) return new UsageError(`${option} takes no value`);
    // "argument missing", or "ambiguous" when the next word is another option.
    return new UsageError(`missing value for ${option}`);
  }
  return new UsageError(message.split("\n")[0]!);
}

// Export-control law is a twentieth-century invention (the US Trading with the
// Enemy Act is from 1917, CoCom from 1949), so an earlier year is a typo; and
// four digits is what YYYY-MM-DD, `toISOString()` and PostgreSQL's date input
// (which has no year 0) agree on.
const MIN_YEAR = 1900;
const MAX_YEAR = 9999;

// A date, or a date and time with an optional zone (RFC 3339, minutes required).
const ISO_DATE =
  /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(?:Z|([+-])(\d{2}):?(\d{2}))?)?$/;

/**
 * A date flag (`--at`, `--since`, `--as-of`), strictly: a day that the calendar
 * has, a time that the clock has, years MIN_YEAR to MAX_YEAR. A bare date is
 * midnight UTC and so is a time without a zone, so that a replay does not
 * depend on the machine's time zone.
 */
export function isoDateArg(value: string | undefined, flag: string): Date | undefined {
  if (value === undefined) return undefined;
  const match = ISO_DATE.exec(value);
  if (!match)
    usage(
      `${flag}: ${quoted(value)} is not an ISO date (2024-09-06, 2024-09-06T12:00:00Z or with an offset)`,
    );
  const [
    ,
    year,
    month,
    day,
    hour = "0",
    minute = "0",
    second = "0",
    fraction = "",
    sign,
    offsetH = "0",
    offsetM = "0",
  ] = match;
  const y = Number(year);
  const mo = Number(month);
  const d = Number(day);
  const h = Number(hour);
  const mi = Number(minute);
  const s = Number(second);
  const oh = Number(offsetH);
  const om = Number(offsetM);
  if (y < MIN_YEAR || y > MAX_YEAR)
    usage(`${flag}: ${quoted(value)} is outside the years ${MIN_YEAR} to ${MAX_YEAR}`);
  if (h > 23 || mi > 59 || s > 59 || oh > 23 || om > 59)
    usage(`${flag}: ${quoted(value)} is not a valid time`);
  // Date.UTC rolls over (February 30 becomes March 2): a day that does not come
  // back as written is not in the calendar. The check is on the time as
  // written, before the offset moves it to UTC.
  const written = new Date(Date.UTC(y, mo - 1, d, h, mi, s, Number(fraction.slice(0, 3).padEnd(3, "0"))));
  if (written.getUTCFullYear() !== y || written.getUTCMonth() !== mo - 1 || written.getUTCDate() !== d)
    usage(`${flag}: ${quoted(value)} is not a calendar date`);
  const offsetMs = (sign === "-" ? -1 : 1) * (oh * 60 + om) * 60_000;
  const date = new Date(written.getTime() - offsetMs);
  // An offset can carry the last or first hours over the range's edge.
  const utcYear = date.getUTCFullYear();
  if (utcYear < MIN_YEAR || utcYear > MAX_YEAR)
    usage(`${flag}: ${quoted(value)} is outside the years ${MIN_YEAR} to ${MAX_YEAR}`);
  return date;
}
