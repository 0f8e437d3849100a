import { resolve } from "node:path";

// Plain readers rather than a schema library: every `regwatch` command reads
// the environment first, and zod's classic build alone costs ~65 ms of start-up
// (decision 0006). Each reader gets the variable's value (never empty: empty is
// unset) and throws a message that names what was expected.

class BadValue extends Error {}

// Whole decimal numbers only: Number() reads " " as 0 and "1e3" as 1000.
function integer(min: number, max = Number.MAX_SAFE_INTEGER) {
  return (raw: string): number => {
    if (!/^-?\d+$/.test(raw)) throw new BadValue("expected a whole number");
    const n = Number(raw);
    if (n < min) throw new BadValue(`expected a number of at least ${min}`);
    if (n > max) throw new BadValue(`expected a number of at most ${max}`);
    return n;
  };
}

function oneOf<T extends string>(...values: T[]) {
  return (raw: string): T => {
    if (!(values as string[]).includes(raw)) throw new BadValue(`expected one of ${values.join(", ")}`);
    return raw as T;
  };
}

const flag = (raw: string) => oneOf("0", "1", "true", "false")(raw) === "1" || raw === "true";

function httpUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new BadValue("expected a URL");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new BadValue("expected an http(s) URL");
  return raw;
}

function originMap(raw: string): Record<string, string> {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    throw new BadValue("must be JSON");
  }
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw new BadValue("expected a JSON object of origin to origin");
  for (const [from, to] of Object.entries(value)) {
    if (typeof to !== "string") throw new BadValue(`${from}: expected a URL`);
    if (from !== "*") httpUrl(from);
    httpUrl(to);
  }
  return value as Record<string, string>;
}

const text = (raw: string) => raw;

// Signs every confirm and unsubscribe link: short keys are guessable.
function secretKey(raw: string): string {
  if (raw.length < 32) throw new BadValue("expected at least 32 characters (e.g. `openssl rand -hex 32`)");
  return raw;
}

