// API tokens from the terminal, on embedded defaults: one made for a user is
// printed once and authenticates as that user, the list never shows it, and
// a revoked one stops working.
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openDatabase } from "@regwatch/db/open-database";
import { apiTokenUser } from "@regwatch/db/queries/api-tokens";
import { afterAll, describe, expect, it } from "vitest";

const bin = join(import.meta.dirname, "../bin/regwatch.mjs");
const dataDir = mkdtempSync(join(tmpdir(), "regwatch-tokens-"));
const { DATABASE_URL: _db, REDIS_URL: _redis, ...rest } = process.env;
const env = { ...rest, REGWATCH_DATA_DIR: dataDir };

function regwatch(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { env }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

/** Who a token acts as, read straight from the data directory (no regwatch running holds it). */
async function tokenUser(token: string) {
  const database = await openDatabase({ dataDir });
  try {
    return await apiTokenUser(database.db, token, new Date());
  } finally {
    await database.close();
  }
}

interface Listed {
  tokens: {
    id: string;
    user: string;
    name: string;
    createdAt: string;
    lastUsedAt: string | null;
    revokedAt: string | null;
  }[];
}

afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe("regwatch tokens", () => {
  it("makes a token for a user, printed once, that authenticates as that user until revoked", async () => {
    expect((await regwatch("users", "add", "--reviewer", "analyst@example.org")).code).toBe(0);
    expect((await regwatch("tokens")).stdout).toMatch(/^no API tokens/);

    const added = await regwatch("tokens", "add", "Analyst@Example.org", "--name", "nightly export");
    expect(added.code).toBe(0);
    // Only the token on stdout; what it is, on stderr.
    expect(added.stdout).toMatch(/^rwt_[A-Za-z0-9_-]{43}\n$/);
    const token = added.stdout.trim();
    expect(added.stderr).toMatch(
      /^token [0-9a-f]{16} "nightly export" for analyst@example\.org \(reviewer\): shown once/,
    );
    const id = /^token ([0-9a-f]{16})/.exec(added.stderr)![1]!;

    const user = await tokenUser(token);
    expect(user?.email).toBe("analyst@example.org");
    expect(user?.role).toBe("reviewer");

    const listed = await regwatch("tokens", "--json");
    expect(listed.code).toBe(0);
    expect(listed.stdout).not.toContain(token);
    const { tokens } = JSON.parse(listed.stdout) as Listed;
    expect(tokens).toHaveLength(1);
    expect(tokens[0]).toMatchObject({
      id,
      user: "analyst@example.org",
      name: "nightly export",
      revokedAt: null,
    });
    // Used once above: the use is noted.
    expect(tokens[0]!.lastUsedAt).not.toBeNull();
    expect(Object.keys(tokens[0]!).sort()).toEqual(
      ["createdAt", "id", "lastUsedAt", "name", "revokedAt", "user"].sort(),
    );
    expect((await regwatch("tokens")).stdout).toMatch(
      new RegExp(`^${id} analyst@example\\.org nightly export created \\S+ last used \\S+ live$`, "m"),
    );

    const revoked = await regwatch("tokens", "revoke", id);
    expect(revoked).toMatchObject({
      code: 0,
      stdout: `token ${id} revoked: programs using it now get 401\n`,
    });
    expect(await tokenUser(token)).toBeUndefined();
    const after = JSON.parse((await regwatch("tokens", "--json")).stdout) as Listed;
    expect(after.tokens[0]!.revokedAt).not.toBeNull();
    expect((await regwatch("tokens")).stdout).toMatch(new RegExp(`^${id} .* revoked \\S+$`, "m"));

    // Revoking twice: nothing live to stop.
    const again = await regwatch("tokens", "revoke", id);
    expect(again.code).toBe(1);
    expect(again.stderr).toBe(`regwatch: no live token with id ${id} (see regwatch tokens)\n`);
  }, 300_000);

  it("refuses tokens for unknown or disabled accounts, and bad usage, with non-zero exits", async () => {
    const unknown = await regwatch("tokens", "add", "nobody@example.org");
    expect(unknown.code).toBe(1);
    expect(unknown.stdout).toBe("");
    expect(unknown.stderr).toMatch(/^regwatch: no account for nobody@example\.org/);

    expect((await regwatch("users", "add", "gone@example.org")).code).toBe(0);
    expect((await regwatch("users", "disable", "gone@example.org")).code).toBe(0);
    const disabled = await regwatch("tokens", "add", "gone@example.org");
    expect(disabled.code).toBe(1);
    expect(disabled.stdout).toBe("");
    expect(disabled.stderr).toMatch(/gone@example\.org is disabled/);

    const noEmail = await regwatch("tokens", "add");
    expect(noEmail.code).toBe(2);
    expect(noEmail.stderr).toMatch(/^regwatch: <email>: expected one address\nusage: regwatch tokens/);
    const badName = await regwatch("tokens", "add", "analyst@example.org", "--name", "");
    expect(badName.code).toBe(2);
    expect(badName.stderr).toMatch(/--name: say what uses the token/);
    const noId = await regwatch("tokens", "revoke");
    expect(noId.code).toBe(2);
    const other = await regwatch("tokens", "rotate", "x");
    expect(other.code).toBe(2);
    expect(other.stderr).toMatch(/unknown action "rotate"/);
  }, 300_000);
});
