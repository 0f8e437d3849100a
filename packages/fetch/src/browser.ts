import type { BrowserClient, BrowserPage } from "@regwatch/core/http";

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
        browser = await chromium.launch({ executablePath: options.executablePath, args: CHROMIUM_ARGS });
      }
      const context = await browser.newContext({ userAgent: options.userAgent });
      try {
        const page = await context.newPage();
        const timeout = renderOptions.timeoutMs ?? options.timeoutMs ?? 30_000;
        await page.goto(mapOrigin(url, options.originMap), { timeout, waitUntil: "load" });
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
