import { existsSync } from "node:fs";
import { createBrowserClient } from "@regwatch/fetch/browser";
import { describe, expect, it } from "vitest";
import { startSourceServer } from "../../../test/support/source-server.ts";

const chromium = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const present = existsSync(chromium);
if (!present && process.env.REGWATCH_REQUIRE_SERVICES === "1") {
  throw new Error(`REGWATCH_REQUIRE_SERVICES=1 but Chromium is not at ${chromium}`);
}

describe.skipIf(!present)("browser fetcher (Chromium through playwright-core)", () => {
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
});
