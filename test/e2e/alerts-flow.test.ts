// The alerts as a new user meets them: `regwatch start` on embedded defaults
// with SMTP_URL pointing at a plain SMTP server; addresses subscribed with the
// CLI and confirmed by following the emailed links; a new list version
// ingested; the weekly digest sent twice for the same moment; a one-click
// unsubscribe from the List-Unsubscribe header; the next change reaching the
// others but not that address.

import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eclItems, eclVersion } from "../support/ecl-builder.ts";
import { freePort, launch, type Running } from "../support/processes.ts";
import { type ReceivedMessage, startSmtpServer, type TestSmtpServer } from "../support/smtp.ts";

const bin = join(import.meta.dirname, "../../apps/cli/bin/regwatch.mjs");
const items = eclItems(120);
const version = (lastAmended: string, list = items) => eclVersion(list, lastAmended);

let dir: string;
let smtp: TestSmtpServer;
let service: Running;
let base: string;
let env: NodeJS.ProcessEnv;

function regwatch(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { env }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

const to = (address: string): ReceivedMessage[] => smtp.messages.filter((m) => m.to.includes(address));

/** A header as it came on the wire, unfolded. */
function header(m: ReceivedMessage, name: string): string {
  const head = m.raw
    .toString("utf8")
    .split("\r\n\r\n")[0]!
    .replace(/\r\n[ \t]+/g, " ");
  const line = head.split("\r\n").find((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`));
  return line?.slice(name.length + 1).trim() ?? "";
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "regwatch-alerts-flow-"));
  smtp = await startSmtpServer();
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  const {
    DATABASE_URL: _db,
    REDIS_URL: _redis,
    SECRET_KEY: _key,
    ADMIN_EMAIL: _admin,
    ...rest
  } = process.env;
  env = {
    ...rest,
    REGWATCH_DATA_DIR: join(dir, "data"),
    PORT: String(port),
    HOST: "127.0.0.1",
    PUBLIC_URL: base,
    SMTP_URL: smtp.url,
    REGWATCH_MAIL_FROM: "regwatch <alerts@regwatch.test>",
    // No source is fetched: the versions come in by `ingest`.
    REGWATCH_ORIGIN_MAP: JSON.stringify({
      "https://www.federalregister.gov": "http://127.0.0.1:9",
      "https://www.ecfr.gov": "http://127.0.0.1:9",
      "https://laws-lois.justice.gc.ca": "http://127.0.0.1:9",
    }),
  };
  service = await launch(["start", "--no-run"], env, /listening on http:\/\/[\d.]+:\d+/);
  writeFileSync(join(dir, "ecl-1.xml"), version("2026-11-01"));
  writeFileSync(
    join(dir, "ecl-2.xml"),
    version("2026-11-17", [
      ...items.slice(0, 10),
      { label: "5111", text: "Quantum computers, as described in the Guide. (All destinations)" },
      ...items.slice(11),
      { label: "5999", text: "Cryogenic wafer probers. (All destinations)" },
    ]),
  );
  writeFileSync(
    join(dir, "ecl-3.xml"),
    version("2026-11-25", [
      ...items.slice(0, 10),
      { label: "5111", text: "Quantum computers, as described in the Guide. (All destinations)" },
      ...items.slice(11),
      { label: "5999", text: "Cryogenic wafer probers and their chucks. (All destinations)" },
    ]),
  );
}, 90_000);

afterAll(async () => {
  service?.child.kill("SIGTERM");
  await service?.exited(20_000).catch(() => undefined);
  await smtp?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("alerts from a running service, as a new user meets them", () => {
  it("confirms each subscription from the link in its email", async () => {
    for (const args of [
      ["ca@example.org", "--jurisdiction", "ca"],
      ["probers@example.org", "--entry", "5999"],
      ["us@example.org", "--jurisdiction", "us"],
      [
        "weekly@example.org",
        "--jurisdiction",
        "ca",
        "--cadence",
        "weekly",
        "--weekday",
        "mon",
        "--hour",
        "8",
      ],
    ]) {
      const result = await regwatch("subscribe", ...args);
      expect(result.stderr).toBe("");
      expect(result.stdout).toMatch(/confirmation sent \(by SMTP\)/);
    }
    await smtp.waitFor(4);
    for (const m of smtp.messages) {
      const link = new RegExp(`${base}/subscriptions/confirm\\?token=\\S+`).exec(m.parsed.text ?? "")![0];
      const res = await fetch(link);
      expect(res.status).toBe(200);
      expect(await res.text()).toMatch(/Subscription confirmed/);
    }
    const listed = JSON.parse((await regwatch("subscriptions", "--json")).stdout) as {
      subscriptions: { status: string }[];
    };
    expect(listed.subscriptions.map((s) => s.status)).toEqual(["active", "active", "active", "active"]);
  }, 60_000);

  it("sends one grouped alert to each matching immediate subscriber when a new version comes in, nothing to the rest", async () => {
    expect(
      (
        await regwatch(
          "ingest",
          "ca.export-control-list",
          join(dir, "ecl-1.xml"),
          "--at",
          "2026-11-02T06:00:00Z",
        )
      ).stdout,
    ).toMatch(/baseline stored/);
    const second = await regwatch(
      "ingest",
      "ca.export-control-list",
      join(dir, "ecl-2.xml"),
      "--at",
      "2026-11-18T06:00:00Z",
    );
    expect(second.stdout).toMatch(/ca\.export-control-list: 2 changes/);
    expect(second.stdout).toMatch(/alerts: 2 sent/);
    await smtp.waitFor(6);
    expect(to("ca@example.org")).toHaveLength(2);
    expect(to("probers@example.org")).toHaveLength(2);
    expect(to("us@example.org")).toHaveLength(1);
    expect(to("weekly@example.org")).toHaveLength(1);
    const alert = to("ca@example.org")[1]!;
    expect(alert.parsed.subject).toMatch(/^\[CA\] ECL: 2 changes \(5111, 5999\)/);
    expect(header(alert, "List-Unsubscribe-Post")).toBe("List-Unsubscribe=One-Click");
  }, 60_000);

  it("sends the weekly digest once, however often it is asked for the same moment", async () => {
    const first = await regwatch("digest", "--cadence", "weekly", "--now", "2026-11-23T09:00:00Z");
    expect(first.stdout).toMatch(/weekly: 1 subscriptions, 1 digests due at 2026-11-23T09:00:00.000Z, 1 new/);
    expect(first.stdout).toMatch(/sent 1,/);
    const again = await regwatch("digest", "--cadence", "weekly", "--now", "2026-11-23T09:00:00Z");
    expect(again.stdout).toMatch(/1 digests due at 2026-11-23T09:00:00.000Z, 0 new/);
    expect(again.stdout).toMatch(/sent 0,/);
    await smtp.waitFor(7);
    const digests = to("weekly@example.org").slice(1);
    expect(digests).toHaveLength(1);
    expect(digests[0]!.parsed.subject).toBe("[Weekly] 2 changes in 1 jurisdiction, 2026-11-16 – 11-22");
    expect(digests[0]!.parsed.text).toMatch(/ECL 5111/);
    expect(digests[0]!.parsed.text).toMatch(/ECL 5999/);
  }, 60_000);

  it("stops one address from the List-Unsubscribe header's one-click POST; the next change reaches the others", async () => {
    const list = header(to("probers@example.org")[1]!, "List-Unsubscribe");
    const link = /<(http[^>]+)>/.exec(list)![1]!;
    expect(link.startsWith(`${base}/unsubscribe?token=`)).toBe(true);
    const res = await fetch(link, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "List-Unsubscribe=One-Click",
    });
    expect(res.status).toBe(200);

    const before = smtp.messages.length;
    const third = await regwatch(
      "ingest",
      "ca.export-control-list",
      join(dir, "ecl-3.xml"),
      "--at",
      "2026-11-26T06:00:00Z",
    );
    expect(third.stdout).toMatch(/alerts: 1 sent/);
    await smtp.waitFor(before + 1);
    await new Promise((r) => setTimeout(r, 300));
    expect(smtp.messages.slice(before).map((m) => m.to[0])).toEqual(["ca@example.org"]);
  }, 60_000);
});
