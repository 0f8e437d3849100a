// The watched-page source against DNS rebinding: a host that passes the
// early check (`checkWatchUrl`, told a public address) and resolves to
// loopback when the connection is made. The real HTTP client, a local server
// standing in for the host, resolvers injected on both sides; no network.

import { UnsafeUrlError } from "@regwatch/core/errors";
import type { HttpClient } from "@regwatch/core/http";
import { createHttpClient, type HttpClientOptions } from "@regwatch/fetch/http-client";
import { afterEach, describe, expect, it } from "vitest";
import { startSourceServer } from "../../../test/support/source-server.ts";
import { silentLog } from "../../../test/support/test-http.ts";
import type { SourceContext } from "../src/define-source.ts";
import { pageSource } from "../src/page/source.ts";
import type { ResolveAll } from "../src/page/ssrf.ts";

type Server = Awaited<ReturnType<typeof startSourceServer>>;
let server: Server | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** What the early check is told: a public address. */
const checkedPublic: ResolveAll = async () => [{ address: "93.184.216.34", family: 4 }];
/** What the resolver answers when the connection is made. */
const nowLoopback: ResolveAll = async () => [{ address: "127.0.0.1", family: 4 }];

const PAGE = `<html><body><main><h1>Export notice</h1>
<p>Licences for the items below are assessed within 30 working days.</p>
<p>See the <a href="http://files.example.gov:PORT/annex.pdf">annex (PDF)</a>.</p>
</main></body></html>`;

function httpClient(extra: Partial<HttpClientOptions>) {
  const waits: number[] = [];
  const http = createHttpClient({
    userAgent: "regwatch-test",
    timeoutMs: 5000,
    maxBytes: 1024 * 1024,
    hostIntervalMs: 0,
    attempts: 4,
    sleep: async (ms) => {
      waits.push(ms);
    },
    ...extra,
  });
  return { http, waits };
}

const context = (http: HttpClient): SourceContext => ({
  http,
  log: silentLog,
  now: new Date("2026-12-02T06:00:00Z"),
  state: {},
});

const config = (url: string) => ({
  id: "page.trade-example-gov-notice",
  url,
  jurisdiction: "US",
  schedule: "0 6 * * *",
});

async function startSite() {
  server = await startSourceServer({
    "/notice": () => ({
      body: PAGE.replace("PORT", new URL(server!.origin).port),
      headers: { "content-type": "text/html; charset=utf-8" },
    }),
    "/annex.pdf": () => ({ body: "%PDF-1.7\nannex\n%%EOF", headers: { "content-type": "application/pdf" } }),
  });
  return { server, port: new URL(server.origin).port };
}

describe("watched page: the address checked again when connecting", () => {
  it("fails the run, for good, when the page's host resolves to loopback at connection time", async () => {
    const { server, port } = await startSite();
    const url = `http://trade.example.gov:${port}/notice`;
    const page = pageSource(config(url), { resolve: checkedPublic });
    const { http, waits } = httpClient({ resolve: nowLoopback });
    const err = await page.fetch(context(http)).catch((e: unknown) => e as Error);
    expect(err).toBeInstanceOf(UnsafeUrlError);
    expect((err as Error).message).toBe(
      `${url}: refused when connecting: trade.example.gov resolves to 127.0.0.1, which is loopback (only public addresses may be reached)`,
    );
    expect(server.requests).toEqual([]);
    // Not retried: no backoff was slept.
    expect(waits).toEqual([]);
  });

  it("records a linked document whose host resolves to loopback at connection time as refused, asking nothing of it", async () => {
    const { server, port } = await startSite();
    const url = `http://trade.example.gov:${port}/notice`;
    const page = pageSource(config(url), { resolve: checkedPublic });
    const { http: guarded } = httpClient({
      resolve: nowLoopback,
      originMap: { [`http://trade.example.gov:${port}`]: server.origin },
    });
    // The page itself is served by the local server standing in for its public host,
    // which the guard would refuse: its request goes without it; the document's does not.
    const http: HttpClient = {
      get: (asked, options) =>
        guarded.get(asked, asked === url ? { ...options, publicOnly: false } : options),
    };
    const result = await page.fetch(context(http));
    expect(server.requests.map((r) => r.path)).toEqual(["/notice"]);
    const artifact = result.artifacts[0]!.response;
    const snapshot = page.parse({ body: artifact.body, contentType: artifact.contentType, url });
    const docs = snapshot.kind === "list" ? snapshot.entries.filter((e) => e.key.startsWith("doc:")) : [];
    expect(docs.map((e) => [e.key, e.text])).toEqual([
      [
        `doc:http://files.example.gov:${port}/annex.pdf`,
        `not fetched: http://files.example.gov:${port}/annex.pdf: refused when connecting: files.example.gov resolves to 127.0.0.1, which is loopback (only public addresses may be reached)`,
      ],
    ]);
  });

  it("fetches the page and its document when private addresses are allowed", async () => {
    const { server, port } = await startSite();
    const url = `http://trade.example.gov:${port}/notice`;
    const page = pageSource(config(url), { allowPrivateUrls: true });
    const { http } = httpClient({ resolve: nowLoopback, originMap: { "*": server.origin } });
    const result = await page.fetch(context(http));
    expect(result.artifacts).toHaveLength(1);
    expect(server.requests.map((r) => r.path)).toEqual(["/notice", "/annex.pdf"]);
  });
});
