import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { changeRecordSchema } from "@regwatch/core/schemas";
import { sha256Hex } from "@regwatch/core/text";
import { openDatabase } from "@regwatch/db/open-database";
import { SOURCES } from "@regwatch/sources/registry";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildEcl, eclItems } from "../../../test/support/ecl-builder.ts";
import type { Io } from "../src/io.ts";
import { COMMANDS, execute } from "../src/main.ts";

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
  return runWith({}, argv);
}

async function runWith(env: Record<string, string>, argv: string[]) {
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
    env: { REGWATCH_DATA_DIR: dataDir, REGWATCH_LOG_LEVEL: "silent", ...env },
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

describe("regwatch bad usage: exit 2, one line saying what is wrong, then the usage once", () => {
  // A data directory of its own and the Canadian source sent to a closed port:
  // a command that failed to reject its arguments touches neither the other
  // tests' database nor the network.
  let usageDir: string;
  beforeAll(() => {
    usageDir = mkdtempSync(join(tmpdir(), "regwatch-cli-usage-"));
  });
  afterAll(() => rmSync(usageDir, { recursive: true, force: true }));
  const usageRun = (...argv: string[]) =>
    runWith(
      {
        REGWATCH_DATA_DIR: usageDir,
        REGWATCH_ORIGIN_MAP: JSON.stringify({ "https://laws-lois.justice.gc.ca": "http://127.0.0.1:9" }),
      },
      argv,
    );
  const MISSING = join(repo, "does-not-exist.xml");
  const KNOWN_SOURCES = SOURCES.map((s) => s.id).join(", ");

  /** The reason line, after checking the exit code, the empty stdout and the single usage line. */
  async function usageReason(...argv: string[]): Promise<string> {
    const { code, stdout, stderr } = await usageRun(...argv);
    const label = argv.join(" ");
    expect(code, label).toBe(2);
    expect(stdout, label).toBe("");
    const usage = COMMANDS.find((c) => c.name === argv[0])!.usage;
    const [reason, usageLine, ...rest] = stderr.split("\n");
    expect([usageLine, ...rest], label).toEqual([`usage: ${usage}`, ""]);
    expect(reason, label).toMatch(/^regwatch: /);
    return reason!.slice("regwatch: ".length);
  }

  it("rejects a day that does not exist instead of rolling it over, naming the flag and the value", async () => {
    expect(await usageReason("diff", "us.ecfr.ccl", CCL_A, CCL_B, "--at", "2025-02-30")).toBe(
      '--at: "2025-02-30" is not a calendar date',
    );
    for (const value of [
      "2023-02-29",
      "2024-04-31",
      "2024-13-01",
      "2024-00-10",
      "2024-09-00",
      "2024-02-30T10:00:00+02:00",
      "2024-09-06T24:00:00Z",
      "2024-09-06T12:60Z",
      "2024-09-06T12:00:60Z",
      "2024-09-06T12:00+24:00",
      "2024-09-06T12:00+05:60",
      "2024-9-6",
      "06/09/2024",
      "2024-09-06T12",
      "2024-09-06 12:00",
      "",
    ]) {
      const reason = await usageReason("diff", "us.ecfr.ccl", CCL_A, CCL_B, "--at", value);
      expect(reason).toMatch(/^--at: /);
      expect(reason).toContain(JSON.stringify(value));
    }
  });

  it("rejects years outside 1900–9999 instead of failing in SQL", async () => {
    expect(await usageReason("ingest", "ca.export-control-list", MISSING, "--at", "0000-01-01")).toBe(
      '--at: "0000-01-01" is outside the years 1900 to 9999',
    );
    expect(await usageReason("changes", "--since", "0000-01-01")).toMatch(
      /^--since: "0000-01-01" is outside/,
    );
    expect(await usageReason("changes", "--since", "1899-12-31")).toMatch(
      /^--since: "1899-12-31" is outside/,
    );
    expect(await usageReason("changes", "--since", "9999-12-31T23:00:00-05:00")).toMatch(/is outside/);
  });

  it("checks every date flag of every command strictly", async () => {
    for (const [argv, flag] of [
      [["diff", "us.ecfr.ccl", CCL_A, CCL_B, "--at"], "--at"],
      [["ingest", "ca.export-control-list", MISSING, "--at"], "--at"],
      [["ingest", "ca.export-control-list", MISSING, "--as-of"], "--as-of"],
      [["run", "ca.export-control-list", "--at"], "--at"],
      [["changes", "--since"], "--since"],
      [["backfill", "ca.export-control-list", "--since"], "--since"],
      [["backfill", "ca.export-control-list", "--since", "2024-01-01", "--at"], "--at"],
    ] as const) {
      expect(await usageReason(...argv, "2025-02-30")).toBe(`${flag}: "2025-02-30" is not a calendar date`);
    }
  });

  it("accepts real dates: leap days, times and offsets", async () => {
    for (const [value, detectedAt] of [
      ["2024-02-29", "2024-02-29T00:00:00.000Z"],
      ["2024-02-29T23:30:00-05:00", "2024-03-01T04:30:00.000Z"],
      ["2024-09-06T12:00Z", "2024-09-06T12:00:00.000Z"],
      ["2024-09-06T12:00:30.25+0130", "2024-09-06T10:30:30.250Z"],
      // No zone: UTC like a bare date, so a replay does not depend on the machine's time zone.
      ["2024-09-06T12:00:00", "2024-09-06T12:00:00.000Z"],
      ["1900-01-01", "1900-01-01T00:00:00.000Z"],
    ]) {
      const { code, stdout, stderr } = await run(
        "diff",
        "us.ecfr.ccl",
        CCL_A,
        CCL_B,
        "--json",
        "--at",
        value!,
      );
      expect(stderr, value).toBe("");
      expect(code, value).toBe(0);
      const { changes } = JSON.parse(stdout) as { changes: { detectedAt: string }[] };
      expect(changes[0]?.detectedAt, value).toBe(detectedAt);
    }
  });

  it("says which of two exclusive options to drop, and prints the usage once", async () => {
    expect(await usageReason("changes", "--json", "--csv")).toBe("choose one of --json and --csv");
  });

  it("names the missing argument", async () => {
    expect(await usageReason("parse")).toBe("missing <source> <file>");
    expect(await usageReason("parse", "ca.export-control-list")).toBe("missing <file>");
    expect(await usageReason("diff", "ca.export-control-list", CA_2024)).toBe("missing <new>");
    expect(await usageReason("ingest", "ca.export-control-list")).toBe("missing <file>");
    expect(await usageReason("backfill")).toBe("missing <source>");
    expect(await usageReason("backfill", "ca.export-control-list")).toBe("missing --since <date>");
    expect(await usageReason("changes", "--since")).toBe("missing value for --since");
  });

  it("names the argument or option it did not expect", async () => {
    expect(await usageReason("parse", "ca.export-control-list", CA_2024, "extra")).toBe(
      'unexpected argument "extra"',
    );
    expect(await usageReason("changes", "quantum")).toBe('unexpected argument "quantum"');
    expect(await usageReason("sources", "x")).toBe('unexpected argument "x"');
    expect(await usageReason("migrate", "now")).toBe('unexpected argument "now"');
    expect(await usageReason("migrate", "--force")).toBe("unknown option --force");
    expect(await usageReason("parse", "ca.export-control-list", CA_2024, "--jsn")).toBe(
      "unknown option --jsn",
    );
    expect(await usageReason("changes", "--json=yes")).toBe("--json takes no value");
  });

  it("names an unknown source, positional or --source, with the known ones", async () => {
    expect(await usageReason("parse", "xx.nope", CA_2024)).toBe(
      `unknown source "xx.nope" (known: ${KNOWN_SOURCES})`,
    );
    expect(await usageReason("run", "xx.nope")).toBe(`unknown source "xx.nope" (known: ${KNOWN_SOURCES})`);
    expect(await usageReason("changes", "--source", "nope.nope")).toBe(
      `--source: unknown source "nope.nope" (known: ${KNOWN_SOURCES})`,
    );
  });

  it("names an unknown technology, country or jurisdiction on changes", async () => {
    expect(await usageReason("changes", "--technology", "quantumm")).toMatch(
      /^--technology: unknown technology "quantumm" \(known: quantum, .*artificial-intelligence.*\)$/,
    );
    expect(await usageReason("changes", "--country", "Narnia")).toBe(
      '--country: unknown country "Narnia" (expected an ISO 3166-1 alpha-2 code such as CN or RU)',
    );
    // Kosovo's XK is user-assigned, not an ISO 3166-1 code.
    expect(await usageReason("changes", "--country", "XK")).toMatch(/^--country: unknown country "XK"/);
    expect(await usageReason("changes", "--jurisdiction", "XX")).toBe(
      '--jurisdiction: unknown jurisdiction "XX" (known: US, GB, FR, CA, IT, ES, AU, NL, JP, FI, NO, EU, WA)',
    );
  });

  it("keeps a value on one line when it quotes it back", async () => {
    expect(await usageReason("changes", "--source", "a\nb")).toMatch(/^--source: unknown source "a\\nb"/);
  });

  it("prints a command's usage on --help and exits 0", async () => {
    expect(await usageRun("changes", "--help")).toEqual({
      code: 0,
      stdout: `usage: ${COMMANDS.find((c) => c.name === "changes")!.usage}\n  list stored change records\n`,
      stderr: "",
    });
  });

  it("says that the command is missing or unknown, then lists the commands", async () => {
    const none = await usageRun();
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/^regwatch: missing <command>\n/);
    expect(none.stderr.match(/regwatch changes \[/g)).toHaveLength(1);
    const unknown = await usageRun("frobnicate");
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/^regwatch: unknown command "frobnicate"\n/);
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

  it("keeps the embedded database's raw documents as files named by their hash, not in the database", async () => {
    const database = await openDatabase({ dataDir });
    try {
      for (const file of [fullV1, fullV2]) {
        const bytes = readFileSync(file);
        const sha = sha256Hex(bytes);
        expect(readFileSync(join(dataDir, "artifacts", sha.slice(0, 2), sha)).equals(bytes)).toBe(true);
        const { rows } = await database.pglite!.query(
          "select body, size from raw_artifacts where sha256 = $1",
          [sha],
        );
        expect(rows).toEqual([{ body: null, size: bytes.length }]);
      }
    } finally {
      await database.close();
    }
  });

  it("refuses a file larger than any source may fetch, before reading it", async () => {
    const { code, stdout, stderr } = await runWith({ REGWATCH_MAX_RESPONSE_BYTES: "1000" }, [
      "ingest",
      "ca.export-control-list",
      fullV2,
    ]);
    expect({ code, stdout }).toEqual({ code: 1, stdout: "" });
    expect(stderr).toMatch(
      /^regwatch: .*ecl-v2\.xml is 0\.\d MB, over the 0\.0 MB a source may fetch \(REGWATCH_MAX_RESPONSE_BYTES\)\n$/,
    );
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

  it("refuses to ingest a file older than the accepted version, in one line, changing nothing", async () => {
    const older = await run("ingest", "ca.export-control-list", CA_2024, "--at", "2025-07-27");
    expect(older.code).toBe(1);
    expect(older.stdout).toBe("");
    expect(older.stderr).toMatch(
      /^regwatch: .*ecl-small-2024\.xml: the version of 2024-07-19 is older than the accepted 2025-04-25: nothing changed \(--force takes it as the newest\)\n$/,
    );
    const { stdout } = await run("changes", "--json");
    expect(JSON.parse(stdout).changes).toHaveLength(3);
  });

  it("quarantines a list far smaller than the source expects, and says so", async () => {
    // The small fixture is the 2024 point in time, older than the accepted 2025 list: --force takes it as the newest.
    const small = await run("ingest", "ca.export-control-list", CA_2024, "--at", "2025-07-27", "--force");
    expect(small).toMatchObject({
      code: 1,
      stdout: "ca.export-control-list: quarantined: 17 entries, fewer than the 120 expected\n",
    });
    const { stdout } = await run("changes", "--json");
    expect(JSON.parse(stdout).changes).toHaveLength(3);
  });

  it("says in one line that an embedded database is damaged, and where", async () => {
    const damaged = mkdtempSync(join(tmpdir(), "regwatch-damaged-"));
    try {
      expect((await runWith({ REGWATCH_DATA_DIR: damaged }, ["migrate"])).code).toBe(0);
      // What a crash mid-write or a bad disk can leave: the control file emptied.
      writeFileSync(join(damaged, "pgdata", "global", "pg_control"), "");
      const { code, stderr } = await runWith({ REGWATCH_DATA_DIR: damaged }, ["sources"]);
      expect(code).toBe(1);
      expect(stderr.split("\n")).toHaveLength(2);
      expect(stderr).toMatch(/^regwatch: the database in \S*regwatch-damaged-\S* is damaged /);
      expect(stderr).not.toMatch(/Aborted\(\)|Failed query/);
    } finally {
      rmSync(damaged, { recursive: true, force: true });
    }
  });

  it("lists the sources with their health", async () => {
    const { code, stdout } = await run("sources", "--json");
    expect(code).toBe(0);
    const { sources } = JSON.parse(stdout) as { sources: { id: string; health: string }[] };
    // Every registered source, in the registry's order; only the ECL has run here (and was quarantined).
    expect(sources.map((s) => [s.id, s.health])).toEqual(
      SOURCES.map((s) => [s.id, s.id === "ca.export-control-list" ? "quarantined" : "unknown"]),
    );
    expect(sources.map((s) => s.id)).toContain("es.boe.export-control");
  });
});
