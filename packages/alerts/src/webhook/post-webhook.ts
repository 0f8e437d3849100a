// Sends one webhook post. node:http(s) rather than fetch: the request's
// `lookup` is where the resolved addresses are checked, and the socket then
// connects to the checked address (fetch offers no such hook without a
// dispatcher dependency). Redirects are never followed: a public endpoint
// could answer 307 to http://169.254.169.254/ and have us post there.
//
// Errors name the endpoint by its origin only: Slack and Teams webhook URLs
// carry their credential in the path.

import http from "node:http";
import https from "node:https";
import { checkWebhookUrl, guardedLookup } from "./url-guard.ts";

/**
 * A post that did not succeed. `permanent`: do not retry this delivery
 * (the URL was refused, the endpoint is gone or refuses us, it redirects);
 * otherwise retry with backoff (5xx, 408/425/429, timeouts, connection and
 * DNS trouble that may pass).
 */
export class WebhookDeliveryError extends Error {
  override name = "WebhookDeliveryError";
  readonly permanent: boolean;
  /** The endpoint's HTTP status, or null when it never answered. */
  readonly status: number | null;
  /** The Node or guard error code ("ECONNREFUSED", "EPRIVATE", "ETIMEDOUT", ...), or null. */
  readonly code: string | null;
  constructor(
    message: string,
    details: { permanent: boolean; status?: number | null; code?: string | null },
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.permanent = details.permanent;
    this.status = details.status ?? null;
    this.code = details.code ?? null;
  }
}

export interface PostWebhookOptions {
  /** Signature headers and the like; Content-Type, Content-Length and User-Agent are ours. */
  headers: Record<string, string>;
  /** Allow http and private addresses (tests, a service posting inside its own network). */
  allowPrivate: boolean;
  /** For the whole exchange, connect to last byte read; default 10 s. */
  timeoutMs?: number;
  /** Response bytes read (and discarded) before the connection is closed; default 64 KiB. */
  maxResponseBytes?: number;
}

// Chat services answer in well under a second; ten seconds is generous for a
// slow self-hosted receiver and keeps one dead endpoint from holding a worker.
const DEFAULT_TIMEOUT_MS = 10_000;
// Nobody needs a receiver's answer beyond its status; reading a little lets
// the connection end cleanly, the cap keeps an endless answer from costing us.
const DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024;
const USER_AGENT = "regwatch-webhook/1";

// RFC 9110 408 Request Timeout, RFC 8470 425 Too Early, RFC 6585 429 Too Many
// Requests: the request was fine, the moment was not.
const RETRYABLE_4XX = new Set([408, 425, 429]);

// DNS said the name does not exist: the subscriber has to fix the URL.
// (EAI_AGAIN, a resolver that did not answer, passes.)
const PERMANENT_CODES = new Set(["EPRIVATE", "ENOTFOUND"]);

function statusError(
  status: number,
  location: string | undefined,
  origin: string,
): WebhookDeliveryError | null {
  if (status >= 200 && status < 300) return null;
  if (status >= 300 && status < 400) {
    let target = "";
    try {
      target = location ? ` to ${new URL(location, origin).origin}` : "";
    } catch {
      // An unparsable Location still is a redirect; the message just names no target.
    }
    return new WebhookDeliveryError(
      `webhook ${origin} answered ${status} (redirect${target}); redirects are not followed, update the webhook URL`,
      { permanent: true, status },
    );
  }
  const permanent = status >= 400 && status < 500 && !RETRYABLE_4XX.has(status);
  return new WebhookDeliveryError(`webhook ${origin} answered ${status}`, { permanent, status });
}

function connectionError(error: unknown, origin: string): WebhookDeliveryError {
  const err = error as NodeJS.ErrnoException;
  const code = typeof err?.code === "string" ? err.code : null;
  const reason = err?.message ?? String(error);
  return new WebhookDeliveryError(
    `webhook ${origin} could not be reached: ${reason}`,
    { permanent: code !== null && PERMANENT_CODES.has(code), code },
    { cause: error },
  );
}

/**
 * POSTs `body` (JSON text) to the webhook `url` and resolves with the status
 * of a 2xx answer; anything else rejects with a `WebhookDeliveryError`.
 * The URL is checked with `checkWebhookUrl` first and every address its host
 * resolves to with `guardedLookup`.
 */
export async function postWebhook(
  url: string,
  body: string,
  options: PostWebhookOptions,
): Promise<{ status: number }> {
  let target: URL;
  try {
    target = checkWebhookUrl(url, { allowPrivate: options.allowPrivate });
  } catch (error) {
    throw new WebhookDeliveryError(
      (error as Error).message,
      { permanent: true, code: "EURL" },
      { cause: error },
    );
  }
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const maxResponseBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  const origin = target.origin;
  const payload = Buffer.from(body, "utf8");
  const client = target.protocol === "https:" ? https : http;

  return new Promise((resolve, reject) => {
    let settled = false;
    // Decided when the status line arrives; the body is read only to end the exchange cleanly.
    let outcome: { status: number; error: WebhookDeliveryError | null } | null = null;

    const settle = (error: WebhookDeliveryError | null, status = 0) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (error) reject(error);
      else resolve({ status });
    };
    const settleWithOutcome = () => {
      if (outcome) settle(outcome.error, outcome.status);
    };

    let request: http.ClientRequest;
    try {
      request = client.request(
        {
          protocol: target.protocol,
          // Node wants an IPv6 literal without its brackets.
          hostname: target.hostname.replace(/^\[(.*)\]$/, "$1"),
          port: target.port === "" ? undefined : Number(target.port),
          path: `${target.pathname}${target.search}`,
          method: "POST",
          headers: {
            ...options.headers,
            "Content-Type": "application/json; charset=utf-8",
            "Content-Length": String(payload.length),
            "User-Agent": USER_AGENT,
          },
          lookup: guardedLookup(options.allowPrivate),
          // A fresh connection per post: webhooks are rare, and a pooled socket
          // would outlive the address check it was made under.
          agent: false,
        },
        (response) => {
          const status = response.statusCode ?? 0;
          outcome = { status, error: statusError(status, response.headers.location, origin) };
          let received = 0;
          response.on("data", (chunk: Buffer) => {
            received += chunk.length;
            if (received > maxResponseBytes) {
              response.destroy();
              settleWithOutcome();
            }
          });
          response.on("end", settleWithOutcome);
          response.on("close", settleWithOutcome);
          // A body cut off after the status changes nothing: the answer was given.
          response.on("error", settleWithOutcome);
        },
      );
    } catch (error) {
      // Headers Node refuses (a line break in a value): no retry makes them valid.
      reject(
        new WebhookDeliveryError(
          `webhook ${origin}: ${(error as Error).message}`,
          { permanent: true, code: (error as NodeJS.ErrnoException).code ?? null },
          { cause: error },
        ),
      );
      return;
    }

    const timer = setTimeout(() => {
      if (outcome) {
        request.destroy();
        settleWithOutcome();
        return;
      }
      const error = Object.assign(new Error(`no answer within ${timeoutMs} ms`), { code: "ETIMEDOUT" });
      request.destroy(error);
    }, timeoutMs);

    request.on("error", (error) => {
      if (outcome) settleWithOutcome();
      else settle(connectionError(error, origin));
    });
    request.end(payload);
  });
}
