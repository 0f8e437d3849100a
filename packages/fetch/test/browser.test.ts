import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { SourceUnavailableError } from "@regwatch/core/errors";
import { createBrowserClient } from "@regwatch/fetch/browser";
import { describe, expect, it } from "vitest";
import { startSourceServer } from "../../../test/support/source-server.ts";

const chromium = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const present = existsSync(chromium);
if (!present && process.env.REGWATCH_REQUIRE_SERVICES === "1") {
  throw new Error(`REGWATCH_REQUIRE_SERVICES=1 but Chromium is not at ${chromium}`);
}

describe("browser fetcher without a browser", () => {
  it("says the source cannot be reached from here, and how to fix it, when Chromium is missing", async () => {
    const browser = createBrowserClient({
      executablePath: "/nonexistent/chromium",
      userAgent: "regwatch-test",
    });
    const err = await browser.render("https://www.legifrance.gouv.fr/jorf/id/X").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SourceUnavailableError);
    expect((err as Error).message).toBe(
      "https://www.legifrance.gouv.fr/jorf/id/X: needs a browser, and no Chromium is installed at /nonexistent/chromium (install Debian's chromium, or set CHROMIUM_PATH)",
    );
  });
});

describe.skipIf(!present)("browser fetcher (Chromium through playwright-core)", () => {
  it("reports a refused connection and an error status as the source being unavailable", async () => {
    // A port that was listening a moment ago and is closed now.
    const closed = await startSourceServer({});
    await closed.close();
    const server = await startSourceServer({ "/gone.html": () => ({ status: 404, body: "gone" }) });
    const browser = createBrowserClient({
      executablePath: chromium,
      userAgent: "regwatch-test",
      originMap: { "https://www.bis.gov": server.origin, "https://closed.example": closed.origin },
    });
    try {
      const gone = await browser.render("https://www.bis.gov/gone.html").catch((e: unknown) => e);
      expect(gone).toBeInstanceOf(SourceUnavailableError);
      expect((gone as Error).message).toBe("https://www.bis.gov/gone.html: HTTP 404");
      const refused = await browser.render("https://closed.example/x").catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(SourceUnavailableError);
      expect((refused as Error).message).toMatch(
        /^https:\/\/closed\.example\/x: net::ERR_CONNECTION_REFUSED/,
      );
    } finally {
      await browser.close();
      await server.close();
    }
  });

  it("renders a page whose list only exists after its script runs", async () => {
    const server = await startSourceServer({
      "/iec.html": () => ({
        headers: { "content-type": "text/html; charset=utf-8" },
        body: `<!doctype html><html><body><table id="iec"></table><script>
          setTimeout(() => { document.getElementById("iec").innerHTML = "<tr><td>3B001.c.1.a</td><td>CA, GB, JP, NL</td></tr>"; }, 50);
        </script></body></html>`,
      }),
    });
    const browser = createBrowserClient({
      executablePath: chromium,
      userAgent: "regwatch-test",
      originMap: { "https://www.bis.gov": server.origin },
    });
    try {
      const page = await browser.render("https://www.bis.gov/iec.html", { waitForSelector: "#iec td" });
      expect(page.url).toBe("https://www.bis.gov/iec.html");
      expect(page.html).toContain("<td>3B001.c.1.a</td><td>CA, GB, JP, NL</td>");
      expect(server.requests[0]!.headers["user-agent"]).toBe("regwatch-test");
    } finally {
      await browser.close();
      await server.close();
    }
  });

  it("renders official pages and guarded pages in two browsers, each launched once, and closes both", async () => {
    const server = await startSourceServer({
      "/p.html": () => ({ headers: { "content-type": "text/html" }, body: "<p>page</p>" }),
    });
    // Chromium processes started by this process (their helpers are Chromium's children, not ours).
    const ours = () =>
      execFileSync("ps", ["-o", "args=", "--ppid", String(process.pid)], { encoding: "utf8" })
        .split("\n")
        // /usr/bin/chromium is Debian's wrapper: it execs /usr/lib/chromium/chromium in its place.
        .filter((args) => /\bchromium\b/.test(args.split(" ")[0] ?? "") && !args.includes("--type="));
    const before = ours().length;
    const browser = createBrowserClient({
      executablePath: chromium,
      userAgent: "regwatch-test",
      // The local page stands in for a public one: let it through the guard.
      checkRequest: async () => null,
    });
    try {
      const pages = await Promise.all([
        browser.render(`${server.origin}/p.html`),
        browser.render(`${server.origin}/p.html`),
        browser.render(`${server.origin}/p.html`, { publicOnly: true }),
        browser.render(`${server.origin}/p.html`, { publicOnly: true }),
      ]);
      for (const page of pages) expect(page.html).toContain("<p>page</p>");
      const launched = ours().slice(before);
      expect(launched).toHaveLength(2);
      // Site isolation is given up only where the guard needs it.
      expect(launched.filter((args) => args.includes("--disable-site-isolation-trials"))).toHaveLength(1);
    } finally {
      await browser.close();
      await server.close();
    }
    expect(ours()).toHaveLength(before);
  });
});
