// Accounts from the terminal, on embedded defaults: the first admin, a list, a disabled account.
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const bin = join(import.meta.dirname, "../bin/regwatch.mjs");
const dataDir = mkdtempSync(join(tmpdir(), "regwatch-users-"));
const { DATABASE_URL: _db, REDIS_URL: _redis, ...rest } = process.env;
const env = { ...rest, REGWATCH_DATA_DIR: dataDir };

function regwatch(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { env }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe("regwatch users", () => {
  it("adds the first admin, lists accounts, disables one", async () => {
    expect((await regwatch("users")).stdout).toMatch(/^no users \(add the first admin/);
    const added = await regwatch("users", "add", "--admin", "Admin@Example.org");
    expect(added.stderr).toBe("");
    expect(added.stdout).toBe(
      "admin@example.org: admin; signs in at /login with a link sent to this address\n",
    );
    await regwatch("users", "add", "reviewer@example.org", "--reviewer");
    const listed = JSON.parse((await regwatch("users", "--json")).stdout) as {
      users: { email: string; role: string }[];
    };
    expect(listed.users.map((u) => [u.email, u.role])).toEqual([
      ["admin@example.org", "admin"],
      ["reviewer@example.org", "reviewer"],
    ]);
    expect((await regwatch("users", "disable", "reviewer@example.org")).stdout).toMatch(/disabled/);
    expect((await regwatch("users")).stdout).toMatch(/^reviewer@example\.org reviewer disabled$/m);
    const again = await regwatch("users", "disable", "reviewer@example.org");
    expect(again.code).toBe(1);
  }, 120_000);

  it("says what is wrong with a bad address or two roles, and exits 2", async () => {
    const bad = await regwatch("users", "add", "not-an-address");
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^regwatch: <email>: expected one address/);
    const two = await regwatch("users", "add", "--admin", "--viewer", "x@example.org");
    expect(two.code).toBe(2);
    expect(two.stderr).toMatch(/give one of --admin, --reviewer, --viewer/);
  }, 60_000);
});
