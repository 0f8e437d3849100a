import {
  AbortedError,
  classifyError,
  RateLimitedError,
  ResponseTooLargeError,
  SourceUnavailableError,
  UnsafeUrlError,
} from "@regwatch/core/errors";
import {
  createHttpClient,
  type HttpClientOptions,
  mapOrigin,
  retryAfterMs,
} from "@regwatch/fetch/http-client";
import { afterEach, describe, expect, it } from "vitest";
import { startSourceServer } from "../../../test/support/source-server.ts";

type Server = Awaited<ReturnType<typeof startSourceServer>>;
let server: Server | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

function client(origin: string, extra: Partial<HttpClientOptions> = {}) {
  const waits: number[] = [];
  const http = createHttpClient({
    userAgent: "regwatch-test/1",
    timeoutMs: 5000,
    maxBytes: 1024,
    hostIntervalMs: 0,
    originMap: { "https://www.ecfr.gov": origin },
    sleep: async (ms) => {
      waits.push(ms);
    },
    ...extra,
  });
  return { http, waits };
}

describe("http client", () => {
  it("asks the mapped origin with the official path, query and a descriptive User-Agent", async () => {
    server = await startSourceServer({
      "/api/versioner/v1/titles.json": () => ({
        body: '{"titles":[]}',
        headers: { "content-type": "application/json" },
      }),
    });
    const { http } = client(server.origin);
    const response = await http.get("https://www.ecfr.gov/api/versioner/v1/titles.json?x=1");
    expect(response).toMatchObject({
      status: 200,
      notModified: false,
      url: "https://www.ecfr.gov/api/versioner/v1/titles.json?x=1",
    });
    expect(Buffer.from(response.body).toString()).toBe('{"titles":[]}');
    expect(response.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(server.requests[0]).toMatchObject({ path: "/api/versioner/v1/titles.json?x=1" });
    expect(server.requests[0]!.headers["user-agent"]).toBe("regwatch-test/1");
  });

  it("posts a body with its content type, never conditionally, and keeps the body out of errors", async () => {
    const received: { method: string; type: string; body: string; ifNoneMatch: unknown }[] = [];
    let calls = 0;
    server = await startSourceServer({
      "/api/oauth/token": async (req) => {
        const chunks: Buffer[] = [];
        for await (const c of req) chunks.push(c as Buffer);
        received.push({
          method: req.method ?? "",
          type: String(req.headers["content-type"]),
          body: Buffer.concat(chunks).toString(),
          ifNoneMatch: req.headers["if-none-match"],
        });
        calls++;
        return calls === 1
          ? { status: 503 }
          : calls === 2
            ? { body: '{"access_token":"t"}', headers: { "content-type": "application/json" } }
            : { status: 401 };
      },
    });
    const validators = { get: async () => ({ etag: '"v1"', lastModified: null }) };
    const { http } = client(server.origin, { validators } as Partial<HttpClientOptions>);
    const form = "grant_type=client_credentials&client_id=id&client_secret=s3cret";
    const headers = { "content-type": "application/x-www-form-urlencoded" };
    const answer = await http.post!("https://www.ecfr.gov/api/oauth/token", form, { headers });
    expect(Buffer.from(answer.body).toString()).toBe('{"access_token":"t"}');
    // Retried after the 503 with the same body; never If-None-Match.
    expect(received).toHaveLength(2);
    for (const r of received) {
      expect(r).toMatchObject({ method: "POST", type: "application/x-www-form-urlencoded", body: form });
      expect(r.ifNoneMatch).toBeUndefined();
    }
    const refused = await http.post!("https://www.ecfr.gov/api/oauth/token", form, { headers }).catch(
      (e) => e,
    );
    expect(refused).toBeInstanceOf(SourceUnavailableError);
    expect((refused as Error).message).toMatch(/HTTP 401/);
    expect((refused as Error).message).not.toContain("s3cret");
  });

  it("lets a caller's header replace the default whatever its case, and returns a status it reads itself", async () => {
    server = await startSourceServer({ "/sumario/20251111": () => ({ status: 404, body: "Not Found" }) });
    const { http } = client(server.origin);
    const answer = await http.get("https://www.ecfr.gov/sumario/20251111", {
      headers: { Accept: "application/xml" },
      acceptStatuses: [404],
    });
    expect(answer.status).toBe(404);
    expect(Buffer.from(answer.body).toString()).toBe("Not Found");
    expect(server.requests[0]!.headers.accept).toBe("application/xml");
    // Without asking for it, a 404 is the source being unavailable.
    await expect(http.get("https://www.ecfr.gov/sumario/20251111")).rejects.toThrow(/HTTP 404/);
  });

  it("checks every redirect before following it when asked, and keeps the address asked for", async () => {
    server = await startSourceServer({
      "/a": () => ({ status: 302, headers: { location: "/b" } }),
      "/b": () => ({ status: 301, headers: { location: "http://10.0.0.1/inside" } }),
      "/ok": () => ({ status: 307, headers: { location: "/final" } }),
      "/final": () => ({ body: "page" }),
    });
    const { http } = client(server.origin);
    const seen: string[] = [];
    const guard = async (url: string) => {
      seen.push(url);
      if (new URL(url).hostname === "10.0.0.1") throw new Error(`${url}: a private address`);
    };
    await expect(http.get("https://www.ecfr.gov/a", { beforeRedirect: guard })).rejects.toThrow(
      "http://10.0.0.1/inside: a private address",
    );
    expect(seen).toEqual(["https://www.ecfr.gov/b", "http://10.0.0.1/inside"]);
    const answer = await http.get("https://www.ecfr.gov/ok", { beforeRedirect: guard });
    expect(Buffer.from(answer.body).toString()).toBe("page");
    expect(answer.url).toBe("https://www.ecfr.gov/ok");
    // Nothing was asked of the private address.
    expect(server.requests.map((r) => r.path)).toEqual(["/a", "/b", "/ok", "/final"]);
  });

  it("retries a 503 with backoff and returns the answer that follows", async () => {
    let calls = 0;
    server = await startSourceServer({ "/x": () => (++calls < 3 ? { status: 503 } : { body: "ok" }) });
    const { http, waits } = client(server.origin, { backoffMs: 100 });
    const response = await http.get("https://www.ecfr.gov/x");
    expect(Buffer.from(response.body).toString()).toBe("ok");
    expect(calls).toBe(3);
    expect(waits).toHaveLength(2);
    expect(waits[1]!).toBeGreaterThan(waits[0]!);
  });

  it("honours Retry-After on 429", async () => {
    let calls = 0;
    server = await startSourceServer({
      "/x": () => (++calls === 1 ? { status: 429, headers: { "retry-after": "7" } } : { body: "ok" }),
    });
    const { http, waits } = client(server.origin);
    await http.get("https://www.ecfr.gov/x");
    expect(waits).toEqual([7000]);
  });

  it("gives up at once with RateLimitedError when asked to wait longer than it will", async () => {
    server = await startSourceServer({ "/x": () => ({ status: 429, headers: { "retry-after": "3600" } }) });
    const { http, waits } = client(server.origin);
    await expect(http.get("https://www.ecfr.gov/x")).rejects.toBeInstanceOf(RateLimitedError);
    expect(waits).toEqual([]);
    expect(server.requests).toHaveLength(1);
  });

  it("reports a source that keeps failing as unavailable after its attempts", async () => {
    server = await startSourceServer({ "/x": () => ({ status: 502 }) });
    const { http } = client(server.origin, { attempts: 3 });
    await expect(http.get("https://www.ecfr.gov/x")).rejects.toThrow(/HTTP 502 \(after 3 attempts\)/);
    expect(server.requests).toHaveLength(3);
  });

  it("does not retry a 404", async () => {
    server = await startSourceServer({});
    const { http } = client(server.origin);
    await expect(http.get("https://www.ecfr.gov/missing")).rejects.toBeInstanceOf(SourceUnavailableError);
    expect(server.requests).toHaveLength(1);
  });

  it("reports a refused connection as unavailable", async () => {
    server = await startSourceServer({});
    const origin = server.origin;
    await server.close();
    server = undefined;
    const { http } = client(origin, { attempts: 2 });
    await expect(http.get("https://www.ecfr.gov/x")).rejects.toThrow(/ECONNREFUSED/);
  });

  it("sends the remembered validators and reports 304 as not modified", async () => {
    server = await startSourceServer({
      "/x": (req) =>
        req.headers["if-none-match"] === '"v1"'
          ? { status: 304 }
          : { body: "fresh", headers: { etag: '"v1"' } },
    });
    const { http } = client(server.origin, {
      validators: { get: async () => ({ etag: '"v1"', lastModified: "Fri, 06 Sep 2024 00:00:00 GMT" }) },
    });
    const response = await http.get("https://www.ecfr.gov/x");
    expect(response).toMatchObject({ status: 304, notModified: true });
    expect(response.body.byteLength).toBe(0);
    expect(server.requests[0]!.headers["if-modified-since"]).toBe("Fri, 06 Sep 2024 00:00:00 GMT");
    const unconditional = await http.get("https://www.ecfr.gov/x", { conditional: false });
    expect(unconditional).toMatchObject({ status: 200, headers: expect.objectContaining({ etag: '"v1"' }) });
  });

  it("refuses a body over the size cap, declared or streamed", async () => {
    server = await startSourceServer({
      "/declared": () => ({ body: "x".repeat(2000) }),
      "/streamed": (_req) => ({ body: "y".repeat(5000), headers: { "transfer-encoding": "chunked" } }),
    });
    const { http } = client(server.origin);
    await expect(http.get("https://www.ecfr.gov/declared")).rejects.toBeInstanceOf(ResponseTooLargeError);
    await expect(http.get("https://www.ecfr.gov/streamed")).rejects.toThrow(/exceeds the 1024-byte cap/);
  });

  it("spaces requests to one host by the politeness interval", async () => {
    server = await startSourceServer({ "/x": () => ({ body: "ok" }) });
    const { http, waits } = client(server.origin, { hostIntervalMs: 1000 });
    await http.get("https://www.ecfr.gov/x");
    await http.get("https://www.ecfr.gov/x");
    expect(waits).toHaveLength(1);
    // The second request waits for the rest of the interval (less whatever the first one took).
    expect(waits[0]!).toBeGreaterThan(0);
    expect(waits[0]!).toBeLessThanOrEqual(1000);
  });
});

describe("http client: publicOnly requests", () => {
  /** The error a request fails with, or the test fails if it succeeds. */
  async function failure(promise: Promise<unknown>): Promise<Error> {
    return promise.then(
      () => expect.fail("expected the request to be refused"),
      (err: unknown) => err as Error,
    );
  }

  it("refuses a name that resolves to loopback when connecting: nothing reaches the server, nothing is retried", async () => {
    server = await startSourceServer({ "/page": () => ({ body: "inside" }) });
    const port = new URL(server.origin).port;
    const { http, waits } = client(server.origin, { attempts: 4 });
    const err = await failure(http.get(`http://localhost:${port}/page`, { publicOnly: true }));
    expect(err).toBeInstanceOf(UnsafeUrlError);
    expect(err.message).toMatch(
      new RegExp(
        `^http://localhost:${port}/page: refused when connecting: localhost resolves to (127\\.0\\.0\\.1|::1), which is loopback`,
      ),
    );
    expect(classifyError(err).retry).toEqual({ kind: "never" });
    expect(server.requests).toEqual([]);
    expect(waits).toEqual([]);
    // The same request without the guard reaches the server.
    const answer = await http.get(`http://localhost:${port}/page`);
    expect(Buffer.from(answer.body).toString()).toBe("inside");
    expect(server.requests.map((r) => r.path)).toEqual(["/page"]);
  });

  it("refuses an IP literal, and a mapped origin, by the address actually connected to", async () => {
    server = await startSourceServer({ "/page": () => ({ body: "inside" }) });
    const port = new URL(server.origin).port;
    const { http } = client(server.origin);
    const literal = await failure(http.get(`${server.origin}/page`, { publicOnly: true }));
    expect(literal).toBeInstanceOf(UnsafeUrlError);
    expect(literal.message).toBe(
      `${server.origin}/page: refused when connecting: 127.0.0.1 is loopback (only public addresses may be reached)`,
    );
    const v6 = await failure(http.get(`http://[::1]:${port}/page`, { publicOnly: true }));
    expect(v6.message).toMatch(/refused when connecting: ::1 is loopback \(::1\)/);
    // REGWATCH_ORIGIN_MAP sends www.ecfr.gov to the local server: the guard judges 127.0.0.1.
    const mapped = await failure(http.get("https://www.ecfr.gov/page", { publicOnly: true }));
    expect(mapped.message).toMatch(
      /^https:\/\/www\.ecfr\.gov\/page: refused when connecting: 127\.0\.0\.1 is loopback/,
    );
    expect(server.requests).toEqual([]);
    expect(Buffer.from((await http.get("https://www.ecfr.gov/page")).body).toString()).toBe("inside");
  });

  it("refuses a name that passed an earlier check and resolves to loopback when connecting (DNS rebinding)", async () => {
    server = await startSourceServer({ "/page": () => ({ body: "inside" }) });
    const port = new URL(server.origin).port;
    const asked: string[] = [];
    // What the resolver answers at connection time; an earlier check was told 93.184.216.34.
    const { http } = client(server.origin, {
      attempts: 3,
      resolve: async (host) => {
        asked.push(host);
        return [{ address: "127.0.0.1", family: 4 }];
      },
    });
    const err = await failure(http.get(`http://rebind.example.com:${port}/page`, { publicOnly: true }));
    expect(err).toBeInstanceOf(UnsafeUrlError);
    expect(err.message).toBe(
      `http://rebind.example.com:${port}/page: refused when connecting: rebind.example.com resolves to 127.0.0.1, which is loopback (only public addresses may be reached)`,
    );
    expect(asked).toEqual(["rebind.example.com"]);
    expect(server.requests).toEqual([]);
  });
});

describe("http client stopping with the service", () => {
  /** Settles with the error the promise rejects with, or fails the test if it resolves. */
  async function rejection(promise: Promise<unknown>): Promise<unknown> {
    return promise.then(
      () => expect.fail("expected the request to be abandoned"),
      (err: unknown) => err,
    );
  }

  it("abandons a request in flight with AbortedError when the client-wide signal aborts", async () => {
    let arrived: () => void = () => {};
    const asked = new Promise<void>((resolve) => {
      arrived = resolve;
    });
    // The server takes the request and never answers.
    server = await startSourceServer({
      "/x": () => {
        arrived();
        return new Promise(() => {});
      },
    });
    const stop = new AbortController();
    // Without the signal, this request would end only at its timeout, as a source failure.
    const { http } = client(server.origin, { signal: stop.signal, timeoutMs: 3000, attempts: 1 });
    const started = Date.now();
    const request = rejection(http.get("https://www.ecfr.gov/x"));
    await asked;
    stop.abort();
    const err = await request;
    expect(err).toBeInstanceOf(AbortedError);
    expect((err as Error).message).toMatch(/^https:\/\/www\.ecfr\.gov\/x: .*stopping/);
    expect(Date.now() - started).toBeLessThan(2500);
    expect(server.requests).toHaveLength(1);
  });

  it("cuts a backoff sleep short with AbortedError and does not retry", async () => {
    server = await startSourceServer({ "/x": () => ({ status: 503 }) });
    const stop = new AbortController();
    // The real sleep, and a first backoff long enough to notice.
    const http = createHttpClient({
      userAgent: "regwatch-test/1",
      timeoutMs: 5000,
      maxBytes: 1024,
      hostIntervalMs: 0,
      originMap: { "https://www.ecfr.gov": server.origin },
      attempts: 2,
      backoffMs: 3000,
      signal: stop.signal,
      log: { debug() {}, info() {}, error() {}, warn: () => stop.abort() },
    });
    const started = Date.now();
    const err = await rejection(http.get("https://www.ecfr.gov/x"));
    expect(err).toBeInstanceOf(AbortedError);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(server.requests).toHaveLength(1);
  });

  it("cuts the per-host politeness wait short with AbortedError", async () => {
    server = await startSourceServer({ "/x": () => ({ body: "ok" }) });
    const stop = new AbortController();
    const http = createHttpClient({
      userAgent: "regwatch-test/1",
      timeoutMs: 5000,
      maxBytes: 1024,
      hostIntervalMs: 3000,
      originMap: { "https://www.ecfr.gov": server.origin },
      signal: stop.signal,
    });
    await http.get("https://www.ecfr.gov/x");
    const started = Date.now();
    const second = rejection(http.get("https://www.ecfr.gov/x"));
    setTimeout(() => stop.abort(), 100);
    expect(await second).toBeInstanceOf(AbortedError);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(server.requests).toHaveLength(1);
  });

  it("refuses every request after the signal aborted, without asking the source", async () => {
    server = await startSourceServer({ "/x": () => ({ body: "ok" }) });
    const stop = new AbortController();
    stop.abort();
    const { http } = client(server.origin, { signal: stop.signal });
    await expect(http.get("https://www.ecfr.gov/x")).rejects.toBeInstanceOf(AbortedError);
    expect(server.requests).toHaveLength(0);
  });
});

describe("helpers", () => {
  it("maps only listed origins, keeping a base path", () => {
    expect(
      mapOrigin("https://www.federalregister.gov/api/v1/documents.json?a=1", {
        "https://www.federalregister.gov": "http://127.0.0.1:4010/fr/",
      }),
    ).toBe("http://127.0.0.1:4010/fr/api/v1/documents.json?a=1");
    expect(
      mapOrigin("https://www.ecfr.gov/x", { "https://www.federalregister.gov": "http://127.0.0.1:4010" }),
    ).toBe("https://www.ecfr.gov/x");
  });

  it("sends every origin not named to the catch-all, a named one still to its own", () => {
    const map = { "https://www.ecfr.gov": "http://127.0.0.1:4011", "*": "http://127.0.0.1:4010" };
    expect(mapOrigin("https://www.boe.es/datosabiertos/api/boe/sumario/20240608", map)).toBe(
      "http://127.0.0.1:4010/datosabiertos/api/boe/sumario/20240608",
    );
    expect(mapOrigin("https://www.ecfr.gov/x?y=1", map)).toBe("http://127.0.0.1:4011/x?y=1");
  });

  it("reads Retry-After as seconds or as a date", () => {
    const now = new Date("2024-09-06T00:00:00Z");
    expect(retryAfterMs("120", now)).toBe(120_000);
    expect(retryAfterMs("Fri, 06 Sep 2024 00:01:00 GMT", now)).toBe(60_000);
    expect(retryAfterMs("soon", now)).toBeNull();
  });
});
