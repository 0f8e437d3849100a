import { SourceShapeChangedError, SourceUnavailableError } from "@regwatch/core/errors";
import type { HttpClient, HttpResponse, Logger } from "@regwatch/core/http";
import {
  type BackfillStep,
  defineSource,
  describedByDocuments,
  type FetchedArtifact,
} from "../../define-source.ts";
import { issuesSince } from "../../year-archive.ts";
import {
  compareIssues,
  exportControlCandidate,
  type IssueRef,
  parseIssueIndex,
  parseRss,
  parseYearIndex,
  REGULATION_PAGE,
  RSS_URL,
  yearIndexUrl,
} from "./issues.ts";
import { headOf, problemPage } from "./page.ts";
import { type GazetteMeta, PARSER_VERSION, parseGazetteRegulation } from "./parse.ts";

/**
 * Canada Gazette, Part II: the regulations made under the Export and Import
 * Permits Act (orders amending the Export Control List, SOR/89-202, and the
 * brokering, area and import control lists; general permits), one document
 * per regulation, linked to the Export Control List change it causes by its
 * number ("SOR/2024-112"). Addresses:
 * - the feed `https://www.gazette.gc.ca/rss/p2-eng.xml` [C: SOURCES.md; it
 *   lists issues, not regulations, and was seen answering 503 for an hour]:
 *   the cheap probe, asked with the validators of the last run;
 * - each new issue's index `…/rp-pr/p2/YYYY/YYYY-MM-DD/html/index-eng.html`
 *   [C: "issue pages link to each SOR"; the address is the feed's link];
 * - each kept regulation's page `…/html/sor-dors112-eng.html` [I: stored
 *   copies], one artifact each;
 * - for backfill, the year pages `…/rp-pr/p2/YYYY/index-eng.html` [I].
 */
export const GAZETTE_PART_II_URL = "https://gazette.gc.ca/rp-pr/p2/index-eng.html";

/** Issues read per run at most (a first run, or catching up after an outage): the rest wait in the cursor. */
export const MAX_ISSUES_PER_RUN = 4;
/** Issues read on a first run: the newest two, at least the last regular issue of a fortnightly gazette. */
export const FIRST_RUN_ISSUES = 2;

// An issue or a regulation listed but not served yet answers 404 [I]: read on the next run.
const NOT_YET = [404] as const;

interface Cursor {
  /** The newest issue read (its folder, "2024-06-19"). */
  lastIssue: string | null;
  /** Issues listed and not read yet, oldest first. */
  pending: IssueRef[];
  /** The feed's validators as last answered. */
  rss: { etag: string | null; lastModified: string | null };
}

function issueOf(v: unknown): IssueRef | null {
  const i = v as Partial<IssueRef> | null;
  return typeof i?.key === "string" && typeof i.date === "string" && typeof i.url === "string"
    ? { key: i.key, date: i.date, url: i.url, extra: i.extra === true }
    : null;
}

function cursorOf(state: Record<string, unknown>): Cursor {
  const rss = (state.rss ?? {}) as Record<string, unknown>;
  return {
    lastIssue: typeof state.lastIssue === "string" ? state.lastIssue : null,
    pending: Array.isArray(state.pending)
      ? state.pending.map(issueOf).filter((i): i is IssueRef => i !== null)
      : [],
    rss: {
      etag: typeof rss.etag === "string" ? rss.etag : null,
      lastModified: typeof rss.lastModified === "string" ? rss.lastModified : null,
    },
  };
}

/** An error page answered with status 200 in place of content: a passing failure, tried again later. */
function refuseProblemPage(response: HttpResponse, what: string) {
  const problem = problemPage(headOf(response.body));
  if (problem)
    throw new SourceUnavailableError(
      `${response.url}: the Canada Gazette answered ${problem} instead of ${what}`,
    );
}

/**
 * The regulations of one issue worth reading: for a regular issue, its
 * index's entries made under the Export and Import Permits Act; for an extra
 * edition that links its one regulation, that page (it is read and the
 * parse decides). Null when the issue is not served yet.
 */
async function candidatesOf(
  http: HttpClient,
  issue: IssueRef,
  log: Logger,
): Promise<{ url: string; why: string }[] | null> {
  if (REGULATION_PAGE.test(new URL(issue.url).pathname))
    return [{ url: issue.url, why: "an extra edition's regulation" }];
  const response = await http.get(issue.url, {
    // Read once, when the issue is new: its body is not archived, so a 304 would leave nothing to read.
    conditional: false,
    acceptStatuses: NOT_YET,
    headers: { accept: "text/html" },
  });
  if (response.status === 404) {
    log.info({ issue: issue.key }, "ca.gazette: issue listed but its index is not served yet");
    return null;
  }
  refuseProblemPage(response, "an issue index");
  const index = parseIssueIndex(
    { body: response.body, contentType: response.contentType, url: response.url },
    issue,
  );
  const kept = index.entries.flatMap((e) => {
    const why = exportControlCandidate(e);
    return why ? [{ url: e.url, why }] : [];
  });
  log.debug(
    { issue: issue.key, listed: index.entries.length, kept: kept.map((k) => k.url) },
    "ca.gazette: issue index read",
  );
  return kept;
}

