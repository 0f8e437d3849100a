import { SourceUnavailableError } from "@regwatch/core/errors";
import type { BrowserClient, BrowserPage } from "@regwatch/core/http";
import { shortUrl } from "./http-client.ts";

export interface BrowserOptions {
  executablePath: string;
  originMap?: Record<string, string>;
  timeoutMs?: number;
  userAgent: string;
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

/**
 * A browser fetcher for pages that need JavaScript. playwright-core is
 * imported only when the first page is rendered, so sources that never ask
 * for a browser never load it.
 */
export function createBrowserClient(options: BrowserOptions): BrowserClient & { close(): Promise<void> } {
  let browser: import("playwright-core").Browser | undefined;
  return {
    async render(url, renderOptions = {}): Promise<BrowserPage> {
      const { mapOrigin } = await import("./http-client.ts");
      if (!browser) {
        const { chromium } = await import("playwright-core");
        try {
          browser = await chromium.launch({ executablePath: options.executablePath, args: CHROMIUM_ARGS });
        } catch (err) {
          // This machine cannot render pages at all: the source cannot be reached from here, and the operator can fix it.
          const missing = /doesn't exist|ENOENT/.test((err as Error).message);
          throw new SourceUnavailableError(
            missing
              ? `${shortUrl(url)}: needs a browser, and no Chromium is installed at ${options.executablePath} (install Debian's chromium, or set CHROMIUM_PATH)`
              : `${shortUrl(url)}: Chromium at ${options.executablePath} did not start: ${firstLine(err)}`,
          );
        }
      }
      const context = await browser.newContext({ userAgent: options.userAgent });
      try {
        const page = await context.newPage();
        const timeout = renderOptions.timeoutMs ?? options.timeoutMs ?? 30_000;
        let response: Awaited<ReturnType<typeof page.goto>>;
        try {
          response = await page.goto(mapOrigin(url, options.originMap), { timeout, waitUntil: "load" });
        } catch (err) {
          // net::ERR_CONNECTION_REFUSED, ERR_NAME_NOT_RESOLVED, a timeout: the network, as for a plain request.
          throw new SourceUnavailableError(`${shortUrl(url)}: ${firstLine(err)}`);
        }
        const status = response?.status() ?? 200;
        if (status >= 400) throw new SourceUnavailableError(`${shortUrl(url)}: HTTP ${status}`);
        if (renderOptions.waitForSelector)
          await page.waitForSelector(renderOptions.waitForSelector, { timeout });
        return { url, html: await page.content(), fetchedAt: new Date().toISOString() };
      } finally {
        await context.close();
      }
    },
    async close() {
      await browser?.close();
      browser = undefined;
    },
  };
}

/** An error's first line without playwright's call log. */
function firstLine(err: unknown): string {
  return ((err as Error).message ?? String(err))
    .split("\n")[0]!
    .replace(/^page\.goto: |^browserType\.launch: /, "");
}
