import { createServer, type Server } from "node:http";
import { getRequestListener } from "@hono/node-server";
import type { Logger } from "@regwatch/core/http";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { rawExchange } from "../../../test/support/raw-http.ts";
import { createRouter } from "../src/router.ts";
import { metricsRoute } from "../src/routes/metrics.ts";

const CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

const statusOf = (response: string) => Number(/^HTTP\/1\.1 (\d{3}) /.exec(response)?.[1]);
const bodyOf = (response: string) => response.slice(response.indexOf("\r\n\r\n") + 4);
const headerOf = (response: string, name: string) =>
  new RegExp(`^${name}: (.*)\r$`, "im").exec(response.slice(0, response.indexOf("\r\n\r\n") + 2))?.[1];

describe("GET /metrics over a real server", () => {
  let scrapes = 0;
  let failWith: unknown = null;
  const metrics = {
    contentType: CONTENT_TYPE,
    async text() {
      scrapes++;
      if (failWith !== null) throw failWith;
      return `# HELP regwatch_scrapes scrapes\n# TYPE regwatch_scrapes counter\nregwatch_scrapes ${scrapes}\n`;
    },
  };
  const errors: string[] = [];
  const log: Logger = { debug() {}, info() {}, warn() {}, error: (_obj, msg) => errors.push(msg ?? "") };
  let server: Server;
  let url: string;
  let port: number;

  beforeAll(async () => {
    server = createServer(getRequestListener(createRouter([metricsRoute({ metrics, log })]).fetch));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
    port = (server.address() as { port: number }).port;
    url = `http://127.0.0.1:${port}/metrics`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  beforeEach(() => {
    failWith = null;
    errors.length = 0;
  });

  it("answers with the exposition text, read anew at every request, under its content type", async () => {
    const first = await fetch(url);
    expect(first.status).toBe(200);
    expect(first.headers.get("content-type")).toBe(CONTENT_TYPE);
    expect(first.headers.get("cache-control")).toBe("no-store");
    const body = await first.text();
    expect(body).toBe(
      `# HELP regwatch_scrapes scrapes\n# TYPE regwatch_scrapes counter\nregwatch_scrapes ${scrapes}\n`,
    );
    expect(first.headers.get("content-length")).toBe(String(Buffer.byteLength(body)));

    const second = await (await fetch(url)).text();
    expect(second).toContain(`regwatch_scrapes ${scrapes}\n`);
    expect(second).not.toBe(body);
  });

  it("answers HEAD with the same headers and no body", async () => {
    const get = await fetch(url);
    await get.text();
    const head = await rawExchange(
      port,
      "HEAD /metrics HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
    );
    expect(statusOf(head)).toBe(200);
    expect(bodyOf(head)).toBe("");
    expect(headerOf(head, "content-type")).toBe(CONTENT_TYPE);
    expect(headerOf(head, "cache-control")).toBe("no-store");
    expect(headerOf(head, "content-length")).toBe(get.headers.get("content-length"));
  });

  it("refuses other methods with 405", async () => {
    const response = await fetch(url, { method: "POST" });
    expect(response.status).toBe(405);
    expect(response.headers.get("allow")).toBe("GET, HEAD");
  });

  it("answers 500 with the reason on one plain-text line when collecting fails, and keeps serving", async () => {
    failWith = new Error("registry exploded\nsecond line of detail");
    const failed = await fetch(url);
    expect(failed.status).toBe(500);
    expect(failed.headers.get("content-type")).toBe("text/plain; charset=utf-8");
    expect(failed.headers.get("cache-control")).toBe("no-store");
    expect(await failed.text()).toBe("metrics collection failed: registry exploded\n");
    expect(errors).toEqual(["metrics collection failed"]);

    failWith = "not even an error";
    expect(await (await fetch(url)).text()).toBe("metrics collection failed: not even an error\n");

    failWith = null;
    const next = await fetch(url);
    expect(next.status).toBe(200);
    expect(await next.text()).toContain("regwatch_scrapes");
  });
});