/** A kept regulation's page, asked conditionally (one archived before answers 304); null when unchanged or not served yet. */
async function regulationPage(
  http: HttpClient,
  url: string,
  conditional: boolean,
): Promise<HttpResponse | "not-yet" | null> {
  const response = await http.get(url, {
    conditional,
    acceptStatuses: NOT_YET,
    headers: { accept: "text/html" },
  });
  if (response.status === 404) return "not-yet";
  if (response.notModified) return null;
  refuseProblemPage(response, "a regulation's page");
  return response;
}

export const caGazettePartII = defineSource<GazetteMeta>({
  id: "ca.gazette.part-ii",
  jurisdiction: "CA",
  kind: "documents",
  title: "Canada Gazette, Part II: regulations under the Export and Import Permits Act",
  publisher: "Canada Gazette Directorate, Public Services and Procurement Canada",
  officialUrl: GAZETTE_PART_II_URL,
  // Regular issues come out every second Wednesday at 9:00 Eastern (13:00 or 14:00 UTC), extra editions on
  // any day: the feed is one small conditional request, read daily an hour after the regular time.
  schedule: "23 15 * * *",
  expectations: {
    // One body is one regulation's page; most regulations of an issue are not read at all.
    minEntries: 0,
    maxEntries: 1,
    maxRemovedShare: 1,
    // Every regulation page carries its number, title and registration; the issue date comes from its address.
    requiredFields: ["id", "title", "citation", "publishedAt"],
  },
  parserVersion: PARSER_VERSION,
  // Orders amending the Export Control List come into force up to 30 days after publication; six weeks
  // covers that and a late read.
  alertWindowDays: 45,
  parse: parseGazetteRegulation,
  describe: describedByDocuments,
  async fetch(ctx) {
    const cursor = cursorOf(ctx.state);
    const headers: Record<string, string> = { accept: "application/rss+xml, application/xml;q=0.9" };
    if (cursor.rss.etag) headers["if-none-match"] = cursor.rss.etag;
    if (cursor.rss.lastModified) headers["if-modified-since"] = cursor.rss.lastModified;
    // Cheap probe: the feed, with the validators of its last answer. A 5xx is retried by the client; one that
    // persists fails the run as unreachable, never as an empty fortnight.
    const feed = await ctx.http.get(RSS_URL, { conditional: false, headers });
    let listed: IssueRef[] = [];
    if (!feed.notModified) {
      listed = parseRss({ body: feed.body, contentType: feed.contentType, url: feed.url });
      const oldest = listed[0]!;
      if (cursor.lastIssue && compareIssues(oldest, { key: cursor.lastIssue }) > 0)
        ctx.log.warn(
          { lastIssue: cursor.lastIssue, oldestListed: oldest.key },
          "ca.gazette: issues between the last one read and the feed's oldest may be missed; run a backfill",
        );
    }
    const rss = feed.notModified
      ? cursor.rss
      : { etag: feed.headers.etag ?? null, lastModified: feed.headers["last-modified"] ?? null };
    let newer = listed.filter((i) => !cursor.lastIssue || compareIssues(i, { key: cursor.lastIssue }) > 0);
    if (!cursor.lastIssue) newer = newer.slice(-FIRST_RUN_ISSUES);
    const queue = [...new Map([...cursor.pending, ...newer].map((i) => [i.key, i])).values()].sort(
      compareIssues,
    );
    const batch = queue.splice(0, MAX_ISSUES_PER_RUN);

    const artifacts: FetchedArtifact[] = [];
    const notYet: IssueRef[] = [];
    let lastIssue = cursor.lastIssue;
    for (const issue of batch) {
      const candidates = await candidatesOf(ctx.http, issue, ctx.log);
      let complete = candidates !== null;
      for (const c of candidates ?? []) {
        const page = await regulationPage(ctx.http, c.url, true);
        if (page === "not-yet") complete = false;
        else if (page) artifacts.push({ response: page, asOf: issue.date });
      }
      if (!complete) {
        notYet.push(issue);
        continue;
      }
      if (!lastIssue || compareIssues(issue, { key: lastIssue }) > 0) lastIssue = issue.key;
    }
    return { artifacts, state: { lastIssue, pending: [...notYet, ...queue].sort(compareIssues), rss } };
  },
  async *backfill(ctx, since): AsyncGenerator<BackfillStep> {
    // The Gazette keeps every Part II issue online: the year pages from `since`, each issue's index, then the
    // kept regulations oldest first. Indexes are read first so the steps can be counted.
    const today = ctx.now.toISOString().slice(0, 10);
    const issues = await issuesSince<IssueRef>(
      ctx.http,
      { yearUrl: yearIndexUrl, read: parseYearIndex, refuse: refuseProblemPage, compare: compareIssues },
      since,
      today,
    );
    const wanted: { issue: IssueRef; url: string }[] = [];
    for (const issue of issues) {
      const candidates = await candidatesOf(ctx.http, issue, ctx.log);
      if (candidates === null)
        throw new SourceShapeChangedError(`${issue.url}: an archived issue's index is not served`);
      for (const c of candidates) wanted.push({ issue, url: c.url });
    }
    let index = 0;
    for (const { issue, url } of wanted) {
      const page = await regulationPage(ctx.http, url, false);
      if (page === "not-yet" || page === null)
        throw new SourceShapeChangedError(`${url}: a regulation an archived issue lists is not served`);
      yield {
        artifact: { response: page, asOf: issue.date },
        index: ++index,
        total: wanted.length,
        state: { lastIssue: issue.key, pending: [] },
      };
    }
  },
});
