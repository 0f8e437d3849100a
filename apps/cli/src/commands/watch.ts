import { parseArgs } from "node:util";
import { UsageError } from "@regwatch/core/errors";
import type { CommandRun } from "../command.ts";
import { safeLine } from "../format.ts";

// Twice a day by default: pages without a feed change on working days, rarely twice in a morning.
const DEFAULT_SCHEDULE = "37 6,14 * * *";

// Official hosts and the jurisdiction whose rules they publish, when --jurisdiction is not given.
const HOSTS: readonly [RegExp, string][] = [
  [/(?:^|\.)wassenaar\.org$/, "WA"],
  [/(?:^|\.)europa\.eu$/, "EU"],
  [/\.(?:gov|mil)$/, "US"],
  [/\.(?:gc\.)?ca$/, "CA"],
  [/\.uk$/, "GB"],
  [/\.fr$/, "FR"],
  [/\.it$/, "IT"],
  [/\.es$/, "ES"],
  [/\.nl$/, "NL"],
  [/\.fi$/, "FI"],
  [/\.no$/, "NO"],
  [/\.jp$/, "JP"],
  [/\.au$/, "AU"],
];

export function jurisdictionOfHost(host: string): string | null {
  return HOSTS.find(([pattern]) => pattern.test(host))?.[1] ?? null;
}

/**
 * `regwatch watch <url>`: a page source kept in the database, run on its
 * schedule like any registered source. The address is checked first (no
 * loopback, link-local or private addresses unless REGWATCH_ALLOW_PRIVATE_URLS=1).
 */
export const run: CommandRun = async (args, { io, runtime, config }) => {
  const { values, positionals } = parseArgs({
    args,
    options: {
      selector: { type: "string" },
      browser: { type: "boolean" },
      jurisdiction: { type: "string" },
      technology: { type: "string", multiple: true },
      schedule: { type: "string" },
      id: { type: "string" },
      title: { type: "string" },
      json: { type: "boolean" },
    },
    allowPositionals: true,
  });
  if (positionals.length !== 1) throw new UsageError("<url>: expected one address to watch");

  const [{ checkPageConfig, pageIdFor }, { checkWatchUrl }, { parseSchedule }] = await Promise.all([
    import("@regwatch/sources/page"),
    import("@regwatch/sources/page/ssrf"),
    import("@regwatch/runtime/schedule"),
  ]);
  let url: string;
  try {
    url = new URL(positionals[0]!).href;
  } catch {
    throw new UsageError(`<url>: ${JSON.stringify(positionals[0])} is not an address`);
  }
  const jurisdiction = values.jurisdiction?.toUpperCase() ?? jurisdictionOfHost(new URL(url).hostname);
  if (!jurisdiction)
    throw new UsageError(
      "--jurisdiction: say whose rules the page carries (US, GB, EU, JP, …); its address does not",
    );
  const schedule = values.schedule ?? DEFAULT_SCHEDULE;
  try {
    parseSchedule(schedule);
  } catch (err) {
    throw new UsageError(`--schedule: ${(err as Error).message}`);
  }
  const page = checkPageConfig({
    id: values.id ?? pageIdFor(url),
    url,
    selector: values.selector ?? null,
    browser: values.browser ?? false,
    jurisdiction,
    technologies: values.technology ?? [],
    schedule,
    title: values.title ?? null,
  });
  try {
    await checkWatchUrl(page.url, { allowPrivate: config.allowPrivateUrls });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const { addWatchedPage, AlreadyWatchedError } = await import("@regwatch/db/queries/watched-pages");
  const { ensureSource } = await import("@regwatch/db/queries/sources");
  const { pageSource } = await import("@regwatch/sources/page");
  const db = (await runtime()).database.db;
  try {
    const row = await addWatchedPage(db, { ...page, createdBy: null }, new Date());
    await ensureSource(db, pageSource(row, { allowPrivateUrls: config.allowPrivateUrls }));
  } catch (err) {
    if (err instanceof AlreadyWatchedError) throw new UsageError(`${err.message}; unwatch it first`);
    throw err;
  }
  if (values.json) {
    io.out(`${JSON.stringify({ watched: page }, null, 2)}\n`);
  } else {
    io.out(
      `${safeLine(`watching ${page.url} as ${page.id} (${page.jurisdiction}, cron ${page.schedule})`)}\n`,
    );
  }
  io.err(
    `${safeLine(`a running service schedules it at its next health check (within 15 minutes); regwatch run ${page.id} fetches it now`)}\n`,
  );
  return 0;
};
