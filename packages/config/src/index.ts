import { resolve } from "node:path";
import { z } from "zod";

const originMapSchema = z
  .string()
  .transform((raw, ctx) => {
    try {
      return JSON.parse(raw) as unknown;
    } catch {
      ctx.addIssue({ code: "custom", message: "REGWATCH_ORIGIN_MAP must be JSON" });
      return z.NEVER;
    }
  })
  .pipe(z.record(z.url(), z.url()));

// Whole decimal numbers only: z.coerce.number() reads " " as 0 and "1e3" as 1000.
const integerSchema = z
  .string()
  .regex(/^-?\d+$/, "expected a whole number")
  .transform(Number)
  .pipe(z.number().int());

const envSchema = z.object({
  DATABASE_URL: z.string().min(1).optional(),
  REDIS_URL: z.string().min(1).optional(),
  SMTP_URL: z.string().min(1).optional(),
  PUBLIC_URL: z.url().optional(),
  SECRET_KEY: z.string().min(1).optional(),
  // 0 asks the system for any free port (the tests use it).
  PORT: integerSchema.pipe(z.number().min(0).max(65535)).default(8080),
  HOST: z.string().default("127.0.0.1"),
  CHROMIUM_PATH: z.string().default("/usr/bin/chromium"),
  REGWATCH_DATA_DIR: z.string().default("./.regwatch"),
  REGWATCH_ORIGIN_MAP: originMapSchema.optional(),
  REGWATCH_REQUIRE_SERVICES: z
    .enum(["0", "1", "true", "false"])
    .optional()
    .transform((v) => v === "1" || v === "true"),
  REGWATCH_LOG_LEVEL: z.enum(["trace", "debug", "info", "warn", "error", "fatal", "silent"]).optional(),
  REGWATCH_DEBUG: z
    .enum(["0", "1", "true", "false"])
    .optional()
    .transform((v) => v === "1" || v === "true"),
  REGWATCH_HTTP_TIMEOUT_MS: integerSchema.pipe(z.number().positive()).default(30_000),
  // The full CCL is about 2 MB and Justice Laws XML well under 2 MB; 64 MB is
  // room for any legal text and still a cap on a runaway body.
  REGWATCH_MAX_RESPONSE_BYTES: integerSchema.pipe(z.number().positive()).default(64 * 1024 * 1024),
  // Politeness: at most one request per host per this many milliseconds.
  REGWATCH_HOST_INTERVAL_MS: integerSchema.pipe(z.number().nonnegative()).default(1000),
  // Set by npm for the scripts it runs: the service then also stops when npm goes away.
  npm_lifecycle_event: z.string().optional(),
});

export interface Config {
  databaseUrl: string | null;
  redisUrl: string | null;
  smtpUrl: string | null;
  publicUrl: string;
  secretKey: string | null;
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
}

export const USER_AGENT =
  "regwatch/0.1 (export-control change tracker; +https://github.com/regwatch/regwatch; polite: 1 request/s per host)";

/** Reads and validates the environment. The one place in regwatch that looks at process.env. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  // Empty means unset, for every variable: container env files list them all
  // and leave the unused ones as `PORT=`.
  const set = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== ""));
  const parsed = envSchema.safeParse(set);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`bad environment: ${issue?.path.join(".")}: ${issue?.message}`);
  }
  const e = parsed.data;
  return {
    databaseUrl: e.DATABASE_URL ?? null,
    redisUrl: e.REDIS_URL ?? null,
    smtpUrl: e.SMTP_URL ?? null,
    publicUrl: e.PUBLIC_URL ?? `http://localhost:${e.PORT}`,
    secretKey: e.SECRET_KEY ?? null,
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
  };
}
