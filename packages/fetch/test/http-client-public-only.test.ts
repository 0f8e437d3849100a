// publicOnly requests that are let through, which needs an address the guard
// accepts and a test can serve without a network: here 127.0.0.1 counts as
// public, and every other address is judged by the real table (127.0.0.2,
// where a second local server listens, stays loopback). The real
// guardedLookup, connector and undici fetch do the work.

import { createServer, type Server } from "node:http";
import type { ResolveAll } from "@regwatch/core/addresses";
import { UnsafeUrlError } from "@regwatch/core/errors";
import { createHttpClient } from "@regwatch/fetch/http-client";
import { afterEach, describe, expect, it, vi } from "vitest";

vi.mock("@regwatch/core/addresses", async (importOriginal) => {
  const actual = await importOriginal<typeof import("@regwatch/core/addresses")>();
  const refuse = (ip: string) => (ip === "127.0.0.1" ? null : actual.refusedAddress(ip));
  return {
    ...actual,
    refusedAddress: refuse,
    guardedLookup: (options: Parameters<typeof actual.guardedLookup>[0] = {}) =>
      actual.guardedLookup({ ...options, refuse }),
  };
});

interface Local {
  origin: string;
  port: number;
  paths: string[];
  close(): Promise<void>;
}

/** A server on `host` answering `/page` with a page and `/away?to=<url>` with a 302 there. */
async function serve(host: string): Promise<Local> {
  const paths: string[] = [];
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    paths.push(`${url.pathname}${url.search}`);
    if (url.pathname === "/away") {
      res.writeHead(302, { location: url.searchParams.get("to") ?? "/" }).end();
      return;
    }
    res.writeHead(200, { "content-type": "text/html; charset=utf-8", etag: '"e1"' }).end("<p>public</p>");
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    origin: `http://${host}:${port}`,
    port,
    paths,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const servers: Local[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function twoServers() {
  const outside = await serve("127.0.0.1");
  const inside = await serve("127.0.0.2");
  servers.push(outside, inside);
  return { outside, inside };
}

// Names as the connection-time resolver answers them.
const zone: ResolveAll = async (host) => {
  if (host === "public.example.com") return [{ address: "127.0.0.1", family: 4 }];
  if (host === "rebind.example.com") return [{ address: "127.0.0.2", family: 4 }];
  throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: "ENOTFOUND" });
};

const client = () =>
  createHttpClient({
    userAgent: "regwatch-test/1",
    timeoutMs: 5000,
    maxBytes: 1024,
    hostIntervalMs: 0,
    attempts: 3,
    sleep: async () => {},
    resolve: zone,
  });

describe("http client: publicOnly requests to addresses the guard accepts", () => {
  it("reads the answer through the guarded connection like any other", async () => {
    const { outside } = await twoServers();
    const http = client();
    for (const url of [`${outside.origin}/page`, `http://public.example.com:${outside.port}/page`]) {
      const answer = await http.get(url, { publicOnly: true });
      expect(answer).toMatchObject({ url, status: 200, contentType: "text/html; charset=utf-8" });
      expect(answer.headers.etag).toBe('"e1"');
      expect(Buffer.from(answer.body).toString()).toBe("<p>public</p>");
    }
    expect(outside.paths).toEqual(["/page", "/page"]);
  });

  it("refuses a name whose connection-time answer is refused, before any byte is sent", async () => {
    const { inside } = await twoServers();
    const err = await client()
      .get(`http://rebind.example.com:${inside.port}/page`, { publicOnly: true })
      .catch((e: unknown) => e as Error);
    expect(err).toBeInstanceOf(UnsafeUrlError);
    expect((err as Error).message).toMatch(
      /rebind\.example\.com resolves to 127\.0\.0\.2, which is loopback/,
    );
    expect(inside.paths).toEqual([]);
  });

  it("keeps every redirect hop it follows public-only", async () => {
    const { outside, inside } = await twoServers();
    const http = client();
    const away = (to: string) => `${outside.origin}/away?to=${encodeURIComponent(to)}`;
    for (const to of [`${inside.origin}/page`, `http://rebind.example.com:${inside.port}/page`]) {
      // Followed by fetch itself, and hop by hop when each is checked first (a check that lets all pass).
      for (const beforeRedirect of [undefined, async () => {}]) {
        const err = await http
          .get(away(to), { publicOnly: true, beforeRedirect })
          .catch((e: unknown) => e as Error);
        expect(err, to).toBeInstanceOf(UnsafeUrlError);
        expect((err as Error).message).toMatch(/refused when connecting: .*127\.0\.0\.2.* is loopback/);
      }
    }
    expect(inside.paths).toEqual([]);
    expect(outside.paths).toHaveLength(4);
    // Without publicOnly the same redirect is followed: the guard, not the mock, refused it.
    const followed = await http.get(away(`${inside.origin}/page`));
    expect(Buffer.from(followed.body).toString()).toBe("<p>public</p>");
    expect(inside.paths).toEqual(["/page"]);
  });
});
