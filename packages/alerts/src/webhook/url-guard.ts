// SSRF protection for subscriber-supplied webhook URLs. A webhook makes the
// service send POST requests wherever a stranger says, so the URL is checked
// twice: when it is accepted (`checkWebhookUrl`: scheme, credentials, IP
// literals, names that only mean something inside a network) and when the
// connection is made (`guardedLookup`: every address the name resolves to).
// The second check is the one that counts: the socket connects to the very
// address that was checked, so a name that resolved to a public address when
// the subscription was saved and to 127.0.0.1 now (DNS rebinding) is refused.
//
// Messages name the host, never the path or query: Slack and Teams webhook
// URLs carry their credential in the path, and these messages reach logs.
//
// Which addresses are refused is decided in @regwatch/core/addresses, the
// table the watched-page guard uses too.

import { isIP, type LookupFunction } from "node:net";
import { guardedLookup as guardedAddressLookup, isPublicAddress } from "@regwatch/core/addresses";

/** A webhook URL that must not be used; the message says why. */
export class WebhookUrlError extends Error {
  override name = "WebhookUrlError";
  /** The subscription field at fault, as `SubscriptionInputError` names it. */
  readonly field = "webhook";
}

// Longer than any real endpoint (Slack's and Teams' are under 300 characters);
// the URL is stored with the subscription and shown back to its owner.
const MAX_URL_LENGTH = 2048;

// Names that only resolve inside a network: RFC 6761 `localhost`, mDNS
// `.local` (RFC 6762), `.internal` (cloud metadata and private zones, reserved
// by ICANN in 2024) and `home.arpa` (RFC 8375).
const PRIVATE_SUFFIXES = [".localhost", ".local", ".internal", ".home.arpa"];

/**
 * Checks a webhook URL a subscriber gave and returns it parsed, or throws a
 * `WebhookUrlError`. `allowPrivate` (tests, a self-hosted service posting to
 * its own network) allows http and private hosts; credentials are refused
 * either way.
 */
export function checkWebhookUrl(raw: string, options: { allowPrivate: boolean }): URL {
  if (typeof raw !== "string" || raw.trim() === "") throw new WebhookUrlError("webhook URL is empty");
  if (raw.length > MAX_URL_LENGTH) {
    throw new WebhookUrlError(`webhook URL is longer than ${MAX_URL_LENGTH} characters`);
  }
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw new WebhookUrlError("webhook is not a valid URL");
  }
  const allowed = options.allowPrivate ? ["https:", "http:"] : ["https:"];
  if (!allowed.includes(url.protocol)) {
    throw new WebhookUrlError(`webhook URL must use https (got ${url.protocol.replace(/:$/, "")})`);
  }
  if (url.username !== "" || url.password !== "") {
    // A password in the URL ends up in logs and in the page that shows the subscription.
    throw new WebhookUrlError("webhook URL must not contain a username or password");
  }
  if (url.port === "0") throw new WebhookUrlError("webhook URL has port 0");
  // The URL parser has already turned every IPv4 spelling (0x7f.1, 2130706433)
  // into dotted decimal and compressed IPv6, so what is left is the address itself.
  const host = url.hostname.replace(/^\[(.*)\]$/, "$1");
  const name = host.replace(/\.+$/, "").toLowerCase();
  if (name === "") throw new WebhookUrlError("webhook URL has no host");
  if (options.allowPrivate) return url;
  if (isIP(host) !== 0) {
    if (!isPublicAddress(host)) {
      throw new WebhookUrlError(`webhook host ${host} is a private or reserved address`);
    }
    return url;
  }
  if (name === "localhost" || PRIVATE_SUFFIXES.some((suffix) => name.endsWith(suffix))) {
    throw new WebhookUrlError(`webhook host ${name} is a local name`);
  }
  // A name without a dot ("metadata", "intranet") is completed by the resolver's
  // search domains, i.e. inside our own network; every public endpoint has one.
  if (!name.includes(".")) {
    throw new WebhookUrlError(`webhook host ${name} is not a fully qualified domain name`);
  }
  return url;
}

/**
 * `guardedLookup` (from @regwatch/core/addresses) for webhook posts: a
 * refused name fails with a `PrivateAddressError` (code `EPRIVATE`) saying
 * "webhook host <name> resolves to private address <address>".
 */
export function guardedLookup(allowPrivate: boolean): LookupFunction {
  return guardedAddressLookup({
    allowPrivate,
    label: "webhook host",
    message: ({ hostname, address }) => `webhook host ${hostname} resolves to private address ${address}`,
  });
}
