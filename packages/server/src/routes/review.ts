// The weekly review: `/review` (a period's changes, grouped, with their
// marks), `POST /review/marks` (a reviewer marks one change; every mark is
// audited), `/review/audit` (the audit log), and the review as evidence:
// `/review.csv`, the print view (`?print=1`) and `/review.pdf` (the print
// view through Chromium, when configured). Reading needs a viewer, marking a
// reviewer; the review is never public, whatever REGWATCH_PUBLIC_READ says.

import { safeLink } from "@regwatch/alerts/messages/alert";
import type { ChangeRecord } from "@regwatch/core/schemas";
import {
  isReviewStatus,
  judgeSources,
  marksFor,
  REVIEW_STATUSES,
  type ReviewMark,
  type ReviewPeriod,
  type ReviewStatus,
  reviewAudit,
  reviewChanges,
  setMark,
  sourceEvidence,
} from "@regwatch/db/queries/reviews";
import type { UserRow } from "@regwatch/db/queries/users";
import { CHROMIUM_ARGS } from "@regwatch/fetch/browser";
import { hasRole, pageGate } from "../access.ts";
import type { DashboardDeps } from "../dashboard.ts";
import { csvRow } from "../formats/csv.ts";
import { postedForm, seeOther } from "../forms.ts";
import type { Route, RouteContext } from "../router.ts";
import { formToken, renderPage, statusPage } from "../views/layout.ts";
import {
  auditMain,
  groupForReview,
  type PeriodDays,
  periodQuery,
  printDocument,
  type ReviewModel,
  reviewLede,
  reviewMain,
} from "../views/review.ts";

const DAY_MS = 86_400_000;
// "The last 7 days": the weekly review's default span.
const DEFAULT_DAYS = 7;
// A year's review (366 in a leap year) is the longest asked for; longer is a bulk export, not a review.
const MAX_DAYS = 366;
// Detection dates are regwatch's own clock: nothing is detected before 1970, and Postgres has no year 0.
const MIN_YEAR = 1970;
const NOTE_MAX = 2000;
// A form of a change id, a status, a back URL and a note of 2,000 characters, each
// of which may take 4 bytes in UTF-8 and 3 characters percent-encoded: 24 KB.
const BODY_LIMIT = 32 * 1024;
// The audit log page shows the newest actions; older ones are found by change.
const AUDIT_LIMIT = 500;
// Chromium's time to start, lay out and print a long review.
const PDF_TIMEOUT_MS = 60_000;

/** A query or form value the review cannot use, and which one it was. */
class ReviewInputError extends Error {
  constructor(
    readonly parameter: string,
    message: string,
  ) {
    super(message);
  }
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;

function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);
}

function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / DAY_MS);
}

/** One `YYYY-MM-DD` parameter, or null when absent; a date that is not in the calendar (02-30) is refused. */
function dayParameter(params: URLSearchParams, name: string): string | null {
  const values = params.getAll(name);
  if (values.length > 1) throw new ReviewInputError(name, `${name}: give it once`);
  const value = values[0]?.trim();
  if (!value) return null;
  if (!DATE.test(value)) throw new ReviewInputError(name, `${name}: expected a date as YYYY-MM-DD`);
  const parsed = new Date(`${value}T00:00:00Z`);
  if (Number.isNaN(parsed.getTime()) || parsed.toISOString().slice(0, 10) !== value)
    throw new ReviewInputError(name, `${name}: ${value} is not a date in the calendar`);
  if (parsed.getUTCFullYear() < MIN_YEAR)
    throw new ReviewInputError(name, `${name}: expected a date from ${MIN_YEAR} on`);
  return value;
}

/**
 * The period a review URL asks for: `from` and `to` (both included, UTC
 * days); without them the last 7 days ending today; with one of them, 7 days
 * from or to it.
 */
export function parsePeriod(params: URLSearchParams, today: string): PeriodDays {
  const from = dayParameter(params, "from");
  const to = dayParameter(params, "to");
  const period =
    from && to
      ? { from, to }
      : from
        ? { from, to: addDays(from, DEFAULT_DAYS - 1) }
        : to
          ? { from: addDays(to, -(DEFAULT_DAYS - 1)), to }
          : { from: addDays(today, -(DEFAULT_DAYS - 1)), to: today };
  if (period.from > period.to)
    throw new ReviewInputError("from", `from: ${period.from} is after to (${period.to})`);
  if (daysBetween(period.from, period.to) + 1 > MAX_DAYS)
    throw new ReviewInputError("to", `to: a review covers at most ${MAX_DAYS} days`);
  return period;
}

