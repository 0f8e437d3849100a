// Peak memory of `regwatch ingest` on a large document, on PGlite and on the
// PostgreSQL server, each in a fresh process and a fresh database. Baseline:
// the same command in the same run on the real-size CCL (2.5 MB), so that the
// figure that matters is what the extra bytes cost.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SAMPLES } from "../conformance/samples-dir.ts";
import { scratchPostgres } from "../support/databases.ts";
import { type CclEntry, renderCclXml } from "../support/render-ccl.ts";

const child = join(import.meta.dirname, "ingest-child.ts");
const bin = join(import.meta.dirname, "../../apps/cli/bin/regwatch.mjs");

interface ChildResult {
  code: number;
  ms: number;
  peakRssMb: number;
  out: string;
  err: string;
}

/** The real CCL content with every paragraph's text repeated until the rendered XML is about `bytes` long. */
export function largeCcl(entries: readonly CclEntry[], bytes: number): Buffer {
  const base = Buffer.byteLength(renderCclXml(entries));
  const itemBytes = entries.reduce(
    (n, e) => n + (e.items ?? []).reduce((m, i) => m + Buffer.byteLength(i.text) + 1, 0),
    0,
  );
  const factor = Math.max(1, Math.round(1 + (bytes - base) / itemBytes));
  const padded = entries.map((e) => ({
    ...e,
    items: e.items?.map((i) => ({ ...i, text: Array.from({ length: factor }, () => i.text).join(" ") })),
  }));
  return Buffer.from(renderCclXml(padded));
}

async function ingestOnce(database: "pglite" | "postgres", file: string): Promise<ChildResult> {
  const dataDir = mkdtempSync(join(tmpdir(), "regwatch-bench-"));
  const { DATABASE_URL, ...env } = process.env;
  const server =
    database === "postgres" && DATABASE_URL ? await scratchPostgres(DATABASE_URL, "regwatch_bench") : null;
  try {
    const options = {
      encoding: "utf8" as const,
      env: {
        ...env,
        REGWATCH_DATA_DIR: dataDir,
        REGWATCH_LOG_LEVEL: "error",
        ...(server ? { DATABASE_URL: server.url } : {}),
      },
      maxBuffer: 16 * 1024 * 1024,
    };
    // The database is created and migrated first, in its own process: PGlite's
    // initdb has a large peak of its own that is not the document's.
    execFileSync(process.execPath, [bin, "migrate"], options);
    const stdout = execFileSync(
      process.execPath,
      ["--import", "tsx", child, "us.ecfr.ccl", file, "2026-07-23"],
      options,
    );
    return JSON.parse(stdout.trim().split("\n").pop()!) as ChildResult;
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
    await server?.drop();
  }
}

export interface LargeDocumentResult {
  database: string;
  bytes: number;
  baselineBytes: number;
  ms: number;
  baselineMs: number;
  peakRssMb: number;
  baselinePeakRssMb: number;
  /** Peak RSS above the same command on the real-size list, per byte of the large document. */
  extraPerByte: number;
  outcome: string;
}

export async function benchLargeDocument(targetBytes = 60 * 1024 * 1024): Promise<LargeDocumentResult[]> {
  const json = JSON.parse(
    readFileSync(join(SAMPLES, "us/ccl-derived-json-ecfr-2026-07-23.json"), "utf8"),
  ) as { entries: CclEntry[] };
  const dir = mkdtempSync(join(tmpdir(), "regwatch-large-"));
  const small = join(dir, "ccl-real-size.xml");
  const large = join(dir, "ccl-large.xml");
  const smallBody = Buffer.from(renderCclXml(json.entries));
  writeFileSync(small, smallBody);
  const largeBody = largeCcl(json.entries, targetBytes);
  writeFileSync(large, largeBody);
  const results: LargeDocumentResult[] = [];
  try {
    const databases: ("pglite" | "postgres")[] = process.env.DATABASE_URL
      ? ["pglite", "postgres"]
      : ["pglite"];
    for (const database of databases) {
      const base = await ingestOnce(database, small);
      const big = await ingestOnce(database, large);
      results.push({
        database,
        bytes: largeBody.length,
        baselineBytes: smallBody.length,
        ms: big.ms,
        baselineMs: base.ms,
        peakRssMb: big.peakRssMb,
        baselinePeakRssMb: base.peakRssMb,
        extraPerByte:
          ((big.peakRssMb - base.peakRssMb) * 1024 * 1024) / (largeBody.length - smallBody.length),
        outcome: `exit ${big.code}: ${big.out || big.err}`,
      });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return results;
}

// Alone, at another size: node --import tsx test/bench/large-document.ts 150
if (process.argv[1] === import.meta.filename) {
  const mb = Number(process.argv[2] ?? 60);
  for (const r of await benchLargeDocument(mb * 1024 * 1024)) console.log(JSON.stringify(r));
}