const ADDRESS = /^[^\s@<>(),;:"\\]{1,64}@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$/;

function address(raw: string): string {
  if (!ADDRESS.test(raw)) throw new BadValue("expected an email address");
  return raw;
}

/** `address` or `Name <address>`, as the From header shows it. */
function mailbox(raw: string): string {
  const named = /^([^<>\r\n"]*)<([^<>\s]+)>$/.exec(raw.trim());
  const bare = named ? named[2]! : raw.trim();
  if (!/^[^\s@<>]+@[^\s@<>]+$/.test(bare)) throw new BadValue("expected an address or `Name <address>`");
  return raw.trim();
}

function redisPrefix(raw: string): string {
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(raw))
    throw new BadValue("expected letters, digits, '.', '_' or '-' (at most 64)");
  return raw;
}

/** Every variable regwatch reads: `loadConfig` can read no other (infra/ is checked against this list). */
export const ENVIRONMENT_VARIABLES = [
  "DATABASE_URL",
  "REDIS_URL",
  "SMTP_URL",
  "PUBLIC_URL",
  "SECRET_KEY",
  "ADMIN_EMAIL",
  "REGWATCH_MAIL_FROM",
  "PORT",
  "HOST",
  "CHROMIUM_PATH",
  "REGWATCH_DATA_DIR",
  "REGWATCH_ORIGIN_MAP",
  "REGWATCH_REQUIRE_SERVICES",
  "REGWATCH_LOG_LEVEL",
  "REGWATCH_DEBUG",
  "REGWATCH_HTTP_TIMEOUT_MS",
  "REGWATCH_MAX_RESPONSE_BYTES",
  "REGWATCH_HOST_INTERVAL_MS",
  "REGWATCH_REDIS_PREFIX",
  "REGWATCH_WORKER_CONCURRENCY",
  "REGWATCH_JOB_LOCK_MS",
  "REGWATCH_STALE_AFTER_RUNS",
  "REGWATCH_ALLOW_PRIVATE_WEBHOOKS",
  "REGWATCH_ALLOW_PRIVATE_URLS",
  "REGWATCH_PUBLIC_READ",
  // The Légifrance API through PISTE (fr.jorf.export-control), never logged.
  "LEGIFRANCE_CLIENT_ID",
  "LEGIFRANCE_CLIENT_SECRET",
  "npm_lifecycle_event",
] as const;
export type EnvironmentVariable = (typeof ENVIRONMENT_VARIABLES)[number];

export interface Config {
  databaseUrl: string | null;
  redisUrl: string | null;
  smtpUrl: string | null;
  publicUrl: string;
  secretKey: string | null;
  /** Where operator alerts go (source health transitions). */
  adminEmail: string | null;
  /** The From of every message. */
  mailFrom: string;
  /** Webhooks may target loopback and private addresses (tests only: otherwise an SSRF hole). */
  allowPrivateWebhooks: boolean;
  /** Watched pages may be on loopback, link-local or private addresses (tests, an intranet mirror). */
  allowPrivateUrls: boolean;
  /** Credentials sources use by name (`LEGIFRANCE_CLIENT_ID`, `LEGIFRANCE_CLIENT_SECRET`), only those set. */
  sourceSecrets: Readonly<Record<string, string>>;
  /** Changes, sources and the matrix readable without signing in (a public instance). */
  publicRead: boolean;
  port: number;
  host: string;
  chromiumPath: string;
  dataDir: string;
  originMap: Record<string, string>;
  requireServices: boolean;
  /** Null when unset: the service logs at info, one-shot commands at warn. */
  logLevel: string | null;
  /** Print stack traces with errors. */
  debug: boolean;
  /** Started by an npm script (`npm start`, `npx`): the service stops when its npm parent ends. */
  startedByNpm: boolean;
  http: { timeoutMs: number; maxResponseBytes: number; hostIntervalMs: number; userAgent: string };
  jobs: { concurrency: number; lockMs: number; staleAfterRuns: number; redisPrefix: string };
}

export const USER_AGENT =
  "regwatch/0.1 (export-control change tracker; +https://github.com/regwatch/regwatch; polite: 1 request/s per host)";

/** Reads and validates the environment. The one place in regwatch that looks at process.env. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  // Empty means unset, for every variable: container env files list them all
  // and leave the unused ones as `PORT=`.
  function read<T>(name: EnvironmentVariable, parse: (raw: string) => T): T | undefined;
  function read<T>(name: EnvironmentVariable, parse: (raw: string) => T, fallback: T): T;
  function read<T>(name: EnvironmentVariable, parse: (raw: string) => T, fallback?: T): T | undefined {
    const raw = env[name];
    if (raw === undefined || raw === "") return fallback;
    try {
      return parse(raw);
    } catch (err) {
      if (err instanceof BadValue) throw new Error(`bad environment: ${name}: ${err.message}`);
      throw err;
    }
  }
  const port = read("PORT", integer(0, 65535), 8080);
  const e = {
    DATABASE_URL: read("DATABASE_URL", text),
    REDIS_URL: read("REDIS_URL", text),
    SMTP_URL: read("SMTP_URL", text),
    PUBLIC_URL: read("PUBLIC_URL", httpUrl),
    SECRET_KEY: read("SECRET_KEY", secretKey),
    ADMIN_EMAIL: read("ADMIN_EMAIL", address),
    REGWATCH_MAIL_FROM: read("REGWATCH_MAIL_FROM", mailbox, "regwatch <regwatch@localhost>"),
    PORT: port,
    HOST: read("HOST", text, "127.0.0.1"),
    CHROMIUM_PATH: read("CHROMIUM_PATH", text, "/usr/bin/chromium"),
    REGWATCH_DATA_DIR: read("REGWATCH_DATA_DIR", text, "./.regwatch"),
    REGWATCH_ORIGIN_MAP: read("REGWATCH_ORIGIN_MAP", originMap),
    REGWATCH_REQUIRE_SERVICES: read("REGWATCH_REQUIRE_SERVICES", flag, false),
    REGWATCH_LOG_LEVEL: read(
      "REGWATCH_LOG_LEVEL",
      oneOf("trace", "debug", "info", "warn", "error", "fatal", "silent"),
    ),
    REGWATCH_DEBUG: read("REGWATCH_DEBUG", flag, false),
    REGWATCH_HTTP_TIMEOUT_MS: read("REGWATCH_HTTP_TIMEOUT_MS", integer(1), 30_000),
    // The full CCL is about 2 MB and Justice Laws XML well under 2 MB; 64 MB is
    // room for any legal text and still a cap on a runaway body.
    REGWATCH_MAX_RESPONSE_BYTES: read("REGWATCH_MAX_RESPONSE_BYTES", integer(1), 64 * 1024 * 1024),
    // Politeness: at most one request per host per this many milliseconds.
    REGWATCH_HOST_INTERVAL_MS: read("REGWATCH_HOST_INTERVAL_MS", integer(0), 1000),
    // Several deployments (or test runs) can share one Redis under different prefixes.
    REGWATCH_REDIS_PREFIX: read("REGWATCH_REDIS_PREFIX", redisPrefix, "regwatch"),
    REGWATCH_WORKER_CONCURRENCY: read("REGWATCH_WORKER_CONCURRENCY", integer(1, 64), 1),
    // How long a job's lock lasts without renewal: a worker that dies is noticed
    // after this long, and its job handed to another. A live worker renews it.
    REGWATCH_JOB_LOCK_MS: read("REGWATCH_JOB_LOCK_MS", integer(1000), 120_000),
    // A source is stale when this many of its scheduled runs passed without a success.
    REGWATCH_STALE_AFTER_RUNS: read("REGWATCH_STALE_AFTER_RUNS", integer(1, 1000), 3),
    // Off in production: a subscriber's webhook must not reach the service's own network.
    REGWATCH_ALLOW_PRIVATE_WEBHOOKS: read("REGWATCH_ALLOW_PRIVATE_WEBHOOKS", flag, false),
    REGWATCH_ALLOW_PRIVATE_URLS: read("REGWATCH_ALLOW_PRIVATE_URLS", flag, false),
    LEGIFRANCE_CLIENT_ID: read("LEGIFRANCE_CLIENT_ID", text),
    LEGIFRANCE_CLIENT_SECRET: read("LEGIFRANCE_CLIENT_SECRET", text),
    // A public instance: reading needs no account (reviewing always does).
    REGWATCH_PUBLIC_READ: read("REGWATCH_PUBLIC_READ", flag, false),
    // Set by npm for the scripts it runs: the service then also stops when npm goes away.
    npm_lifecycle_event: read("npm_lifecycle_event", text),
  };
  return {
    databaseUrl: e.DATABASE_URL ?? null,
    redisUrl: e.REDIS_URL ?? null,
    smtpUrl: e.SMTP_URL ?? null,
    publicUrl: e.PUBLIC_URL ?? `http://localhost:${e.PORT}`,
    secretKey: e.SECRET_KEY ?? null,
    adminEmail: e.ADMIN_EMAIL ?? null,
    mailFrom: e.REGWATCH_MAIL_FROM,
    allowPrivateWebhooks: e.REGWATCH_ALLOW_PRIVATE_WEBHOOKS,
    allowPrivateUrls: e.REGWATCH_ALLOW_PRIVATE_URLS,
    // Handed to the sources that use them (fr.jorf.export-control), never logged.
    sourceSecrets: Object.fromEntries(
      (["LEGIFRANCE_CLIENT_ID", "LEGIFRANCE_CLIENT_SECRET"] as const)
        .filter((name) => e[name])
        .map((name) => [name, e[name]!]),
    ),
    publicRead: e.REGWATCH_PUBLIC_READ,
    port: e.PORT,
    host: e.HOST,
    chromiumPath: e.CHROMIUM_PATH,
    dataDir: resolve(e.REGWATCH_DATA_DIR),
    originMap: e.REGWATCH_ORIGIN_MAP ?? {},
    requireServices: e.REGWATCH_REQUIRE_SERVICES,
    logLevel: e.REGWATCH_LOG_LEVEL ?? null,
    debug: e.REGWATCH_DEBUG,
    startedByNpm: e.npm_lifecycle_event !== undefined,
    http: {
      timeoutMs: e.REGWATCH_HTTP_TIMEOUT_MS,
      maxResponseBytes: e.REGWATCH_MAX_RESPONSE_BYTES,
      hostIntervalMs: e.REGWATCH_HOST_INTERVAL_MS,
      userAgent: USER_AGENT,
    },
    jobs: {
      concurrency: e.REGWATCH_WORKER_CONCURRENCY,
      lockMs: e.REGWATCH_JOB_LOCK_MS,
      staleAfterRuns: e.REGWATCH_STALE_AFTER_RUNS,
      redisPrefix: e.REGWATCH_REDIS_PREFIX,
    },
  };
}
