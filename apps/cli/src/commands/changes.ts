import { parseArgs } from "node:util";
import { isCountryCode } from "@regwatch/core/countries";
import { JURISDICTION_CODES } from "@regwatch/core/jurisdictions";
import { TECHNOLOGY_IDS } from "@regwatch/core/taxonomy";
import { listChanges } from "@regwatch/db/queries/changes";
import type { Command } from "../command.ts";
import { changeLine, changesCsv } from "../format.ts";
import { isoDateArg, usage } from "../io.ts";

export const changesCommand: Command = {
  name: "changes",
  summary: "list stored change records",
  usage:
    "regwatch changes [--since <date>] [--jurisdiction <code>] [--technology <id>] [--country <code>] [--source <id>] [--alerts] [--json|--csv]",
  db: true,
  async run(args, { io, runtime }) {
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
    if (positionals.length || (values.json && values.csv)) usage(this.usage);
    const jurisdiction = values.jurisdiction?.toUpperCase();
    if (jurisdiction && !(JURISDICTION_CODES as readonly string[]).includes(jurisdiction)) {
      usage(`--jurisdiction: unknown "${values.jurisdiction}"; known: ${JURISDICTION_CODES.join(", ")}`);
    }
    if (values.technology && !(TECHNOLOGY_IDS as readonly string[]).includes(values.technology)) {
      usage(`--technology: unknown "${values.technology}"; known: ${TECHNOLOGY_IDS.join(", ")}`);
    }
    const country = values.country?.toUpperCase();
    if (country && !isCountryCode(country))
      usage(`--country: "${values.country}" is not an ISO 3166-1 alpha-2 code`);
    const since = isoDateArg(values.since, "--since");
    const records = await listChanges((await runtime()).database.db, {
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
  },
};
