import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "@regwatch/config";
import { afterAll, describe, expect, it } from "vitest";
import { secretKey } from "../src/secret-key.ts";

const dir = mkdtempSync(join(tmpdir(), "regwatch-secret-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("secretKey", () => {
  it("uses SECRET_KEY when set", () => {
    expect(secretKey(loadConfig({ SECRET_KEY: "s".repeat(40), REGWATCH_DATA_DIR: dir }))).toBe(
      "s".repeat(40),
    );
  });

  it("makes one key for an embedded data directory, keeps it to its owner, and reads the same one after", () => {
    const config = loadConfig({ REGWATCH_DATA_DIR: join(dir, "data") });
    const first = secretKey(config);
    expect(first).toMatch(/^[0-9a-f]{64}$/);
    expect(secretKey(config)).toBe(first);
    expect(statSync(join(dir, "data", "secret.key")).mode & 0o777).toBe(0o600);
  });

  it("requires SECRET_KEY with a PostgreSQL server, where every node must sign alike", () => {
    expect(() =>
      secretKey(loadConfig({ DATABASE_URL: "postgres://x@127.0.0.1/db", REGWATCH_DATA_DIR: dir })),
    ).toThrow(/SECRET_KEY is not set: with DATABASE_URL/);
  });
});
