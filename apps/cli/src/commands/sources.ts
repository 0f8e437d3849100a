import { parseArgs } from "node:util";
import { listSourceRows } from "@regwatch/db/queries/sources";
import { describeCadence } from "@regwatch/runtime/schedule";
import type { CommandRun } from "../command.ts";
import { safeLine } from "../format.ts";
import { expectPositionals } from "../io.ts";
import { allSources } from "../watched.ts";

export const run: CommandRun = async (args, { io, runtime, config, log }) => {
  const { values, positionals } = parseArgs({
    args,
    options: { json: { type: "boolean" } },
    allowPositionals: true,
  });
  expectPositionals(positionals, []);
  const db = (await runtime()).database.db;
  const rows = new Map((await listSourceRows(db)).map((r) => [r.id, r]));
  // The registered sources, then the pages users watch (`regwatch watch`).
  const list = (await allSources(db, config, log)).map((s) => {
    const row = rows.get(s.id);
    return {
      id: s.id,
      jurisdiction: s.jurisdiction,
      kind: s.kind,
      title: s.title,
      publisher: s.publisher,
      officialUrl: s.officialUrl,
      schedule: s.schedule,
      cadence: describeCadence(s.schedule),
      parserVersion: s.parserVersion,
      expectations: s.expectations,
      health: row?.health ?? "unknown",
      healthReason: row?.healthReason ?? null,
      lastRunAt: row?.lastRunAt?.toISOString() ?? null,
      lastSuccessAt: row?.lastSuccessAt?.toISOString() ?? null,
      lastChangeAt: row?.lastChangeAt?.toISOString() ?? null,
      consecutiveFailures: row?.consecutiveFailures ?? 0,
      lastError: row?.lastErrorKind
        ? { kind: row.lastErrorKind, message: row.lastError, at: row.lastErrorAt?.toISOString() ?? null }
        : null,
    };
  });
  if (values.json) {
    io.out(`${JSON.stringify({ sources: list }, null, 2)}\n`);
    return 0;
  }
  for (const s of list) {
    const reason = s.healthReason ? ` — ${s.healthReason}` : "";
    const failures = s.consecutiveFailures
      ? ` (${s.consecutiveFailures} failed run${s.consecutiveFailures === 1 ? "" : "s"} in a row)`
      : "";
    const last = s.lastSuccessAt ? `last success ${s.lastSuccessAt}` : "never succeeded";
    io.out(
      `${safeLine(`${s.id.padEnd(24)} ${s.jurisdiction}  ${s.kind.padEnd(9)} ${s.health.padEnd(11)} ${s.title}${reason}${failures}`)}\n`,
    );
    io.out(`${safeLine(`${"".padEnd(24)} ${s.cadence}; ${last}`)}\n`);
  }
  return 0;
};
