import { parseArgs } from "node:util";
import { isCountryCode } from "@regwatch/core/countries";
import { JURISDICTION_CODES } from "@regwatch/core/jurisdictions";
import { TECHNOLOGY_IDS } from "@regwatch/core/taxonomy";
import { listChanges } from "@regwatch/db/queries/changes";
import type { CommandRun } from "../command.ts";
import { changeLine, changesCsv } from "../format.ts";
import { expectPositionals, isoDateArg, quoted, usage } from "../io.ts";
import { sourceArg } from "./source-arg.ts";

export const run: CommandRun = async (args, { io, runtime }) => {
  const { values, positionals } = parseArgs({
    args,
    options: {
      since: { type: "string" },
      jurisdiction: { type: "string" },
      technology: { type: "string" },
      country: { type: "string" },
      source: { type: "string" },
      alerts: { type: "boolean" },
      json: { type: "boolean" },
      csv: { type: "boolean" },
    },
    allowPositionals: true,
  });
  expectPositionals(positionals, []);
  if (values.json && values.csv) usage("choose one of --json and --csv");
  const jurisdiction = values.jurisdiction?.toUpperCase();
  if (jurisdiction !== undefined && !(JURISDICTION_CODES as readonly string[]).includes(jurisdiction)) {
    usage(
      `--jurisdiction: unknown jurisdiction ${quoted(values.jurisdiction!)} (known: ${JURISDICTION_CODES.join(", ")})`,
    );
  }
  if (values.technology !== undefined && !(TECHNOLOGY_IDS as readonly string[]).includes(values.technology)) {
    usage(
      `--technology: unknown technology ${quoted(values.technology)} (known: ${TECHNOLOGY_IDS.join(", ")})`,
    );
  }
  const country = values.country?.toUpperCase();
  if (country !== undefined && !isCountryCode(country))
    usage(
      `--country: unknown country ${quoted(values.country!)} (expected an ISO 3166-1 alpha-2 code such as CN or RU)`,
    );
  const since = isoDateArg(values.since, "--since");
  const db = (await runtime()).database.db;
  // A watched page's id (unwatched ones too: their history stays) or a registered source's.
  if (values.source !== undefined && !values.source.startsWith("page.")) sourceArg(values.source, "--source");
  if (values.source?.startsWith("page.")) {
    const { listWatchedPages } = await import("@regwatch/db/queries/watched-pages");
    const pages = await listWatchedPages(db, { includeRemoved: true });
    if (!pages.some((p) => p.id === values.source))
      usage(`--source: no watched page ${quoted(values.source)} (see regwatch sources)`);
  }
  const records = await listChanges(db, {
    since: since?.toISOString(),
    jurisdiction,
    technology: values.technology,
    country,
    source: values.source,
    alertOnly: values.alerts,
  });
  if (values.json) io.out(`${JSON.stringify({ changes: records }, null, 2)}\n`);
  else if (values.csv) io.out(changesCsv(records));
  else {
    for (const r of records) io.out(`${changeLine(r)}\n`);
    io.out(`${records.length} change record${records.length === 1 ? "" : "s"}\n`);
  }
  return 0;
};