/** The instants a period of whole days covers: its first midnight, up to (not including) the one after its last day. */
function periodBounds(period: PeriodDays): ReviewPeriod {
  return {
    start: new Date(`${period.from}T00:00:00Z`),
    end: new Date(`${addDays(period.to, 1)}T00:00:00Z`),
  };
}

// Where a mark form may send the reviewer back: this site's review pages, with a
// plain query; never another origin (`//x`, `/\x`, `https:`) nor a header injection.
const BACK = /^\/review(?:\/audit)?(?:\?[A-Za-z0-9=&%._~+-]*)?$/;

export function safeBack(value: unknown): string {
  return typeof value === "string" && value.length <= 500 && BACK.test(value) ? value : "/review";
}

// Control characters other than tab and line feed: Postgres refuses NUL in text, and the rest only hide things.
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f]/;

interface MarkForm {
  changeId: string;
  status: ReviewStatus;
  note: string;
}

/** The posted mark, checked: a known status, a note of at most 2,000 characters, a change id. */
function parseMarkForm(body: Record<string, unknown>): MarkForm {
  const changeId = body.change;
  if (typeof changeId !== "string" || !changeId || changeId.length > 200 || CONTROL.test(changeId))
    throw new ReviewInputError("change", "change: give the id of one change");
  if (!isReviewStatus(body.status))
    throw new ReviewInputError("status", `status: expected one of ${REVIEW_STATUSES.join(", ")}`);
  const raw = body.note ?? "";
  if (typeof raw !== "string") throw new ReviewInputError("note", "note: give it once");
  // Browsers send a textarea's line breaks as CRLF: stored as LF, so the same note posted again is the same note.
  const note = raw.replace(/\r\n?/g, "\n").trim();
  if ([...note].length > NOTE_MAX)
    throw new ReviewInputError(
      "note",
      `note: at most ${NOTE_MAX} characters (this one has ${[...note].length})`,
    );
  if (CONTROL.test(note)) throw new ReviewInputError("note", "note: control characters are not allowed");
  return { changeId, status: body.status, note };
}

/** Today's date in UTC, by the service's clock. */
function today(deps: DashboardDeps): string {
  return now(deps).toISOString().slice(0, 10);
}

function now(deps: DashboardDeps): Date {
  return deps.now?.() ?? new Date();
}

/** Everything the review page, its print view and its PDF show for a period. */
async function loadReview(deps: DashboardDeps, period: PeriodDays, user: UserRow): Promise<ReviewModel> {
  const db = deps.database.db;
  const bounds = periodBounds(period);
  const { changes, baselines } = await reviewChanges(db, bounds);
  const marks = await marksFor(
    db,
    changes.map((c) => c.id),
  );
  const sourceIds = deps.sources.map((s) => s.id);
  const evidence = await sourceEvidence(db, sourceIds, bounds);
  const changesBySource = new Map<string, number>();
  for (const c of changes) changesBySource.set(c.source, (changesBySource.get(c.source) ?? 0) + 1);
  const days = daysBetween(period.from, period.to) + 1;
  const next = { from: addDays(period.to, 1), to: addDays(period.to, days) };
  return {
    period,
    days,
    previous: { from: addDays(period.from, -days), to: addDays(period.from, -1) },
    next: next.from > today(deps) ? null : next,
    changes,
    baselines,
    marks,
    sources: judgeSources(sourceIds, evidence, changesBySource, bounds, now(deps)),
    generatedAt: now(deps),
    generatedFor: user.email,
  };
}

/** The period of a request, or the 400 page naming the parameter. */
function periodOf(c: RouteContext, deps: DashboardDeps): PeriodDays | Response {
  try {
    return parsePeriod(new URL(c.req.url).searchParams, today(deps));
  } catch (err) {
    if (err instanceof ReviewInputError) return statusPage(c, 400, "Period not understood", err.message);
    throw err;
  }
}

function reviewTitle(period: PeriodDays): string {
  return `Review ${period.from} to ${period.to}`;
}

