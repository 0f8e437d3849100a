import { isIP } from "node:net";
import { describeRefusal, type ResolveAll, refusedAddress, resolveAll } from "@regwatch/core/addresses";
import { SourceUnavailableError, UnsafeUrlError } from "@regwatch/core/errors";
import type { BrowserClient, BrowserPage } from "@regwatch/core/http";
import { shortUrl } from "./http-client.ts";

/**
 * Why the browser must not send a request to `url`, or null when it may.
 * Throws when it cannot tell (the host does not resolve): the request is
 * then aborted as a name not resolved.
 */
export type RequestCheck = (url: string) => Promise<string | null>;

export interface BrowserOptions {
  executablePath: string;
  originMap?: Record<string, string>;
  timeoutMs?: number;
  userAgent: string;
  /**
   * What `publicOnly` renders put each request through; default
   * `publicAddressCheck()`. Tests inject one (to let a local page through
   * and refuse what it links).
   */
  checkRequest?: RequestCheck;
}

// Schemes a page loads without the network.
const LOCAL_SCHEMES = new Set(["data:", "blob:", "about:"]);

/**
 * The default `RequestCheck`: http(s) and ws(s) only, and a host whose
 * every address `refusedAddress` lets through (an IP literal judged as it
 * is, a name resolved with `resolve`).
 */
export function publicAddressCheck(resolve: ResolveAll = resolveAll): RequestCheck {
  return async (url) => {
    const u = new URL(url);
    if (LOCAL_SCHEMES.has(u.protocol)) return null;
    if (!["http:", "https:", "ws:", "wss:"].includes(u.protocol)) return `${u.protocol} is not fetched`;
    const host = u.hostname.replace(/^\[(.*)\]$/, "$1");
    if (isIP(host)) {
      const reason = refusedAddress(host);
      return reason ? describeRefusal({ hostname: host, address: host, reason }) : null;
    }
    const answers = await resolve(host);
    if (!answers.length) throw new Error(`${host} has no address`);
    for (const { address } of answers) {
      const reason = refusedAddress(address);
      if (reason) return describeRefusal({ hostname: host, address, reason });
    }
    return null;
  };
}

// The flags a headless Chromium needs on a closed network, as root, with no GPU.
export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];

// Launch settings of the browser that serves guarded (publicOnly) renders;
// official pages render in another, launched with CHROMIUM_ARGS alone:
// - Site isolation off, so that a cross-site frame loads in its page's
//   renderer and its requests pass the page's DevTools interception (in a
//   process of its own they would not). Each render has a fresh context,
//   closed after it, holding no cookies or data of any other site: the
//   isolation has little to protect here.
// - Playwright turns Chromium's popup blocker off; on, a page cannot open
//   windows without a click (and nothing clicks), so no page escapes the
//   interception of the one being rendered.
const GUARD_ARGS = ["--disable-site-isolation-trials", "--disable-features=IsolateOrigins,site-per-process"];
const GUARD_IGNORED_DEFAULT_ARGS = ["--disable-popup-blocking"];

/**
 * A browser fetcher for pages that need JavaScript. playwright-core is
 * imported only when the first page is rendered, so sources that never ask
 * for a browser never load it.
 */
export function createBrowserClient(options: BrowserOptions): BrowserClient & { close(): Promise<void> } {
  // Two browsers, each launched on first use and shared after: official pages render in a
  // Chromium with its usual site isolation; guarded renders (a page a user watches) in one set
  // up for the address guard. One launch per kind, however many renders ask for it at once.
  const launched = new Map<"plain" | "guarded", Promise<import("playwright-core").Browser>>();
  const browserFor = (kind: "plain" | "guarded", url: string) => {
    let browser = launched.get(kind);
    if (!browser) {
      browser = (async () => {
        const { chromium } = await import("playwright-core");
        try {
          return await chromium.launch({
            executablePath: options.executablePath,
            ...(kind === "guarded"
              ? { args: [...CHROMIUM_ARGS, ...GUARD_ARGS], ignoreDefaultArgs: GUARD_IGNORED_DEFAULT_ARGS }
              : { args: CHROMIUM_ARGS }),
          });
        } catch (err) {
          // This machine cannot render pages at all: the source cannot be reached from here, and the operator can fix it.
          const missing = /doesn't exist|ENOENT/.test((err as Error).message);
          throw new SourceUnavailableError(
            missing
              ? `${shortUrl(url)}: needs a browser, and no Chromium is installed at ${options.executablePath} (install Debian's chromium, or set CHROMIUM_PATH)`
              : `${shortUrl(url)}: Chromium at ${options.executablePath} did not start: ${firstLine(err)}`,
          );
        }
      })();
      launched.set(kind, browser);
      // A launch that failed is tried again by the next render (Chromium may have been installed since).
      browser.catch(() => {
        if (launched.get(kind) === browser) launched.delete(kind);
      });
    }
    return browser;
  };
  return {
    async render(url, renderOptions = {}): Promise<BrowserPage> {
      const { mapOrigin } = await import("./http-client.ts");
      const publicOnly = renderOptions.publicOnly ?? false;
      const browser = await browserFor(publicOnly ? "guarded" : "plain", url);
      const context = await browser.newContext({
        userAgent: options.userAgent,
        // A service worker's requests would pass outside the page's interception.
        ...(publicOnly ? { serviceWorkers: "block" as const } : {}),
      });
      try {
        const target = mapOrigin(url, options.originMap);
        const page = await context.newPage();
        const guard = publicOnly
          ? await guardRequests(context, page, options.checkRequest ?? publicAddressCheck())
          : null;
        const timeout = renderOptions.timeoutMs ?? options.timeoutMs ?? 30_000;
        const refusal = () => {
          const document = guard?.refusedDocument();
          if (!document) return null;
          const where = document.url === target ? "" : ` (on the way, ${shortUrl(document.url)})`;
          return new UnsafeUrlError(
            `${shortUrl(url)}: refused${where}: ${document.why} (only public addresses may be reached)`,
          );
        };
        let response: Awaited<ReturnType<typeof page.goto>>;
        try {
          response = await page.goto(target, { timeout, waitUntil: "load" });
        } catch (err) {
          // The document stopped by the guard: not the network, and no retry will change it.
          throw (
            refusal() ??
            // net::ERR_CONNECTION_REFUSED, ERR_NAME_NOT_RESOLVED, a timeout: the network, as for a plain request.
            new SourceUnavailableError(`${shortUrl(url)}: ${firstLine(err)}`)
          );
        }
        const status = response?.status() ?? 200;
        if (status >= 400) throw new SourceUnavailableError(`${shortUrl(url)}: HTTP ${status}`);
        if (renderOptions.waitForSelector)
          await page.waitForSelector(renderOptions.waitForSelector, { timeout });
        // A script that sent the page somewhere refused: what is shown is not the page asked for.
        const late = refusal();
        if (late) throw late;
        return { url, html: await page.content(), fetchedAt: new Date().toISOString() };
      } finally {
        await context.close();
      }
    },
    async close() {
      const browsers = [...launched.values()];
      launched.clear();
      for (const browser of browsers) await (await browser.catch(() => null))?.close();
    },
  };
}

