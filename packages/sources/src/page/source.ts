// A page anyone can watch: one official URL with no feed or API (a
// ministry notice, an eligibility page), added by a user with `regwatch
// watch <url>` and kept in the database, not in code. Its content is read
// into blocks (extract.ts), keyed by position under its headings (keys.ts),
// and diffed as a list, so a change is "paragraph 3 of Export controls
// modified" with a redline, not "the page changed". Document files it links
// (PDF, Word, Excel) are fetched once each, hashed and archived with the
// page (parse.ts), so a new or replaced PDF is an added or modified entry
// with the file kept.

import {
  RateLimitedError,
  ResponseTooLargeError,
  SourceUnavailableError,
  UsageError,
} from "@regwatch/core/errors";
import type { BrowserPage, HttpResponse, Logger } from "@regwatch/core/http";
import type { Jurisdiction } from "@regwatch/core/jurisdictions";
import { jurisdictionSchema, technologyIdSchema } from "@regwatch/core/schemas";
import type { TechnologyId } from "@regwatch/core/taxonomy";
import { sha256Hex } from "@regwatch/core/text";
import { BUNDLE_CONTENT_TYPE, type BundlePart, writeBundle } from "../bundle.ts";
import {
  defineSource,
  type FetchResult,
  type SourceContext,
  type SourceDefinition,
} from "../define-source.ts";
import { responseOfPage } from "../html-page.ts";
import { alignBlocks } from "./align.ts";
import {
  type DocumentLink,
  extractPage,
  MAX_BLOCKS,
  MAX_DOCUMENT_LINKS,
  MAX_PAGE_BYTES,
  readHtml,
  selectorProblem,
} from "./extract.ts";
import { type DocumentRecord, manifestPart, PARSER_VERSION, type PageMeta, parsePage } from "./parse.ts";
import { checkWatchUrl, type ResolveAll, UnsafeUrlError } from "./ssrf.ts";

/** What a user gives `regwatch watch`, as the watched-pages table keeps it. */
export interface PageWatchConfig {
  /** `page.<slug>` (see `pageIdFor`). */
  id: string;
  url: string;
  /** CSS selector of the part that matters; absent: `main`, else `article`, else `body`. */
  selector?: string | null;
  /** Render through Chromium: pages that need JavaScript or answer plain clients with a challenge. */
  browser?: boolean;
  jurisdiction: string;
  /** Technologies every change of the page is tagged with, besides those its words name. */
  technologies?: readonly string[];
  /** Cron, UTC. */
  schedule: string;
  title?: string | null;
}

/** A config checked: what `pageSource` builds from. */
export interface PageConfig {
  id: string;
  url: string;
  selector: string | null;
  browser: boolean;
  jurisdiction: Jurisdiction;
  technologies: TechnologyId[];
  schedule: string;
  title: string | null;
}

export interface PageSourceOptions {
  /** REGWATCH_ALLOW_PRIVATE_URLS=1: loopback and private addresses allowed (tests, local demos). */
  allowPrivateUrls?: boolean;
  /** How hosts are resolved for the address guard (tests inject one). */
  resolve?: ResolveAll;
  /**
   * Days after which a document already hashed is asked for again
   * (conditionally, with its ETag or Last-Modified), to see a file replaced
   * under the same address; 0: never. Default 7.
   */
  recheckDocumentsDays?: number;
}

// ---------------------------------------------------------------------------
// Ids and configs.

const ID = /^page\.[a-z0-9]+(?:-[a-z0-9]+)*$/;
const MAX_ID = 80;
const SLUG_CHARS = 60;

/**
 * The id a URL is watched under when the user names none: `page.` and a
 * slug of the host (without a leading `www.`) and the path, lower case,
 * every run of other characters one hyphen, at most 60 characters (cut at a
 * hyphen); when the URL has a query or the slug was cut, six hex digits of
 * the SHA-256 of the whole URL are added so two such URLs stay apart.
 * `https://www.bis.gov/licensing/iec` → `page.bis-gov-licensing-iec`.
 */