async function reviewPage(c: RouteContext, deps: DashboardDeps): Promise<Response> {
  const denied = pageGate(c, "viewer");
  if (denied) return denied;
  const user = c.get("user")!;
  const period = periodOf(c, deps);
  if (period instanceof Response) return period;
  const print = new URL(c.req.url).searchParams.get("print") === "1";
  const reviewer = hasRole(user, "reviewer");
  const model = await loadReview(deps, period, user);
  const main = reviewMain(
    model,
    {
      mode: print ? "print" : reviewer ? "interactive" : "read-only",
      csrf: reviewer && !print ? formToken(c) : "",
      pdf: !!deps.chromiumPath,
      audit: reviewer,
    },
    `/review?${periodQuery(period)}`,
  );
  return renderPage(c, { title: reviewTitle(period), section: "review", lede: reviewLede(model), main });
}

async function postMark(c: RouteContext, deps: DashboardDeps): Promise<Response> {
  const user = c.get("user");
  // A form that cannot be replayed after signing in: the reviewer signs in, then opens the review again.
  if (!user) return seeOther(`/login?next=${encodeURIComponent("/review")}`);
  if (!hasRole(user, "reviewer"))
    return statusPage(c, 403, "Not allowed", "Marking changes needs the reviewer role; ask an admin.");
  const body = await postedForm(c, BODY_LIMIT);
  if (body instanceof Response) return body;
  let form: MarkForm;
  try {
    form = parseMarkForm(body);
  } catch (err) {
    if (err instanceof ReviewInputError) return statusPage(c, 400, "Mark not saved", err.message);
    throw err;
  }
  const outcome = await setMark(deps.database.db, { ...form, userId: user.id, at: now(deps) });
  if (outcome === "not-found")
    return statusPage(c, 404, "Change not found", `change: there is no change ${form.changeId}.`);
  // Back to the row just marked; ids are hex, anything else is not put in a URL.
  const anchor = /^[A-Za-z0-9_-]+$/.test(form.changeId) ? `#change-${form.changeId}` : "";
  return seeOther(`${safeBack(body.back)}${anchor}`);
}

async function auditPage(c: RouteContext, deps: DashboardDeps): Promise<Response> {
  const denied = pageGate(c, "reviewer");
  if (denied) return denied;
  const change = c.req.query("change")?.trim() || null;
  if (change && (change.length > 200 || CONTROL.test(change)))
    return statusPage(c, 400, "Not understood", "change: give the id of one change");
  const rows = await reviewAudit(deps.database.db, { changeId: change, limit: AUDIT_LIMIT + 1 });
  return renderPage(c, {
    title: "Review audit log",
    section: "review",
    lede: "Every mark set on a change, newest first: who, when, and the mark before and after.",
    main: auditMain(rows.slice(0, AUDIT_LIMIT), {
      changeId: change,
      truncated: rows.length > AUDIT_LIMIT,
      limit: AUDIT_LIMIT,
    }),
  });
}

/** The columns of the review CSV, in order; names are stable for spreadsheets that read them. */
export const REVIEW_CSV_COLUMNS = [
  "detected_at",
  "jurisdiction",
  "technology",
  "subject",
  "title",
  "kind",
  "citation",
  "status",
  "note",
  "reviewed_by",
  "reviewed_at",
  "url",
] as const;

function reviewCsvRow(change: ChangeRecord, mark: ReviewMark | undefined): string {
  return csvRow([
    change.detectedAt,
    change.jurisdiction,
    // Every tag, `;`-separated in one cell: the page groups by the first, the evidence keeps them all.
    change.technologies.join(";"),
    change.subject,
    change.title,
    change.kind,
    change.citation,
    mark?.status ?? "open",
    mark?.note ?? "",
    mark?.userEmail ?? "",
    mark?.updatedAt.toISOString() ?? "",
    // The official text, and only an http(s) link: a `javascript:` URL must not become a clickable cell.
    safeLink(change.url),
  ]);
}

/** The review as RFC 4180 CSV (CRLF, quoted as needed, formulas neutralized), in the page's order. */
export function reviewCsv(changes: readonly ChangeRecord[], marks: ReadonlyMap<string, ReviewMark>): string {
  const ordered = groupForReview(changes).flatMap((j) => j.technologies.flatMap((t) => t.changes));
  return [csvRow(REVIEW_CSV_COLUMNS), ...ordered.map((c) => reviewCsvRow(c, marks.get(c.id)))].join("");
}