type BrowserContext = import("playwright-core").BrowserContext;
type Page = import("playwright-core").Page;

/**
 * Puts every request of `page` through `check` before Chromium sends it:
 * its document, each redirect hop, its frames' requests, subresources,
 * fetches, its workers' requests (the DevTools Fetch domain; Playwright's
 * `route` does not see redirect hops), and its WebSockets. A refused request
 * is failed as blocked by the client; a refused document of the main frame
 * (the page, a redirect of it, a navigation a script starts) is remembered
 * so that the render fails. Other pages of the context (popups) are closed.
 *
 * Chromium resolves names itself after the check: a name that answers one
 * address to the check and another to Chromium's lookup moments later (DNS
 * rebinding) is outside this guard, unlike the HTTP client's `publicOnly`,
 * whose socket goes to the address it checked. So are connections Chromium
 * makes without a request: DNS prefetch and preconnect hints, WebRTC.
 */
async function guardRequests(context: BrowserContext, page: Page, check: RequestCheck) {
  let refused: { url: string; why: string } | null = null;
  // One answer per origin and render: a page asks for many files from few hosts.
  const verdicts = new Map<string, Promise<string | null>>();
  const judge = (url: string) => {
    let key: string;
    try {
      const u = new URL(url);
      key = LOCAL_SCHEMES.has(u.protocol) ? url : `${u.protocol}//${u.host}`;
    } catch {
      return Promise.resolve(`"${url}" is not a URL`);
    }
    let verdict = verdicts.get(key);
    if (!verdict) {
      verdict = check(url);
      verdicts.set(key, verdict);
    }
    return verdict;
  };

  context.on("page", (other) => {
    if (other !== page) other.close().catch(() => {});
  });
  await context.routeWebSocket(
    () => true,
    async (socket) => {
      const why = await judge(socket.url()).catch(() => "its host does not resolve");
      if (why === null) socket.connectToServer();
      else await socket.close({ code: 1008, reason: "refused" });
    },
  );

  const session = await context.newCDPSession(page);
  const { frameTree } = await session.send("Page.getFrameTree");
  const mainFrame = frameTree.frame.id;
  session.on("Fetch.requestPaused", (event) => {
    const requestId = event.requestId;
    judge(event.request.url)
      .then(
        (why) => {
          if (why === null) return session.send("Fetch.continueRequest", { requestId });
          if (event.resourceType === "Document" && event.frameId === mainFrame)
            refused ??= { url: event.request.url, why };
          return session.send("Fetch.failRequest", { requestId, errorReason: "BlockedByClient" });
        },
        // The host does not resolve: fail the request as Chromium would.
        () => session.send("Fetch.failRequest", { requestId, errorReason: "NameNotResolved" }),
      )
      // The page or the context closed while the check ran: nothing is waiting for the request.
      .catch(() => {});
  });
  await session.send("Fetch.enable", { patterns: [{ urlPattern: "*", requestStage: "Request" }] });
  return { refusedDocument: () => refused };
}

/** An error's first line without playwright's call log. */
function firstLine(err: unknown): string {
  return ((err as Error).message ?? String(err))
    .split("\n")[0]!
    .replace(/^page\.goto: |^browserType\.launch: /, "");
}
