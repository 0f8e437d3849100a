import type { Server } from "node:http";
import type { Logger } from "@regwatch/core/http";
import { type Database, openDatabase } from "@regwatch/db/open-database";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rawExchange } from "../../../test/support/raw-http.ts";
import { createAppServer } from "../src/app.ts";
import { createRouter } from "../src/router.ts";

const exchange = rawExchange;

const statusOf = (response: string) => Number(/^HTTP\/1\.1 (\d{3}) /.exec(response)?.[1]);
const bodyOf = (response: string) => response.slice(response.indexOf("\r\n\r\n") + 4);
const get = (target: string) => `GET ${target} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`;

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  return (server.address() as { port: number }).port;
}

function close(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

describe("createApp over a real server", () => {
  let database: Database;
  let server: Server;
  let port: number;

  beforeAll(async () => {
    database = await openDatabase({ memory: true });
    await database.migrate();
    server = createAppServer({
      database,
      sourceIds: ["us.ecfr.ccl"],
      startedAt: new Date("2024-09-06T00:00:00Z"),
    });
    port = await listen(server);
  });

  afterAll(async () => {
    await close(server);
    await database.close();
  });

  it("answers 400 to request targets it cannot read, and keeps serving", async () => {
    for (const target of ["//", "//[", "//health", "http://", "http://[/health", "*", "health"]) {
      const response = await exchange(port, get(target));
      expect(statusOf(response), target).toBe(400);
    }
    const health = await exchange(port, get("/health"));
    expect(statusOf(health)).toBe(200);
    expect(JSON.parse(bodyOf(health))).toMatchObject({ status: "ok", database: "pglite" });
  });

  it("answers 400 and hangs up on request lines the parser cannot read", async () => {
    const garbage = [
      "GARBAGE\r\n\r\n",
      "\x00\x01\x02\x03\r\n\r\n",
      "GET /he alth HTTP/1.1\r\nHost: localhost\r\n\r\n",
      "GET /health HTTP/1.1\r\nno colon in this header\r\n\r\n",
    ];
    for (const request of garbage) {
      const response = await exchange(port, request);
      expect(statusOf(response), JSON.stringify(request)).toBe(400);
      expect(response.toLowerCase()).toContain("connection: close");
    }
    expect(statusOf(await exchange(port, get("/health")))).toBe(200);
  });

  it("serves an absolute-form target by its path", async () => {
    const response = await exchange(port, get(`http://127.0.0.1:${port}/health`));
    expect(statusOf(response)).toBe(200);
    expect(JSON.parse(bodyOf(response)).sources).toEqual([
      { id: "us.ecfr.ccl", health: "unknown", reason: null, lastRunAt: null, lastSuccessAt: null },
    ]);
  });

  it("answers HEAD wherever it answers GET, with the same headers and no body", async () => {
    const getResponse = await fetch(`http://127.0.0.1:${port}/health`);
    const head = await exchange(
      port,
      "HEAD /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
    );
    expect(statusOf(head)).toBe(200);
    expect(bodyOf(head)).toBe("");
    expect(head).toContain(`content-length: ${getResponse.headers.get("content-length")}`);
    expect(head).toContain("content-type: application/json");
  });

  it("refuses other methods with 405 and says which are allowed", async () => {
    for (const method of ["POST", "PUT", "DELETE"]) {
      const response = await fetch(`http://127.0.0.1:${port}/health`, { method });
      expect(response.status, method).toBe(405);
      expect(response.headers.get("allow")).toBe("GET, HEAD");
    }
  });

  it("answers health from its last read while the database is busy storing a large document", async () => {
    // The first check reads the database and remembers what it saw.
    expect(JSON.parse(bodyOf(await exchange(port, get("/health"))))).not.toHaveProperty("databaseBusy");
    // An embedded database runs nothing else while a transaction is open: hold one, as a long store step does.
    let release = () => {};
    const held = database.db.transaction(async (tx) => {
      await tx.execute("select 1");
      await new Promise<void>((resolve) => {
        release = resolve;
      });
    });
    try {
      // Without an answer from its last read the check would wait for the transaction, released only below.
      const response = await exchange(port, get("/health"));
      expect(statusOf(response)).toBe(200);
      const body = JSON.parse(bodyOf(response));
      expect(body).toMatchObject({ status: "ok", databaseBusy: true });
      expect(body.sourcesAsOf).toEqual(expect.any(String));
      expect(body.sources.map((s: { id: string }) => s.id)).toEqual(["us.ecfr.ccl"]);
    } finally {
      release();
      await held;
    }
    expect(JSON.parse(bodyOf(await exchange(port, get("/health"))))).not.toHaveProperty("databaseBusy");
  });

  it("answers 404 for a path it does not serve", async () => {
    expect((await fetch(`http://127.0.0.1:${port}/nothing-here`)).status).toBe(404);
  });
});

describe("the router's error boundary", () => {
  const errors: string[] = [];
  const log: Logger = {
    debug() {},
    info() {},
    warn() {},
    error: (_obj, msg) => errors.push(msg ?? ""),
  };
  const app = createRouter(
    [
      {
        path: "/throws",
        methods: {
          GET() {
            throw new Error("sync failure");
          },
        },
      },
      { path: "/rejects", methods: { GET: async () => Promise.reject(new Error("async failure")) } },
      { path: "/ok", methods: { GET: () => new Response("ok") } },
    ],
    log,
  );

  it("turns a thrown error or a rejected promise into a 500 and keeps serving", async () => {
    for (const path of ["/throws", "/rejects"]) {
      const response = await app.request(path);
      expect(response.status, path).toBe(500);
      expect(await response.json()).toEqual({ error: "internal error" });
    }
    expect(errors).toEqual(["request failed", "request failed"]);
    expect(await (await app.request("/ok")).text()).toBe("ok");
  });

  it("answers 405 with Allow, and 404 as JSON, without a socket", async () => {
    const post = await app.request("/ok", { method: "POST" });
    expect(post.status).toBe(405);
    expect(post.headers.get("allow")).toBe("GET, HEAD");
    const missing = await app.request("/nothing");
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: "not found" });
  });
});
