import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { postWebhook, WebhookDeliveryError } from "../../src/webhook/post-webhook.ts";
import { signatureHeaders, verifyWebhookSignature, webhookSecret } from "../../src/webhook/sign.ts";
import { type Receiver, startReceiver } from "./receiver.ts";

const SECRET = webhookSecret("test-secret-key", "sub-1");
const BODY = JSON.stringify({
  type: "regwatch.alert",
  id: "alert.1@regwatch.example",
  subject: "[CA] ECL 5506: “quantum” — ≥ 34 qubits ✓",
  changes: [],
});

let receiver: Receiver | null = null;
afterEach(async () => {
  await receiver?.close();
  receiver = null;
});

async function failure(promise: Promise<unknown>): Promise<WebhookDeliveryError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(WebhookDeliveryError);
    return error as WebhookDeliveryError;
  }
  throw new Error("the post succeeded");
}

const local = { headers: {}, allowPrivate: true };

describe("postWebhook", () => {
  it("delivers the body intact with a signature the receiver verifies", async () => {
    receiver = await startReceiver();
    const now = new Date();
    const result = await postWebhook(`${receiver.origin}/hooks/abc?x=1`, BODY, {
      headers: signatureHeaders(SECRET, BODY, now),
      allowPrivate: true,
    });
    expect(result).toEqual({ status: 200 });
    const [got] = receiver.received;
    expect(got).toMatchObject({ method: "POST", path: "/hooks/abc?x=1", body: BODY });
    expect(got!.headers["content-type"]).toBe("application/json; charset=utf-8");
    expect(got!.headers["user-agent"]).toBe("regwatch-webhook/1");
    expect(got!.headers["content-length"]).toBe(String(Buffer.byteLength(BODY)));
    expect(verifyWebhookSignature(SECRET, got!.body, got!.headers, now)).toBe(true);
    // A receiver's checks: a body changed on the way, or a post replayed later, fail.
    expect(verifyWebhookSignature(SECRET, got!.body.replace("quantum", "quantun"), got!.headers, now)).toBe(
      false,
    );
    expect(verifyWebhookSignature(SECRET, got!.body, got!.headers, new Date(now.getTime() + 301_000))).toBe(
      false,
    );
  });

  it("keeps its own Content-Type and User-Agent whatever the caller's headers say", async () => {
    receiver = await startReceiver();
    await postWebhook(receiver.origin, BODY, {
      headers: { "content-type": "text/plain", "User-Agent": "other", "X-Extra": "1" },
      allowPrivate: true,
    });
    const headers = receiver.received[0]!.headers;
    expect(headers["content-type"]).toBe("application/json; charset=utf-8");
    expect(headers["user-agent"]).toBe("regwatch-webhook/1");
    expect(headers["x-extra"]).toBe("1");
  });

  it.each([
    [200, null],
    [204, null],
    [500, "temporary"],
    [503, "temporary"],
    [404, "permanent"],
    [410, "permanent"],
    [400, "permanent"],
    [408, "temporary"],
    [425, "temporary"],
    [429, "temporary"],
  ] as const)("maps answer %i to %s", async (status, expected) => {
    receiver = await startReceiver((_, response) => response.writeHead(status).end("answer"));
    const post = postWebhook(`${receiver.origin}/hook`, BODY, local);
    if (expected === null) {
      expect(await post).toEqual({ status });
      return;
    }
    const error = await failure(post);
    expect(error.status).toBe(status);
    expect(error.permanent).toBe(expected === "permanent");
    expect(error.message).toContain(`answered ${status}`);
  });

  it("does not follow a redirect and fails for good, saying so", async () => {
    receiver = await startReceiver((request, response) => {
      if (request.path === "/hook") response.writeHead(302, { Location: "http://127.0.0.1:1/inside" }).end();
      else response.writeHead(200).end();
    });
    const error = await failure(postWebhook(`${receiver.origin}/hook`, BODY, local));
    expect(error).toMatchObject({ permanent: true, status: 302 });
    expect(error.message).toMatch(
      /answered 302 \(redirect to http:\/\/127\.0\.0\.1:1\); redirects are not followed/,
    );
    expect(receiver.received.map((r) => r.path)).toEqual(["/hook"]);
  });

  it("times out on an endpoint that never answers, as a temporary failure", async () => {
    const silent = createServer(() => {
      // Reads the request and never answers.
    });
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const { port } = silent.address() as AddressInfo;
    try {
      const started = Date.now();
      const error = await failure(
        postWebhook(`http://127.0.0.1:${port}/hook`, BODY, { ...local, timeoutMs: 200 }),
      );
      expect(Date.now() - started).toBeLessThan(5000);
      expect(error).toMatchObject({ permanent: false, status: null, code: "ETIMEDOUT" });
      expect(error.message).toMatch(/no answer within 200 ms/);
    } finally {
      silent.closeAllConnections();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it("treats a refused connection as temporary", async () => {
    const closed = await startReceiver();
    const origin = closed.origin;
    await closed.close();
    const error = await failure(postWebhook(`${origin}/hook`, BODY, local));
    expect(error).toMatchObject({ permanent: false, status: null, code: "ECONNREFUSED" });
  });

  it("reads at most maxResponseBytes of a long answer and still reports its status", async () => {
    receiver = await startReceiver((_, response) => {
      response.writeHead(200, { "Content-Type": "text/plain" });
      const chunk = "z".repeat(64 * 1024);
      // An answer that does not end: the post must not wait for it.
      const timer = setInterval(() => response.write(chunk), 1);
      response.on("close", () => clearInterval(timer));
    });
    const result = await postWebhook(`${receiver.origin}/hook`, BODY, { ...local, maxResponseBytes: 1024 });
    expect(result).toEqual({ status: 200 });
  });

  it("never names the URL's path, where Slack and Teams keep the credential", async () => {
    receiver = await startReceiver((_, response) => response.writeHead(404).end());
    const error = await failure(postWebhook(`${receiver.origin}/services/T0/B0/SECRET`, BODY, local));
    expect(error.message).toBe(`webhook ${receiver.origin} answered 404`);
  });

  describe("without allowPrivate", () => {
    const strict = { headers: {}, allowPrivate: false };

    it("refuses http://127.0.0.1 before connecting", async () => {
      receiver = await startReceiver();
      const error = await failure(postWebhook(`http://127.0.0.1:${receiver.port}/hook`, BODY, strict));
      expect(error).toMatchObject({ permanent: true, status: null, code: "EURL" });
      expect(error.message).toMatch(/must use https/);
      expect(receiver.received).toEqual([]);
    });

    it("refuses https://10.0.0.1 before connecting", async () => {
      const error = await failure(postWebhook("https://10.0.0.1/hook", BODY, strict));
      expect(error).toMatchObject({ permanent: true, code: "EURL" });
      expect(error.message).toBe("webhook host 10.0.0.1 is a private or reserved address");
    });

    it("refuses localhost by name", async () => {
      receiver = await startReceiver();
      const error = await failure(postWebhook(`https://localhost:${receiver.port}/hook`, BODY, strict));
      expect(error).toMatchObject({ permanent: true, code: "EURL" });
      expect(error.message).toMatch(/localhost is a local name/);
      expect(receiver.received).toEqual([]);
    });
  });
});
