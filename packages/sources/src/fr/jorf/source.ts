import { SourceUnavailableError } from "@regwatch/core/errors";
import type { BrowserClient, BrowserPage } from "@regwatch/core/http";
import { sha256Hex } from "@regwatch/core/text";
import {
  defineSource,
  describedByDocuments,
  type FetchedArtifact,
  type FetchResult,
  type SourceContext,
} from "../../define-source.ts";
import { responseOfPage } from "../../html-page.ts";
import { LEGIFRANCE_ORIGIN } from "./jorf-text.ts";
import { KNOWN_TEXTS, PARSER_VERSION, parseJorf, titleAmendsKnown } from "./parse.ts";
import {
  createTokenCache,
  jorfSearchBody,
  type PisteCredentials,
  type PostClient,
  pisteCredentials,
  pisteSession,
  postClientOf,
  type TokenCache,
} from "./piste.ts";
import { readApiAnswer } from "./read-api.ts";
import { challengeReason, PAGE_SELECTORS } from "./read-page.ts";

export const SOURCE_ID = "fr.jorf.export-control";

/** Pages rendered per run at most: the known arrêté and the texts that modify it. */
export const MAX_PAGES = 12;
/** Texts consulted through the API per run at most; the rest wait for the next run. */
export const MAX_CONSULTS = 20;

/**
 * What the source remembers between runs, by NOR: the JORFTEXT id when known,
 * and a hash of the document as last recorded (null: read and left out, not
 * an amendment). JORF texts do not change once published, so a text recorded
 * here is not consulted again, and a page rendered again is handed on only
 * when what it says changed.
 */
export interface JorfState {
  texts: Record<string, { cid: string | null; sha256: string | null }>;
}

export function readState(state: Record<string, unknown>): JorfState {
  const texts: JorfState["texts"] = {};
  const raw = state.texts;
  if (raw && typeof raw === "object" && !Array.isArray(raw))
    for (const [nor, v] of Object.entries(raw as Record<string, unknown>)) {
      const t = (v ?? {}) as { cid?: unknown; sha256?: unknown };
      texts[nor] = {
        cid: typeof t.cid === "string" ? t.cid : null,
        sha256: typeof t.sha256 === "string" ? t.sha256 : null,
      };
    }
  return { texts };
}

const isStored = (texts: JorfState["texts"], ref: { cid: string | null; nor: string | null }) =>
  (ref.nor !== null && ref.nor in texts) ||
  (ref.cid !== null && Object.values(texts).some((t) => t.cid === ref.cid));

/**
 * A page through the browser, waiting for the text's title. A page that never
 * shows it (the browser timed out) or that is a challenge the browser could
 * not pass is unavailable for now: retried later, nothing archived.
 */
async function renderText(browser: BrowserClient, url: string): Promise<BrowserPage> {
  let page: BrowserPage;
  try {
    page = await browser.render(url, { waitForSelector: PAGE_SELECTORS.title });
  } catch (err) {
    if (err instanceof Error && /timeout/i.test(`${err.name} ${err.message}`))
      throw new SourceUnavailableError(
        `${url}: the text did not appear in the browser in time (a challenge it could not pass, or a slow page)`,
      );
    throw err;
  }
  const reason = challengeReason(page.html);
  if (reason)
    throw new SourceUnavailableError(
      `${url}: Légifrance answered a challenge page (${reason}) that the browser could not pass; no document kept`,
    );
  return page;
}

const documentSha = (doc: unknown) => sha256Hex(JSON.stringify(doc));

/**
 * Without API credentials: render the ELI page of each known arrêté, follow
 * its "Modifié par"/"Versions" links to the texts that amend it, and hand on
 * each page whose text is new or changed.
 */
export async function fetchThroughBrowser(ctx: SourceContext, state: JorfState): Promise<FetchResult> {
  if (!ctx.browser)
    throw new Error(`${SOURCE_ID} reads Légifrance pages through a browser, and none was given`);
  const texts = { ...state.texts };
  const artifacts: FetchedArtifact[] = [];
  const queue = KNOWN_TEXTS.map((k) => ({ url: `${LEGIFRANCE_ORIGIN}${k.eli}`, follow: true }));
  const rendered = new Set<string>();
  while (queue.length) {
    const next = queue.shift()!;
    if (rendered.has(next.url)) continue;
    if (rendered.size >= MAX_PAGES) {
      ctx.log.warn({ sourceId: SOURCE_ID, left: queue.length + 1 }, "page limit reached; the rest next run");
      break;
    }
    rendered.add(next.url);
    const response = responseOfPage(await renderText(ctx.browser, next.url));
    const snapshot = parseJorf({ body: response.body, contentType: response.contentType, url: response.url });
    // Only a known arrêté's links are followed: they are the texts that amend it.
    if (next.follow)
      for (const link of snapshot.meta.modifiedBy)
        if (!isStored(texts, link)) queue.push({ url: link.url, follow: false });
    const doc = snapshot.documents[0];
    if (!doc) {
      texts[snapshot.meta.nor!] = { cid: snapshot.meta.jorftextId, sha256: null };
      continue;
    }
    const sha = documentSha(doc);
    if (texts[doc.id]?.sha256 !== sha) artifacts.push({ response });
    texts[doc.id] = { cid: snapshot.meta.jorftextId, sha256: sha };
  }
  return { artifacts, state: { texts } };
}