export function pageIdFor(url: string): string {
  const u = new URL(url);
  const raw = `${u.hostname.replace(/^www\d*\./, "")}${u.pathname}`.toLowerCase();
  let slug = raw.replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "") || "page";
  const cut = slug.length > SLUG_CHARS;
  if (cut) slug = slug.slice(0, SLUG_CHARS).replace(/-[^-]*$/, "") || slug.slice(0, SLUG_CHARS);
  if (cut || u.search.length > 1) slug += `-${sha256Hex(u.href).slice(0, 6)}`;
  return `page.${slug}`;
}

// Five cron fields; the scheduler checks them fully.
const CRON = /^(?:[0-9*,/?LW#A-Za-z-]+\s+){4}[0-9*,/?LW#A-Za-z-]+$/;

/**
 * A watched page's settings checked and normalized; every problem in one
 * UsageError (the CLI's exit code 2). The URL's address guard is separate
 * (`checkWatchUrl`): it resolves the host.
 */
export function checkPageConfig(config: PageWatchConfig): PageConfig {
  const problems: string[] = [];
  if (!ID.test(config.id) || config.id.length > MAX_ID)
    problems.push(
      `id "${config.id}" is not page.<slug> (lower-case letters, digits, single hyphens; at most ${MAX_ID} characters)`,
    );
  let url = config.url;
  try {
    const u = new URL(config.url);
    if (u.protocol !== "http:" && u.protocol !== "https:")
      problems.push(`${config.url}: only http and https pages can be watched`);
    if (u.username || u.password)
      problems.push(`${u.origin}${u.pathname}: credentials in a watched URL are refused`);
    url = u.href;
  } catch {
    problems.push(`"${config.url}" is not a URL`);
  }
  const selector = config.selector?.trim() || null;
  if (selector) {
    const problem = selectorProblem(selector);
    if (problem) problems.push(problem);
  }
  const jurisdiction = jurisdictionSchema.safeParse(config.jurisdiction);
  if (!jurisdiction.success) problems.push(`jurisdiction "${config.jurisdiction}" is not one regwatch knows`);
  const technologies: TechnologyId[] = [];
  for (const t of config.technologies ?? []) {
    const id = technologyIdSchema.safeParse(t);
    if (id.success) {
      if (!technologies.includes(id.data)) technologies.push(id.data);
    } else problems.push(`technology "${t}" is not in the taxonomy`);
  }
  const schedule = config.schedule.trim();
  if (!CRON.test(schedule))
    problems.push(`schedule "${config.schedule}" is not a five-field cron expression`);
  if (problems.length) throw new UsageError(problems.join("; "));
  return {
    id: config.id,
    url,
    selector,
    browser: config.browser ?? false,
    jurisdiction: jurisdiction.data!,
    technologies,
    schedule,
    title: config.title?.trim() || null,
  };
}

// ---------------------------------------------------------------------------
// Fetch.

/** Largest document file fetched (a control list as PDF is a few MB; 32 MiB leaves room). */
export const MAX_DOCUMENT_BYTES = 32 * 1024 * 1024;
/**
 * Largest total of document bytes put in one artifact. Past it, a file is
 * hashed (its entry is complete) but its bytes wait for the next run's
 * artifact: a first run of a page linking many PDFs archives them over a
 * few runs instead of one huge artifact.
 */
export const MAX_BUNDLED_BYTES = 64 * 1024 * 1024;
// Client errors say "this file is not there for us" (gone, forbidden, a bad link), read rather
// than thrown; a timeout (408), "too early" (425) and "too many requests" (429) may pass.
const UNAVAILABLE_STATUSES = Array.from({ length: 100 }, (_, i) => 400 + i).filter(
  (s) => s !== 408 && s !== 425 && s !== 429,
);

/** What the source remembers of a document between runs. */
interface KnownDocument extends DocumentRecord {
  etag: string | null;
  lastModified: string | null;
  checkedAt: string;
  /** Its bytes are in an accepted artifact (false: hashed, waiting for room in a bundle). */
  archived: boolean;
}

interface PageState {
  parserVersion: string | null;
  /** Hash of what the page says (blocks, links, documents): a run that reads the same sends nothing. */
  contentKey: string | null;
  documents: Record<string, KnownDocument>;
}

function readState(state: Record<string, unknown>, log: Logger, id: string): PageState {
  const documents = state.documents;
  const ok =
    (state.parserVersion === undefined || typeof state.parserVersion === "string") &&
    (state.contentKey === undefined || typeof state.contentKey === "string") &&
    (documents === undefined ||
      (typeof documents === "object" && documents !== null && !Array.isArray(documents)));
  if (!ok) {
    log.warn({ sourceId: id }, "page: cursor not understood; starting afresh");
    return { parserVersion: null, contentKey: null, documents: {} };
  }
  return {
    parserVersion: (state.parserVersion as string | undefined) ?? null,
    contentKey: (state.contentKey as string | undefined) ?? null,
    documents: (documents as Record<string, KnownDocument> | undefined) ?? {},
  };
}

async function fetchPageBody(
  config: PageConfig,
  ctx: SourceContext,
  conditional: boolean,
  guard: (url: string) => Promise<void>,
  publicOnly: boolean,
): Promise<HttpResponse> {
  if (!config.browser) {
    return ctx.http.get(config.url, {
      conditional,
      maxBytes: MAX_PAGE_BYTES,
      headers: { accept: "text/html, application/xhtml+xml;q=0.9, */*;q=0.1" },
      // A redirect must not take the watcher where the address guard would not let it go.
      beforeRedirect: guard,
      publicOnly,
    });
  }
  if (!ctx.browser) throw new Error(`${config.id} is watched through a browser, and none was given`);
  let page: BrowserPage;
  try {
    page = await ctx.browser.render(config.url, {
      waitForSelector: config.selector ?? undefined,
      publicOnly,
    });
  } catch (err) {
    if (err instanceof Error && /timeout/i.test(`${err.name} ${err.message}`))
      throw new SourceUnavailableError(
        `${config.url}: ${config.selector ? `"${config.selector}" did not appear` : "the page did not load"} in the browser in time`,
      );
    throw err;
  }
  return responseOfPage(page, config.url);
}

function manifestRecord(d: KnownDocument): DocumentRecord {
  const { url, href, status, httpStatus, sha256, size, contentType, note, fetchedAt } = d;
  return { url, href, status, httpStatus, sha256, size, contentType, note, fetchedAt };
}

interface Fetched {
  record: KnownDocument;
  /** Bytes to archive: a file seen for the first time, or changed. */
  body: Uint8Array | null;
}

/**
 * One linked document: fetched (or asked again, conditionally, when known),
 * hashed. A file that is not there (a 4xx answer), too large, or at
 * an address the guard refuses is recorded as such; a failure that may pass
 * (network, 5xx) fails the run for a new file, so it is not reported as
 * missing one run and present the next, and keeps what was known for a
 * known one.
 */
async function fetchDocument(
  link: DocumentLink,
  known: KnownDocument | undefined,
  ctx: SourceContext,
  options: PageSourceOptions,
): Promise<Fetched> {
  const at = ctx.now.toISOString();
  const base = {
    url: link.url,
    href: link.href,
    etag: null,
    lastModified: null,
    checkedAt: at,
    archived: false,
  };
  const missing = (
    status: KnownDocument["status"],
    httpStatus: number | null,
    note: string | null,
  ): Fetched => ({
    record: { ...base, status, httpStatus, sha256: null, size: null, contentType: null, note, fetchedAt: at },
    body: null,
  });
  try {
    await checkWatchUrl(link.href, { allowPrivate: options.allowPrivateUrls, resolve: options.resolve });
  } catch (err) {
    if (err instanceof UnsafeUrlError) return missing("refused", null, err.message);
    // The host does not resolve: a known file keeps what was known (DNS has bad minutes), a new one is missing.
    if (known?.status === "fetched") return { record: known, body: null };
    return missing("unavailable", null, (err as Error).message);
  }
  const headers: Record<string, string> = {};
  // Validators only for a file already archived: one waiting for room in a bundle needs its bytes.
  if (known?.status === "fetched" && known.archived) {
    if (known.etag) headers["if-none-match"] = known.etag;
    if (known.lastModified) headers["if-modified-since"] = known.lastModified;
  }
  let response: HttpResponse;
  try {
    // Not the client's own validators: those are kept for artifacts, and a document is part of one.
    response = await ctx.http.get(link.href, {
      conditional: false,
      headers,
      maxBytes: MAX_DOCUMENT_BYTES,
      acceptStatuses: UNAVAILABLE_STATUSES,
      beforeRedirect: async (url) => {
        await checkWatchUrl(url, { allowPrivate: options.allowPrivateUrls, resolve: options.resolve });
      },
      publicOnly: !options.allowPrivateUrls,
    });
  } catch (err) {
    // Refused at a redirect or when connecting (the name resolved elsewhere than when checked).
    if (err instanceof UnsafeUrlError) return missing("refused", null, err.message);
    if (err instanceof ResponseTooLargeError)
      return missing("too-large", null, `larger than ${MAX_DOCUMENT_BYTES} bytes`);
    if (known && !(err instanceof RateLimitedError)) {
      ctx.log.warn({ url: link.href }, `page: document not checked again: ${(err as Error).message}`);
      return { record: known, body: null };
    }
    throw err;
  }
  if (response.notModified && known) return { record: { ...known, checkedAt: at }, body: null };
  if (response.status >= 400) return missing("unavailable", response.status, null);
  const same = known?.status === "fetched" && known.sha256 === response.sha256;
  const record: KnownDocument = {
    ...base,
    status: "fetched",
    httpStatus: response.status,
    sha256: response.sha256,
    size: response.body.byteLength,
    contentType: response.contentType,
    note: null,
    fetchedAt: same ? known!.fetchedAt : at,
    etag: response.headers.etag ?? null,
    lastModified: response.headers["last-modified"] ?? null,
    archived: same ? known!.archived : false,
  };
  return { record, body: same && known!.archived ? null : response.body };
}

function isDue(d: KnownDocument, now: Date, days: number): boolean {
  if (d.status === "unavailable" || d.status === "refused") return true;
  if (d.status === "fetched" && !d.archived) return true;
  return days > 0 && now.getTime() - Date.parse(d.checkedAt) >= days * 86_400_000;
}

/**
 * One run: the page (conditionally, when nothing is due), its content
 * extracted, its new documents fetched, and an artifact only when what the
 * page says moved or a file is to be archived. A page whose chrome alone
 * changed (a menu, "generated at 07:20", a session token) sends nothing,
 * so nothing is archived or diffed.
 */
export async function fetchPage(
  config: PageConfig,
  options: PageSourceOptions,
  ctx: SourceContext,
): Promise<FetchResult> {
  const state = readState(ctx.state, ctx.log, config.id);
  const days = options.recheckDocumentsDays ?? 7;
  await checkWatchUrl(config.url, { allowPrivate: options.allowPrivateUrls, resolve: options.resolve });
  const due = Object.values(state.documents).some((d) => isDue(d, ctx.now, days));
  const guard = async (url: string) => {
    await checkWatchUrl(url, { allowPrivate: options.allowPrivateUrls, resolve: options.resolve });
  };
  const conditional = state.parserVersion === PARSER_VERSION && !due;
  const response = await fetchPageBody(config, ctx, conditional, guard, !options.allowPrivateUrls);
  if (response.notModified) return { artifacts: [], state: ctx.state };
  const html = readHtml(response.body, response.contentType, config.url);
  const extracted = extractPage(html, { url: config.url, selector: config.selector });

  const documents: Record<string, KnownDocument> = {};
  const files: BundlePart[] = [];
  let room = MAX_BUNDLED_BYTES;
  for (const link of extracted.documents) {
    const known = state.documents[link.url];
    const { record, body } =
      known && !isDue(known, ctx.now, days)
        ? { record: known, body: null }
        : await fetchDocument(link, known, ctx, options);
    if (body && body.byteLength <= room) {
      files.push({ url: link.url, contentType: record.contentType, body });
      room -= body.byteLength;
      record.archived = true;
    } else if (body) {
      ctx.log.info(
        { url: link.url, bytes: body.byteLength },
        "page: document hashed; its bytes wait for the next run's artifact",
      );
    }
    documents[link.url] = record;
  }
  const manifest = extracted.documents.map((l) => manifestRecord(documents[l.url]!));
  const contentKey = sha256Hex(
    JSON.stringify([
      PARSER_VERSION,
      config.selector,
      extracted.blocks.map((b) => [b.kind, b.level, b.headings, b.text]),
      extracted.documents.map((l) => [l.url, l.text]),
      manifest.map(({ fetchedAt: _, href: __, ...facts }) => facts),
    ]),
  );
  const next: PageState = { parserVersion: PARSER_VERSION, contentKey, documents };
  const nextState = next as unknown as Record<string, unknown>;
  if (contentKey === state.contentKey && !files.length) return { artifacts: [], state: nextState };
  if (!extracted.documents.length) return { artifacts: [{ response }], state: nextState };
  const body = writeBundle([
    { url: config.url, contentType: response.contentType, body: response.body },
    manifestPart({ page: config.url, documents: manifest }),
    ...files,
  ]);
  const headers: Record<string, string> = {};
  for (const name of ["etag", "last-modified"])
    if (response.headers[name]) headers[name] = response.headers[name]!;
  return {
    artifacts: [
      { response: { ...response, contentType: BUNDLE_CONTENT_TYPE, headers, body, sha256: sha256Hex(body) } },
    ],
    state: nextState,
  };
}

// ---------------------------------------------------------------------------
// The source.

/**
 * A watched page's source, with the two things the shared contract does not
 * carry yet (see the notes for the pipeline): how to align a new parse's
 * blocks with the stored ones before diffing, and the technologies its
 * records are stamped with.
 */
export type PageSourceDefinition = SourceDefinition<PageMeta> & {
  /** `alignBlocks`: call with the stored entries and the new snapshot's, before expectations and diff. */
  alignEntries: typeof alignBlocks;
  technologies: readonly TechnologyId[];
};

/**
 * The source for one watched page. Throws UsageError for settings that are
 * not valid (see `checkPageConfig`). The address guard runs on every fetch
 * (a name may come to resolve elsewhere), twice: `checkWatchUrl` before the
 * page, each document and each redirect (an early, readable refusal;
 * `regwatch watch` runs it before storing), and, unless `allowPrivateUrls`,
 * at the connection itself (`publicOnly`: the HTTP client connects only to
 * the addresses it checked, which closes DNS rebinding; a browser-watched
 * page's every request is checked before Chromium sends it).
 */
export function pageSource(config: PageWatchConfig, options: PageSourceOptions = {}): PageSourceDefinition {
  const c = checkPageConfig(config);
  const u = new URL(c.url);
  const definition = defineSource<PageMeta>({
    id: c.id,
    jurisdiction: c.jurisdiction,
    kind: "list",
    title: c.title ?? `Watched page ${u.host}${u.pathname === "/" ? "" : u.pathname}`,
    publisher: u.hostname.replace(/^www\d*\./, ""),
    officialUrl: c.url,
    schedule: c.schedule,
    expectations: {
      // A selection with no text at all is an error page or a moved selector, not a repeal.
      minEntries: 1,
      // The extraction refuses more (MAX_BLOCKS, MAX_DOCUMENT_LINKS).
      maxEntries: MAX_BLOCKS + MAX_DOCUMENT_LINKS,
      // Pages are rewritten in parts; half the blocks gone in one step is far more often an
      // error or maintenance page served with 200, or the selector now matching something
      // else, than an edit. A person confirms.
      maxRemovedShare: 0.5,
      requiredFields: ["key", "text"],
    },
    parserVersion: PARSER_VERSION,
    needsBrowser: c.browser,
    parse: (input) => parsePage(input, { url: c.url, selector: c.selector, technologies: c.technologies }),
    // A page states no publication or in-force date of its own: records carry the detection time.
    describe: () => ({ publishedAt: null, effectiveAt: null, citation: null, url: c.url }),
    fetch: (ctx) => fetchPage(c, options, ctx),
  });
  return { ...definition, alignEntries: alignBlocks, technologies: c.technologies };
}
