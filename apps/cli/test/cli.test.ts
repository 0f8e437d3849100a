import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { changeRecordSchema } from "@regwatch/core/schemas";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildEcl, eclItems } from "../../../test/support/ecl-builder.ts";
import type { Io } from "../src/io.ts";
import { execute } from "../src/main.ts";

const repo = join(import.meta.dirname, "../../..");
const fixtures = join(repo, "packages/sources/src");
const CA_2024 = join(fixtures, "ca/export-control-list/fixtures/ecl-small-2024.xml");
const CA_2025 = join(fixtures, "ca/export-control-list/fixtures/ecl-small-2025.xml");
const CCL_A = join(fixtures, "us/ecfr-ccl/fixtures/ccl-small-2024-08-01.xml");
const CCL_B = join(fixtures, "us/ecfr-ccl/fixtures/ccl-small-2024-09-06.xml");

let dataDir: string;
let fullV1: string;
let fullV2: string;
beforeAll(() => {
  dataDir = mkdtempSync(join(tmpdir(), "regwatch-cli-"));
  // Full-size lists: the real expectations (at least 120 entries) apply on ingest.
  const items = eclItems(150);
  fullV1 = join(dataDir, "ecl-v1.xml");
  writeFileSync(
    fullV1,
    buildEcl(items, { lastAmended: "2024-07-19", amendments: [["SOR/2024-112", "2024-07-19"]] }),
  );
  const next = items
    .filter((i) => i.label !== "5101")
    .map((i) =>
      i.label === "5130"
        ? {
            ...i,
            text: "Goods of kind 30, as described in the Guide. (All destinations other than the United States)",
            inForce: "2025-04-25",
          }
        : i,
    );
  next.push({
    label: "5506",
    text: "quantum computers supporting 34 or more physical qubits;",
    inForce: "2025-04-25",
  });
  fullV2 = join(dataDir, "ecl-v2.xml");
  writeFileSync(
    fullV2,
    buildEcl(next, {
      lastAmended: "2025-04-25",
      amendments: [
        ["SOR/2025-89", "2025-04-25"],
        ["SOR/2024-112", "2024-07-19"],
      ],
    }),
  );
});
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

async function run(...argv: string[]) {
  let stdout = "";
  let stderr = "";
  const io: Io = {
    out: (t) => {
      stdout += t;
    },
    err: (t) => {
      stderr += t;
    },
    cwd: repo,
    // No DATABASE_URL: the embedded database, as on a fresh machine.
    env: { REGWATCH_DATA_DIR: dataDir, REGWATCH_LOG_LEVEL: "silent" },
  };
  const code = await execute(argv, io);
  return { code, stdout, stderr };
}

describe("regwatch parse and diff (no database)", () => {
  it("prints a list snapshot with the brief's field names", async () => {
    const { code, stdout } = await run("parse", "ca.export-control-list", CA_2024, "--json");
    expect(code).toBe(0);
    const snapshot = JSON.parse(stdout);
    expect(snapshot).toMatchObject({ source: "ca.export-control-list", kind: "list" });
    expect(Object.keys(snapshot.entries[0])).toEqual(
      expect.arrayContaining(["key", "parentKey", "heading", "text"]),
    );
    expect(snapshot.entries).toHaveLength(17);
  });

  it("prints change records that satisfy the contract", async () => {
    const { code, stdout } = await run("diff", "us.ecfr.ccl", CCL_A, CCL_B, "--json", "--at", "2024-09-07");
    expect(code).toBe(0);
    const { changes } = JSON.parse(stdout) as { changes: unknown[] };
    expect(changes).toHaveLength(6);
    for (const c of changes) {
      const record = changeRecordSchema.parse(c);
      expect(record.detectedAt).toBe("2024-09-07T00:00:00.000Z");
      for (const field of [
        "id",
        "source",
        "jurisdiction",
        "kind",
        "subject",
        "title",
        "before",
        "after",
        "technologies",
        "countries",
        "publishedAt",
        "effectiveAt",
        "detectedAt",
        "url",
        "citation",
        "provenance",
      ]) {
        expect(c).toHaveProperty(field);
      }
    }
  });

  it("prints one readable line per change without --json", async () => {
    const { stdout } = await run("diff", "ca.export-control-list", CA_2024, CA_2025);
    expect(stdout.trim().split("\n")).toEqual([
      expect.stringMatching(
        /^2025-04-25 {2}CA {2}modified +5506\(2\)\(c\)\(ii\) {2}5506 changed paragraph \(2\)\(c\)\(ii\).*\(SOR\/2025-89\) \[quantum\]$/,
      ),
      expect.stringMatching(/added +5506\(2\)\(c\)\(iii\)/),
      expect.stringMatching(/removed +5101 {2}5101 removed: Logs of all species of wood/),
      "3 changes",
    ]);
  });

  it("exits 2 with the usage on bad usage", async () => {
    for (const argv of [
      ["parse"],
      ["diff", "ca.export-control-list", CA_2024],
      ["parse", "xx.nope", CA_2024],
      ["frobnicate"],
      ["changes", "--country", "Narnia"],
    ]) {
      const { code, stderr } = await run(...argv);
      expect(code, argv.join(" ")).toBe(2);
      expect(stderr).toMatch(/^regwatch: /);
    }
    const unknownFlag = await run("parse", "ca.export-control-list", CA_2024, "--jsn");
    expect(unknownFlag.code).toBe(2);
    expect(unknownFlag.stderr).toContain("usage: regwatch parse");
  });

  it("exits 1 with a one-line reason when the work fails", async () => {
    const missing = await run("parse", "ca.export-control-list", join(dataDir, "nope.xml"));
    expect(missing.code).toBe(1);
    expect(missing.stderr.trim().split("\n")).toHaveLength(1);
    expect(missing.stderr).toMatch(/^regwatch: ENOENT/);
    const wrong = await run("parse", "ca.export-control-list", CCL_A);
    expect(wrong).toMatchObject({
      code: 1,
      stderr: "regwatch: expected a Justice Laws <Regulation>, found <DIV5>\n",
    });
  });
});

