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
  actHtmlUrl,
  compareIssues,
  exportControlActs,
  type GazzettaMeta,
  GU_ORIGIN,
  type IssueRef,
  issueUrl,
  LAST_30_DAYS_URL,
  PARSER_VERSION,
  parseGazzetta,
  parseIssueList,
  parseIssueSummary,
  problemPage,
  type SummaryAct,
  yearArchiveUrl,
} from "./parse.ts";

/**
 * Gazzetta Ufficiale, Serie Generale: HTML pages, no official API [C:
 * SOURCES.md]. Every address is [I], the shapes third-party readers of the
 * site use and stored copies of its pages show (see parse.ts):
 * - the issues of the last 30 days `GET {GU}/30giorni/serie_generale`: the cheap probe;
 * - a year's issues `GET {GU}/ricercaArchivioCompleto/serie_generale/{YYYY}`: backfill;
 * - an issue's summary `GET {GU}/gazzetta/serie_generale/caricaDettaglio?dataPubblicazioneGazzetta=YYYY-MM-DD&numeroGazzetta=N`;
 * - an act whole in one page `GET {GU}/atto/vediMenuHTML?atto.dataPubblicazioneGazzetta=…&atto.codiceRedazionale=…&tipoSerie=serie_generale&tipoVigenza=originario`:
 *   the artifact, one per act. Its own page (`/atto/serie_generale/caricaDettaglioAtto/originario?…`,
 *   the document's `url`) holds only the header and loads the text article by article
 *   (`caricaArticolo?art.codiceRedazionale=…`) in frames; the whole-act page has header and text
 *   in one body, so one act is one archived body.
 */
export const GAZZETTA_HOME = `${GU_ORIGIN}/`;

/** Issues read per run at most (a first run, or catching up after an outage): the rest wait in the cursor. */
export const MAX_ISSUES_PER_RUN = 4;
/** Issues read on a first run: the newest ones, enough to cover a long weekend. */
export const FIRST_RUN_ISSUES = 3;

// An issue listed but not served yet (published late in the afternoon) answers 404 [I]: read next run.
const NOT_YET = [404] as const;

interface Cursor {
  /** The newest issue read. */
  lastIssue: IssueRef | null;
  /** Issues listed and not read yet, oldest first (more than one run's worth). */
  pending: IssueRef[];
}

function issueOf(v: unknown): IssueRef | null {
  const i = v as Partial<IssueRef> | null;
  return typeof i?.date === "string" && typeof i.number === "string"
    ? { date: i.date, number: i.number }
    : null;
}

function cursorOf(state: Record<string, unknown>): Cursor {
  return {
    lastIssue: issueOf(state.lastIssue),
    pending: Array.isArray(state.pending)
      ? state.pending.map(issueOf).filter((i): i is IssueRef => i !== null)
      : [],
  };
}

/** A page the site answered instead of content (error, firewall, challenge): a passing failure, tried again later. */
function refuseProblemPage(response: HttpResponse, what: string) {
  const problem = problemPage(Buffer.from(response.body.subarray(0, 65_536)).toString("utf8"));
  if (problem)
    throw new SourceUnavailableError(
      `${response.url}: Gazzetta Ufficiale answered ${problem} instead of ${what}`,
    );
}

/** The export-control acts of one issue, from its summary; null when the issue is not served yet. */
async function actsOfIssue(http: HttpClient, issue: IssueRef, log: Logger): Promise<SummaryAct[] | null> {
  const response = await http.get(issueUrl(issue), {
    conditional: false,
    acceptStatuses: NOT_YET,
    headers: { accept: "text/html" },
  });
  if (response.status === 404) {
    log.info({ issue }, "it.gazzetta: issue listed but its summary is not served yet");
    return null;
  }
  refuseProblemPage(response, "an issue summary");
  const summary = parseIssueSummary(
    { body: response.body, contentType: response.contentType, url: response.url },
    issue,
  );
  const kept = exportControlActs(summary);
  log.debug({ issue, acts: summary.acts.length, kept: kept.map((a) => a.code) }, "it.gazzetta: summary read");
  return kept;
}

/** One kept act's whole page, asked conditionally (an act read before answers 304); null when unchanged. */
async function actPage(http: HttpClient, act: SummaryAct): Promise<HttpResponse | null> {
  const response = await http.get(actHtmlUrl(act.date, act.code), { headers: { accept: "text/html" } });
  if (response.notModified) return null;
  refuseProblemPage(response, `act ${act.code}`);
  return response;
}