async function reviewCsvExport(c: RouteContext, deps: DashboardDeps): Promise<Response> {
  const denied = pageGate(c, "viewer");
  if (denied) return denied;
  const period = periodOf(c, deps);
  if (period instanceof Response) return period;
  const db = deps.database.db;
  const { changes } = await reviewChanges(db, periodBounds(period));
  const marks = await marksFor(
    db,
    changes.map((ch) => ch.id),
  );
  const text = reviewCsv(changes, marks);
  return new Response(text, {
    status: 200,
    headers: {
      "content-type": "text/csv; charset=utf-8; header=present",
      "content-length": String(Buffer.byteLength(text)),
      "content-disposition": `attachment; filename="regwatch-review-${period.from}-to-${period.to}.csv"`,
      "cache-control": "no-store",
    },
  });
}

/**
 * The document printed to PDF by Chromium, with nothing to load: the
 * stylesheet is inlined, scripts are off, and any request it would make is
 * refused, so printing fetches nothing from the network.
 */
async function printPdf(executablePath: string, document: string): Promise<Uint8Array> {
  const { chromium } = await import("playwright-core");
  const browser = await chromium.launch({ executablePath, args: CHROMIUM_ARGS, timeout: PDF_TIMEOUT_MS });
  try {
    const context = await browser.newContext({ javaScriptEnabled: false, offline: true });
    const page = await context.newPage();
    await page.route("**/*", (route) => route.abort());
    await page.setContent(document, { waitUntil: "load", timeout: PDF_TIMEOUT_MS });
    return await page.pdf({
      format: "A4",
      printBackground: true,
      // Page numbers and the title on every page: a filed printout is read one sheet at a time.
      displayHeaderFooter: true,
      // Chromium fills `.title` with the document's title, itself escaped.
      headerTemplate:
        '<div style="font-size:8px;width:100%;padding:0 10mm"><span class="title"></span></div>',
      footerTemplate:
        '<div style="font-size:8px;width:100%;padding:0 10mm;text-align:right">Page <span class="pageNumber"></span> of <span class="totalPages"></span></div>',
      margin: { top: "14mm", bottom: "14mm", left: "10mm", right: "10mm" },
    });
  } finally {
    await browser.close();
  }
}

/** One Chromium at a time: a PDF costs a browser's worth of memory, and requests for more wait their turn. */
function oneAtATime() {
  let queue: Promise<unknown> = Promise.resolve();
  return <T>(job: () => Promise<T>): Promise<T> => {
    const run = queue.then(job);
    queue = run.catch(() => {});
    return run;
  };
}

async function reviewPdf(
  c: RouteContext,
  deps: DashboardDeps,
  serialize: ReturnType<typeof oneAtATime>,
): Promise<Response> {
  const denied = pageGate(c, "viewer");
  if (denied) return denied;
  const chromiumPath = deps.chromiumPath;
  if (!chromiumPath)
    return statusPage(
      c,
      404,
      "No PDF here",
      "PDF export needs Chromium (CHROMIUM_PATH); use the print view or the CSV instead.",
    );
  const period = periodOf(c, deps);
  if (period instanceof Response) return period;
  const model = await loadReview(deps, period, c.get("user")!);
  const title = reviewTitle(period);
  const main = reviewMain(model, { mode: "print", csrf: "", pdf: false, audit: false }, "/review");
  const pdf = await serialize(() => printPdf(chromiumPath, printDocument(title, reviewLede(model), main)));
  return new Response(pdf, {
    status: 200,
    headers: {
      "content-type": "application/pdf",
      "content-length": String(pdf.byteLength),
      "content-disposition": `attachment; filename="regwatch-review-${period.from}-to-${period.to}.pdf"`,
      "cache-control": "no-store",
    },
  });
}

/** The weekly review's routes (see the top of this file). */
export function reviewRoutes(deps: DashboardDeps): Route[] {
  const serialize = oneAtATime();
  return [
    { path: "/review", methods: { GET: (c) => reviewPage(c, deps) } },
    { path: "/review/marks", methods: { POST: (c) => postMark(c, deps) } },
    { path: "/review/audit", methods: { GET: (c) => auditPage(c, deps) } },
    { path: "/review.csv", methods: { GET: (c) => reviewCsvExport(c, deps) } },
    { path: "/review.pdf", methods: { GET: (c) => reviewPdf(c, deps, serialize) } },
  ];
}