describe("regwatch ingest and changes (embedded database)", () => {
  it("stores a baseline, then the changes, and ingesting the same file twice adds nothing", async () => {
    expect(await run("ingest", "ca.export-control-list", fullV1, "--at", "2024-07-25")).toMatchObject({
      code: 0,
      stdout: "ca.export-control-list: baseline stored\n",
    });
    expect(await run("ingest", "ca.export-control-list", fullV2, "--at", "2025-07-25")).toMatchObject({
      code: 0,
      stdout: "ca.export-control-list: 3 changes\n",
    });
    expect(await run("ingest", "ca.export-control-list", fullV2, "--at", "2025-07-26")).toMatchObject({
      code: 0,
      stdout: "ca.export-control-list: nothing new\n",
    });
    const { stdout } = await run("changes", "--json");
    const { changes } = JSON.parse(stdout) as { changes: { subject: string; detectedAt: string }[] };
    expect(changes.map((c) => c.subject)).toEqual(["5130", "5506", "5101"]);
    expect(changes.every((c) => c.detectedAt === "2025-07-25T00:00:00.000Z")).toBe(true);
  });

  it("filters by technology, jurisdiction and date, and writes CSV", async () => {
    const quantum = await run("changes", "--technology", "quantum", "--json");
    expect(JSON.parse(quantum.stdout).changes.map((c: { subject: string }) => c.subject)).toEqual(["5506"]);
    const us = await run("changes", "--jurisdiction", "us", "--json");
    expect(JSON.parse(us.stdout).changes).toHaveLength(0);
    const later = await run("changes", "--since", "2025-07-26", "--json");
    expect(JSON.parse(later.stdout).changes).toHaveLength(0);
    const csv = await run("changes", "--csv");
    const lines = csv.stdout.trim().split("\r\n");
    expect(lines[0]).toBe(
      "id,source,jurisdiction,kind,subject,title,before,after,technologies,countries,publishedAt,effectiveAt,detectedAt,url,citation,artifactSha256,fetchedAt,parserVersion,origin,alert",
    );
    expect(lines).toHaveLength(4);
  });

  it("quarantines a list far smaller than the source expects, and says so", async () => {
    const small = await run("ingest", "ca.export-control-list", CA_2024, "--at", "2025-07-27");
    expect(small).toMatchObject({
      code: 1,
      stdout: "ca.export-control-list: quarantined: 17 entries, fewer than the 120 expected\n",
    });
    const { stdout } = await run("changes", "--json");
    expect(JSON.parse(stdout).changes).toHaveLength(3);
  });

  it("lists the sources with their health", async () => {
    const { code, stdout } = await run("sources", "--json");
    expect(code).toBe(0);
    const { sources } = JSON.parse(stdout) as { sources: { id: string; health: string }[] };
    expect(sources.map((s) => [s.id, s.health])).toEqual([
      ["us.federal-register", "unknown"],
      ["us.ecfr.ccl", "unknown"],
      ["ca.export-control-list", "quarantined"],
    ]);
  });
});