export const itGazzettaExportControl = defineSource<GazzettaMeta>({
  id: "it.gazzetta.export-control",
  jurisdiction: "IT",
  kind: "documents",
  title:
    "Gazzetta Ufficiale: the foreign ministry's decrees and notices on the national control list, dual-use items and arms",
  publisher:
    "Gazzetta Ufficiale della Repubblica Italiana (Istituto Poligrafico e Zecca dello Stato, Ministero della Giustizia)",
  officialUrl: LAST_30_DAYS_URL,
  // The Serie Generale comes out every weekday, Monday to Saturday, in the afternoon (gazzettaufficiale.it,
  // "La Gazzetta Ufficiale"): read at 17:20 UTC (evening in Rome) and again at 07:20 for an issue posted late.
  schedule: "20 7,17 * * 1-6",
  expectations: {
    // One body is one act's page; most issues have no act of the foreign ministry on these lists.
    minEntries: 0,
    maxEntries: 1,
    maxRemovedShare: 1,
    // Every act page carries its code, title and GU reference.
    requiredFields: ["id", "title", "citation", "publishedAt"],
  },
  parserVersion: PARSER_VERSION,
  // A notice takes effect 15 days after the GU; a month covers it and a late read.
  alertWindowDays: 30,
  parse: parseGazzetta,
  describe: describedByDocuments,
  async fetch(ctx) {
    const cursor = cursorOf(ctx.state);
    // Cheap probe: the list of the last 30 days' issues (one small page). It changes every day, so
    // it is asked whole; the issues after the cursor are the work.
    const list = await ctx.http.get(LAST_30_DAYS_URL, {
      conditional: false,
      headers: { accept: "text/html" },
    });
    refuseProblemPage(list, "the list of the last 30 days' issues");
    const issues = parseIssueList({ body: list.body, contentType: list.contentType, url: list.url });
    const last = cursor.lastIssue;
    if (last && compareIssues(issues[0]!, last) > 0)
      ctx.log.warn(
        { lastIssue: last, oldestListed: issues[0] },
        "it.gazzetta: issues between the last one read and the 30-day list may be missed; run a backfill",
      );
    let newer = issues.filter((i) => !last || compareIssues(i, last) > 0);
    if (!last) newer = newer.slice(-FIRST_RUN_ISSUES);
    const queue = [
      ...new Map([...cursor.pending, ...newer].map((i) => [`${i.date}#${i.number}`, i])).values(),
    ].sort(compareIssues);
    const batch = queue.splice(0, MAX_ISSUES_PER_RUN);

    const artifacts: FetchedArtifact[] = [];
    const notYet: IssueRef[] = [];
    let lastIssue = last;
    for (const issue of batch) {
      const acts = await actsOfIssue(ctx.http, issue, ctx.log);
      if (acts === null) {
        notYet.push(issue);
        continue;
      }
      for (const act of acts) {
        const response = await actPage(ctx.http, act);
        if (response) artifacts.push({ response });
      }
      if (!lastIssue || compareIssues(issue, lastIssue) > 0) lastIssue = issue;
    }
    return { artifacts, state: { lastIssue, pending: [...notYet, ...queue].sort(compareIssues) } };
  },
  async *backfill(ctx, since): AsyncGenerator<BackfillStep> {
    // GU keeps every issue: the year archives from `since`, each issue's summary, then the kept acts
    // oldest first. Summaries are read first so the steps can be counted.
    const today = ctx.now.toISOString().slice(0, 10);
    const issues = await issuesSince<IssueRef>(
      ctx.http,
      { yearUrl: yearArchiveUrl, read: parseIssueList, refuse: refuseProblemPage, compare: compareIssues },
      since,
      today,
    );
    const wanted: { issue: IssueRef; act: SummaryAct }[] = [];
    for (const issue of issues) {
      const acts = await actsOfIssue(ctx.http, issue, ctx.log);
      if (acts === null)
        throw new SourceShapeChangedError(`${issueUrl(issue)}: an archived issue is not served`);
      for (const act of acts) wanted.push({ issue, act });
    }
    let index = 0;
    for (const { issue, act } of wanted) {
      const response = await ctx.http.get(actHtmlUrl(act.date, act.code), {
        conditional: false,
        headers: { accept: "text/html" },
      });
      refuseProblemPage(response, `act ${act.code}`);
      yield {
        artifact: { response, asOf: issue.date },
        index: ++index,
        total: wanted.length,
        state: { lastIssue: issue, pending: [] },
      };
    }
  },
});
