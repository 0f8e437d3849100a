// The address guard on what Chromium fetches for a browser-watched page:
// every request the page makes is checked before Chromium sends it. Local
// servers stand in for the hosts; no network.
import { existsSync } from "node:fs";
import { UnsafeUrlError } from "@regwatch/core/errors";
import { createBrowserClient } from "@regwatch/fetch/browser";
import { pageSource } from "@regwatch/sources/page";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startSourceServer } from "../support/source-server.ts";
import { silentLog, testHttpClient } from "../support/test-http.ts";

const chromiumPath = process.env.CHROMIUM_PATH || "/usr/bin/chromium";
const present = existsSync(chromiumPath);
if (!present && process.env.REGWATCH_REQUIRE_SERVICES === "1") {
  throw new Error(`REGWATCH_REQUIRE_SERVICES=1 but Chromium is not at ${chromiumPath}`);
}

const html = { "content-type": "text/html; charset=utf-8" };
// What a page asked for, less the icon Chromium may ask for on its own.
const paths = (server: { requests: { path: string }[] }) =>
  server.requests.map((r) => r.path).filter((p) => p !== "/favicon.ico");

describe.skipIf(!present)("a browser-watched page's requests checked by the address guard", () => {
  // `site` serves the page; `inside` stands in for an address the page must not reach.
  // localhost is another site than 127.0.0.1: a frame from it is cross-site, as one from another host would be.
  let site: Awaited<ReturnType<typeof startSourceServer>>;
  let inside: Awaited<ReturnType<typeof startSourceServer>>;
  let siteByName: string;
  let insideByName: string;
  beforeAll(async () => {
    inside = await startSourceServer({
      "/pixel.png": () => ({ body: "png", headers: { "content-type": "image/png" } }),
      "/mark.js": () => ({
        body: 'document.body.insertAdjacentHTML("beforeend", "<p id=mark>script ran</p>")',
        headers: { "content-type": "text/javascript" },
      }),
      "/secret": () => ({ body: "<main><p>inside</p></main>", headers: html }),
    });
    insideByName = inside.origin.replace("127.0.0.1", "localhost");
    site = await startSourceServer({
      // Everything a page can ask of another address: an image, a script, a cross-site frame
      // (whose own image goes there), a fetch, a WebSocket, a popup. #done appears once the
      // fetch and the socket have settled either way.
      "/notice": () => ({
        body: `<!doctype html><html><body><main><h1>Notice</h1><p>Licences are assessed within 30 days.</p>
          <img src="${inside.origin}/pixel.png"><script src="${inside.origin}/mark.js"></script>
          <iframe src="${siteByName}/framed"></iframe>
          <script>
            const fetched = fetch("${inside.origin}/secret", { mode: "no-cors" }).then(() => "fetched", () => "fetch failed");
            const socket = new Promise((resolve) => {
              const ws = new WebSocket("${inside.origin.replace("http:", "ws:")}/socket");
              ws.onopen = () => resolve("socket open");
              ws.onclose = () => resolve("socket closed");
            });
            Promise.all([fetched, socket]).then((r) => document.body.insertAdjacentHTML("beforeend", "<p id=done>" + r.join(", ") + "</p>"));
            window.open("${inside.origin}/popup");
          </script>
          </main></body></html>`,
        headers: html,
      }),
      "/framed": () => ({ body: `<p>framed</p><img src="${inside.origin}/from-frame.png">`, headers: html }),
      "/away": () => ({ status: 302, headers: { location: "/hop" } }),
      "/hop": () => ({ status: 302, headers: { location: `${insideByName}/secret` } }),
    });
    siteByName = site.origin.replace("127.0.0.1", "localhost");
  });
  afterEach(() => {
    site.requests.length = 0;
    inside.requests.length = 0;
  });
  afterAll(async () => {
    await site.close();
    await inside.close();
  });

  it("refuses a page on a loopback address, and renders it, asking all of the other address, when private addresses are allowed", async () => {
    const browser = createBrowserClient({ executablePath: chromiumPath, userAgent: "regwatch-test" });
    try {
      const err = await browser
        .render(`${site.origin}/notice`, { publicOnly: true })
        .catch((e: unknown) => e as Error);
      expect(err).toBeInstanceOf(UnsafeUrlError);
      expect((err as Error).message).toBe(
        `${site.origin}/notice: refused: 127.0.0.1 is loopback (only public addresses may be reached)`,
      );
      expect(site.requests).toEqual([]);
      const page = await browser.render(`${site.origin}/notice`, { waitForSelector: "#done" });
      expect(page.html).toContain("Licences are assessed within 30 days.");
      expect(page.html).toContain('<p id="mark">script ran</p>');
      expect(paths(site)).toEqual(["/notice", "/framed"]);
      expect(paths(inside)).toEqual(
        expect.arrayContaining(["/pixel.png", "/mark.js", "/secret", "/socket", "/from-frame.png"]),
      );
    } finally {
      await browser.close();
    }
  }, 60_000);

  it("renders an allowed page while stopping everything it asks of a refused address", async () => {
    const allowed = new URL(site.origin).port;
    const checked: string[] = [];
    const browser = createBrowserClient({
      executablePath: chromiumPath,
      userAgent: "regwatch-test",
      // Only the site's port counts as public here, by either name; everything else is refused.
      checkRequest: async (url) => {
        checked.push(new URL(url).origin);
        return new URL(url).port === allowed ? null : "refused by the test";
      },
    });
    try {
      const page = await browser.render(`${site.origin}/notice`, {
        publicOnly: true,
        waitForSelector: "#done",
      });
      expect(page.html).toContain("Licences are assessed within 30 days.");
      expect(page.html).toContain('<p id="done">fetch failed, socket closed</p>');
      expect(page.html).not.toContain('<p id="mark">');
      expect(inside.requests).toEqual([]);
      expect(paths(site)).toEqual(["/notice", "/framed"]);
      // Judged once per origin and render; the frame's image went through the check too.
      expect(checked).toEqual(expect.arrayContaining([site.origin, siteByName, inside.origin]));
    } finally {
      await browser.close();
    }
  }, 60_000);

  it("refuses a page that redirects, by way of another hop, to a refused address", async () => {
    const allowed = new URL(site.origin).port;
    const browser = createBrowserClient({
      executablePath: chromiumPath,
      userAgent: "regwatch-test",
      checkRequest: async (url) => (new URL(url).port === allowed ? null : "refused by the test"),
    });
    try {
      const err = await browser
        .render(`${site.origin}/away`, { publicOnly: true })
        .catch((e: unknown) => e as Error);
      expect(err).toBeInstanceOf(UnsafeUrlError);
      expect((err as Error).message).toBe(
        `${site.origin}/away: refused (on the way, ${insideByName}/secret): refused by the test (only public addresses may be reached)`,
      );
      expect(paths(site)).toEqual(["/away", "/hop"]);
      expect(inside.requests).toEqual([]);
    } finally {
      await browser.close();
    }
  }, 60_000);

  it("fails a watched page's run when Chromium would connect to a loopback address", async () => {
    const port = new URL(site.origin).port;
    const url = `http://trade.example.gov:${port}/notice`;
    // The early check is told a public address; the browser is sent to the local server.
    const browser = createBrowserClient({
      executablePath: chromiumPath,
      userAgent: "regwatch-test",
      originMap: { [`http://trade.example.gov:${port}`]: site.origin },
    });
    try {
      const page = pageSource(
        {
          id: "page.trade-example-gov-notice",
          url,
          browser: true,
          jurisdiction: "US",
          schedule: "0 7 * * *",
        },
        { resolve: async () => [{ address: "93.184.216.34", family: 4 }] },
      );
      const err = await page
        .fetch({
          http: testHttpClient({}),
          browser,
          log: silentLog,
          now: new Date("2026-12-02T07:00:00Z"),
          state: {},
        })
        .catch((e: unknown) => e as Error);
      expect(err).toBeInstanceOf(UnsafeUrlError);
      expect((err as Error).message).toBe(
        `${url}: refused: 127.0.0.1 is loopback (only public addresses may be reached)`,
      );
      expect(site.requests).toEqual([]);
    } finally {
      await browser.close();
    }
  }, 60_000);
});
