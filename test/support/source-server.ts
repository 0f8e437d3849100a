import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";

export interface Reply {
  status?: number;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
}

export type Route = (req: IncomingMessage, url: URL) => Reply | Promise<Reply>;

/**
 * A local HTTP server standing in for the official sources. Routes are
 * matched on path (query included); every request is logged so tests can
 * check what was asked for and with which validators.
 */
export async function startSourceServer(routes: Record<string, Route> | ((url: URL) => Route | undefined)) {
  const requests: { path: string; headers: IncomingMessage["headers"] }[] = [];
  const server: Server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    requests.push({ path: `${url.pathname}${url.search}`, headers: req.headers });
    const route = typeof routes === "function" ? routes(url) : routes[url.pathname];
    if (!route) {
      res
        .writeHead(404, { "content-type": "application/json" })
        .end('{"status":404,"message":"Record Not Found"}');
      return;
    }
    const reply = await route(req, url);
    res.writeHead(reply.status ?? 200, reply.headers ?? {});
    res.end(reply.body ?? "");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const address = server.address();
  const origin = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
  return {
    origin,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
