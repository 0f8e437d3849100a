// The subscription commands as a person at a terminal uses them, on embedded
// defaults: no SMTP_URL, so the confirmation lands in the outbox directory.
import { execFile } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { simpleParser } from "mailparser";
import { afterAll, describe, expect, it } from "vitest";

const bin = join(import.meta.dirname, "../bin/regwatch.mjs");
const dataDir = mkdtempSync(join(tmpdir(), "regwatch-subscribe-"));
const { DATABASE_URL: _db, REDIS_URL: _redis, SMTP_URL: _smtp, SECRET_KEY: _key, ...rest } = process.env;
const env = { ...rest, REGWATCH_DATA_DIR: dataDir, PUBLIC_URL: "https://regwatch.example" };

function regwatch(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { env }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe("regwatch subscribe, subscriptions, unsubscribe", () => {
  it("subscribes an address pending confirmation and writes the confirmation to the outbox", async () => {
    const result = await regwatch(
      "subscribe",
      "analyst@example.org",
      "--technology",
      "quantum",
      "--jurisdiction",
      "ca",
      "--entry",
      "5506",
    );
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(
      /^subscription [0-9a-f-]{36} for analyst@example\.org: pending confirmation$/m,
    );
    expect(result.stdout).toMatch(/^ {2}Technologies: quantum$/m);
    expect(result.stdout).toMatch(/^ {2}Control entries: 5506$/m);
    expect(result.stdout).toMatch(
      /confirmation sent \(written to the outbox directory: SMTP_URL is not set\)/,
    );
    const files = readdirSync(join(dataDir, "outbox")).filter((f) => f.endsWith(".eml"));
    expect(files).toHaveLength(1);
    const eml = await simpleParser(readFileSync(join(dataDir, "outbox", files[0]!)));
    expect(eml.to).toMatchObject({ text: "analyst@example.org" });
    expect(eml.text).toMatch(/https:\/\/regwatch\.example\/subscriptions\/confirm\?token=\S+/);
    // The key that signs the links was made for this data directory.
    expect(readFileSync(join(dataDir, "secret.key"), "utf8")).toMatch(/^[0-9a-f]{64}\n$/);

    const listed = await regwatch("subscriptions", "--json");
    const { subscriptions } = JSON.parse(listed.stdout) as {
      subscriptions: { email: string; status: string; filters: { jurisdictions: string[] } }[];
    };
    expect(subscriptions).toHaveLength(1);
    expect(subscriptions[0]).toMatchObject({
      email: "analyst@example.org",
      status: "pending",
      filters: { jurisdictions: ["CA"] },
    });
  }, 60_000);

  it("names the option that is wrong and exits 2", async () => {
    const result = await regwatch("subscribe", "analyst@example.org", "--technology", "quantumm");
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^regwatch: --technology: unknown technology "quantumm"/);
    const email = await regwatch("subscribe", "not-an-address");
    expect(email.code).toBe(2);
    expect(email.stderr).toMatch(/^regwatch: <email>: /);
  }, 60_000);

  it("unsubscribes every subscription of an address, and says when there is none", async () => {
    const result = await regwatch("unsubscribe", "analyst@example.org");
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^unsubscribed [0-9a-f-]{36} \(analyst@example\.org\)$/m);
    expect(JSON.parse((await regwatch("subscriptions", "--json")).stdout)).toEqual({ subscriptions: [] });
    const again = await regwatch("unsubscribe", "analyst@example.org");
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/no active subscription for analyst@example\.org/);
  }, 60_000);
});