/**
 * With API credentials: find each known arrêté by its NOR (once: its JORFTEXT
 * id is kept), search titles for the arrêtés that modify it, and consult each
 * text not yet recorded. Search answers are probes, not archived.
 */
export async function fetchThroughPiste(
  ctx: SourceContext,
  client: PostClient,
  credentials: PisteCredentials,
  state: JorfState,
  deps: { tokens: TokenCache; clock: () => number },
): Promise<FetchResult> {
  const session = pisteSession(client, credentials, deps.tokens, deps.clock);
  const texts = { ...state.texts };
  const toConsult = new Map<string, string | null>();
  const searched = async (body: ReturnType<typeof jorfSearchBody>) => {
    const response = await session.search(body);
    const answer = readApiAnswer(Buffer.from(response.body).toString("utf8"), response.url);
    if (answer.kind !== "search") throw new SourceUnavailableError(`${response.url}: not a search answer`);
    for (const w of answer.warnings) ctx.log.warn({ sourceId: SOURCE_ID }, w);
    return answer.hits;
  };
  for (const known of KNOWN_TEXTS) {
    if (texts[known.nor]) continue;
    const hit = (await searched(jorfSearchBody("NOR", known.nor, 5))).find((h) => h.nor === known.nor);
    if (hit) toConsult.set(hit.cid, known.nor);
    else ctx.log.warn({ sourceId: SOURCE_ID, nor: known.nor }, "the API found no text with this NOR");
  }
  for (const known of KNOWN_TEXTS)
    for (const hit of await searched(jorfSearchBody("TITLE", known.amendmentTitleWords, 50))) {
      const candidate = titleAmendsKnown(hit.title).length > 0 || KNOWN_TEXTS.some((k) => k.nor === hit.nor);
      if (candidate && !isStored(texts, hit)) toConsult.set(hit.cid, hit.nor);
    }
  const artifacts: FetchedArtifact[] = [];
  let consulted = 0;
  for (const cid of toConsult.keys()) {
    if (consulted++ >= MAX_CONSULTS) {
      ctx.log.warn(
        { sourceId: SOURCE_ID, left: toConsult.size - MAX_CONSULTS },
        "consult limit reached; the rest next run",
      );
      break;
    }
    const response = await session.consult(cid);
    const snapshot = parseJorf({ body: response.body, contentType: response.contentType, url: response.url });
    const doc = snapshot.documents[0];
    texts[snapshot.meta.nor!] = { cid, sha256: doc ? documentSha(doc) : null };
    if (doc) artifacts.push({ response });
  }
  return { artifacts, state: { texts } };
}

/** What a fetch needs besides its context: where the token is kept, the clock, the environment. */
export interface JorfFetchDeps {
  tokens: TokenCache;
  clock: () => number;
  /** The configured credentials by name (`ctx.secrets`). */
  env: Readonly<Record<string, string | undefined>>;
}

/** The API when both credentials are set and the client can POST; else the browser. */
export async function fetchJorf(ctx: SourceContext, deps: JorfFetchDeps): Promise<FetchResult> {
  const state = readState(ctx.state);
  const { credentials, problem } = pisteCredentials(deps.env);
  if (problem) ctx.log.warn({ sourceId: SOURCE_ID }, problem);
  if (credentials) {
    const client = postClientOf(ctx.http);
    if (client) return fetchThroughPiste(ctx, client, credentials, state, deps);
    ctx.log.warn(
      { sourceId: SOURCE_ID },
      "LEGIFRANCE_CLIENT_ID and LEGIFRANCE_CLIENT_SECRET are set but the HTTP client cannot POST: reading Légifrance pages through the browser",
    );
  }
  return fetchThroughBrowser(ctx, state);
}

// The token lives as long as this process: never in state.
const tokens = createTokenCache();

export const frJorfExportControl = defineSource({
  id: SOURCE_ID,
  jurisdiction: "FR",
  kind: "documents",
  title:
    "Journal officiel: the arrêté of 2 February 2024 on export authorisation of dual-use items, and the arrêtés that amend it",
  publisher: "Direction de l'information légale et administrative (Légifrance)",
  // The ELI page of the arrêté as published [C, SOURCES.md].
  officialUrl: `${LEGIFRANCE_ORIGIN}${KNOWN_TEXTS[0]!.eli}`,
  // The Journal officiel comes out early each morning (Paris), Tuesday to
  // Sunday; amendments are rare and a rendered page is costly: once a day.
  schedule: "20 7 * * *",
  expectations: {
    // A body is one text: none when it is neither the arrêté nor an amendment of it.
    minEntries: 0,
    maxEntries: 1,
    maxRemovedShare: 1,
    // effectiveAt too: a list change finds its instrument by that date.
    requiredFields: ["id", "title", "citation", "publishedAt", "effectiveAt"],
  },
  parserVersion: PARSER_VERSION,
  needsBrowser: true,
  // Amending arrêtés are published days to weeks before they apply; older than a month is history.
  alertWindowDays: 30,
  parse: parseJorf,
  describe: describedByDocuments,
  // The credentials are read here, when a fetch runs, and never logged or kept.
  fetch: (ctx) => fetchJorf(ctx, { tokens, clock: Date.now, env: ctx.secrets ?? {} }),
});
