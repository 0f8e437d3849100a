import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../src/index.ts";

describe("loadConfig", () => {
  it("treats an empty variable as unset, as container env files write them", () => {
    const config = loadConfig({
      PORT: "",
      HOST: "",
      DATABASE_URL: "",
      REDIS_URL: "",
      SMTP_URL: "",
      PUBLIC_URL: "",
      SECRET_KEY: "",
      ADMIN_EMAIL: "",
      REGWATCH_MAIL_FROM: "",
      CHROMIUM_PATH: "",
      REGWATCH_DATA_DIR: "",
      REGWATCH_ORIGIN_MAP: "",
      REGWATCH_REQUIRE_SERVICES: "",
      REGWATCH_LOG_LEVEL: "",
      REGWATCH_DEBUG: "",
      REGWATCH_HTTP_TIMEOUT_MS: "",
      REGWATCH_MAX_RESPONSE_BYTES: "",
      REGWATCH_HOST_INTERVAL_MS: "",
      REGWATCH_WORKER_CONCURRENCY: "",
      REGWATCH_REDIS_PREFIX: "",
      REGWATCH_JOB_LOCK_MS: "",
      REGWATCH_STALE_AFTER_RUNS: "",
    });
    expect(config).toEqual(loadConfig({}));
    expect(config).toMatchObject({
      port: 8080,
      host: "127.0.0.1",
      // Null: the embedded PGlite database under the data directory.
      databaseUrl: null,
      redisUrl: null,
      smtpUrl: null,
      publicUrl: "http://localhost:8080",
      secretKey: null,
      dataDir: resolve("./.regwatch"),
      originMap: {},
      logLevel: null,
      http: { timeoutMs: 30_000, maxResponseBytes: 64 * 1024 * 1024, hostIntervalMs: 1000 },
      jobs: { concurrency: 1, lockMs: 120_000, staleAfterRuns: 3, redisPrefix: "regwatch" },
    });
  });

  it("reads PORT=0 as any free port", () => {
    expect(loadConfig({ PORT: "0" }).port).toBe(0);
    expect(loadConfig({ PORT: "9090" }).port).toBe(9090);
  });

  it("rejects a PORT that is not a port number, naming the variable", () => {
    for (const port of ["abc", "70000", "-1", " ", "80.5", "0x50", "1e3"]) {
      expect(() => loadConfig({ PORT: port }), JSON.stringify(port)).toThrow(/^bad environment: PORT: /);
    }
  });

  it("rejects other bad values instead of reading them as unset", () => {
    expect(() => loadConfig({ REGWATCH_HTTP_TIMEOUT_MS: "soon" })).toThrow(
      /^bad environment: REGWATCH_HTTP_TIMEOUT_MS: /,
    );
    expect(() => loadConfig({ REGWATCH_ORIGIN_MAP: "{" })).toThrow(/^bad environment: REGWATCH_ORIGIN_MAP: /);
    expect(() => loadConfig({ PUBLIC_URL: "not a url" })).toThrow(/^bad environment: PUBLIC_URL: /);
    expect(() => loadConfig({ PUBLIC_URL: "ftp://example.org/" })).toThrow(/^bad environment: PUBLIC_URL: /);
    expect(() => loadConfig({ REGWATCH_ORIGIN_MAP: '["https://a.example"]' })).toThrow(
      /^bad environment: REGWATCH_ORIGIN_MAP: expected a JSON object/,
    );
    expect(() => loadConfig({ REGWATCH_ORIGIN_MAP: '{"https://a.example":"nowhere"}' })).toThrow(
      /^bad environment: REGWATCH_ORIGIN_MAP: /,
    );
    expect(() => loadConfig({ REGWATCH_ORIGIN_MAP: '{"*":"nowhere"}' })).toThrow(
      /^bad environment: REGWATCH_ORIGIN_MAP: /,
    );
    // Source credentials by name, only those set; never read by the sources from the environment.
    expect(loadConfig({ LEGIFRANCE_CLIENT_ID: "id", LEGIFRANCE_CLIENT_SECRET: "" }).sourceSecrets).toEqual({
      LEGIFRANCE_CLIENT_ID: "id",
    });
    expect(loadConfig({}).sourceSecrets).toEqual({});
    // "*" is the one key that is not an origin: it catches every origin not named.
    expect(loadConfig({ REGWATCH_ORIGIN_MAP: '{"*":"http://127.0.0.1:4010"}' }).originMap).toEqual({
      "*": "http://127.0.0.1:4010",
    });
    expect(() => loadConfig({ REGWATCH_LOG_LEVEL: "loud" })).toThrow(
      /^bad environment: REGWATCH_LOG_LEVEL: expected one of trace, debug/,
    );
    expect(() => loadConfig({ REGWATCH_REQUIRE_SERVICES: "yes" })).toThrow(
      /^bad environment: REGWATCH_REQUIRE_SERVICES: /,
    );
    expect(() => loadConfig({ REGWATCH_REDIS_PREFIX: "a b" })).toThrow(
      /^bad environment: REGWATCH_REDIS_PREFIX: /,
    );
    expect(() => loadConfig({ REGWATCH_HOST_INTERVAL_MS: "-5" })).toThrow(
      /^bad environment: REGWATCH_HOST_INTERVAL_MS: expected a number of at least 0/,
    );
  });

  it("reads the values it accepts", () => {
    const config = loadConfig({
      PUBLIC_URL: "https://regwatch.example/",
      REGWATCH_ORIGIN_MAP: '{"https://www.ecfr.gov":"http://127.0.0.1:9000"}',
      REGWATCH_REQUIRE_SERVICES: "true",
      REGWATCH_DEBUG: "1",
      REGWATCH_LOG_LEVEL: "debug",
      REGWATCH_HOST_INTERVAL_MS: "0",
    });
    expect(config).toMatchObject({
      publicUrl: "https://regwatch.example/",
      originMap: { "https://www.ecfr.gov": "http://127.0.0.1:9000" },
      requireServices: true,
      debug: true,
      logLevel: "debug",
      http: { hostIntervalMs: 0 },
    });
    expect(loadConfig({ REGWATCH_REQUIRE_SERVICES: "false", REGWATCH_DEBUG: "0" })).toMatchObject({
      requireServices: false,
      debug: false,
    });
  });

  it("reads the mail settings and refuses a short secret key", () => {
    expect(loadConfig({}).mailFrom).toBe("regwatch <regwatch@localhost>");
    expect(loadConfig({ REGWATCH_MAIL_FROM: "Compliance <alerts@example.org>" }).mailFrom).toBe(
      "Compliance <alerts@example.org>",
    );
    expect(() => loadConfig({ REGWATCH_MAIL_FROM: "nobody" })).toThrow(
      /^bad environment: REGWATCH_MAIL_FROM: /,
    );
    expect(loadConfig({ ADMIN_EMAIL: "ops@example.org" }).adminEmail).toBe("ops@example.org");
    expect(() => loadConfig({ ADMIN_EMAIL: "ops@example.org\r\nBcc: x@y.z" })).toThrow(
      /^bad environment: ADMIN_EMAIL: /,
    );
    expect(() => loadConfig({ SECRET_KEY: "short" })).toThrow(
      /^bad environment: SECRET_KEY: expected at least 32/,
    );
    expect(loadConfig({ SECRET_KEY: "k".repeat(32) }).secretKey).toBe("k".repeat(32));
  });

  it("knows when an npm script started it", () => {
    expect(loadConfig({ npm_lifecycle_event: "start" }).startedByNpm).toBe(true);
    expect(loadConfig({}).startedByNpm).toBe(false);
  });
});
