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

import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from "node:dns";
import { isIP, type LookupFunction } from "node:net";

/** A webhook URL that must not be used; the message says why. */
export class WebhookUrlError extends Error {
  override name = "WebhookUrlError";
  /** The subscription field at fault, as `SubscriptionInputError` names it. */
  readonly field = "webhook";
}

/** A name that resolves to an address the service must not connect to. */
export class PrivateAddressError extends Error {
  override name = "PrivateAddressError";
  readonly code = "EPRIVATE";
  constructor(
    readonly hostname: string,
    readonly address: string,
  ) {
    super(`webhook host ${hostname} resolves to private address ${address}`);
  }
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

/** Dotted-decimal IPv4 as an unsigned 32-bit number, or null. */
function ipv4Number(ip: string): number | null {
  const parts = ip.split(".");
  if (parts.length !== 4) return null;
  let n = 0;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part)) return null;
    const octet = Number(part);
    if (octet > 255) return null;
    n = n * 256 + octet;
  }
  return n;
}

/** [network, prefix length] */
type Range4 = [string, number];

// RFC 6890 special-purpose and other non-global IPv4 blocks.
const PRIVATE_V4: Range4[] = [
  ["0.0.0.0", 8], // "this network"; 0.0.0.0 reaches the local host on Linux
  ["10.0.0.0", 8], // RFC 1918
  ["100.64.0.0", 10], // carrier-grade NAT, RFC 6598
  ["127.0.0.0", 8], // loopback
  ["169.254.0.0", 16], // link-local, where cloud metadata services answer
  ["172.16.0.0", 12], // RFC 1918
  ["192.0.0.0", 24], // IETF protocol assignments
  ["192.0.2.0", 24], // TEST-NET-1
  ["192.168.0.0", 16], // RFC 1918
  ["198.18.0.0", 15], // benchmarking
  ["198.51.100.0", 24], // TEST-NET-2
  ["203.0.113.0", 24], // TEST-NET-3
  ["224.0.0.0", 4], // multicast
  ["240.0.0.0", 4], // reserved, and 255.255.255.255 broadcast
];

const PRIVATE_V4_MASKS = PRIVATE_V4.map(([network, bits]) => {
  // `>>> 0` keeps the arithmetic unsigned; a /0 mask would need care, there is none.
  const mask = (0xffffffff << (32 - bits)) >>> 0;
  return { base: (ipv4Number(network)! & mask) >>> 0, mask };
});

function isPublicV4(n: number): boolean {
  return !PRIVATE_V4_MASKS.some(({ base, mask }) => (n & mask) >>> 0 === base);
}

/** IPv6 text (as `isIP` accepts it, zone id removed) as eight 16-bit groups, or null. */
function ipv6Groups(ip: string): number[] | null {
  let text = ip;
  const tail: number[] = [];
  // A trailing dotted IPv4 (::ffff:1.2.3.4) fills the last two groups.
  const dotted = /^(.*:)(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const v4 = ipv4Number(dotted[2]!);
    if (v4 === null) return null;
    tail.push(v4 >>> 16, v4 & 0xffff);
    text = dotted[1]!.endsWith("::") ? dotted[1]! : dotted[1]!.slice(0, -1);
  }
  const halves = text.split("::");
  if (halves.length > 2) return null;
  const parse = (part: string): number[] | null => {
    if (part === "") return [];
    const groups = part.split(":");
    if (!groups.every((g) => /^[0-9a-f]{1,4}$/i.test(g))) return null;
    return groups.map((g) => Number.parseInt(g, 16));
  };
  const head = parse(halves[0]!);
  const rest = halves.length === 2 ? parse(halves[1]!) : [];
  if (head === null || rest === null) return null;
  const known = head.length + rest.length + tail.length;
  if (halves.length === 1 && known !== 8) return null;
  if (halves.length === 2 && known > 7) return null;
  return [...head, ...new Array<number>(8 - known).fill(0), ...rest, ...tail];
}

function isPublicV6(g: number[]): boolean {
  const [g0 = 0, g1 = 0, g2 = 0, g3 = 0, g4 = 0, g5 = 0, g6 = 0, g7 = 0] = g;
  const embedded = ((g6 << 16) | g7) >>> 0;
  const zeroTo = (end: number) => g.slice(0, end).every((x) => x === 0);
  // ::ffff:a.b.c.d (IPv4-mapped): the socket goes to the IPv4 address.
  if (zeroTo(5) && g5 === 0xffff) return isPublicV4(embedded);
  // :: and ::1, then the deprecated IPv4-compatible ::a.b.c.d.
  if (zeroTo(7) && (g7 === 0 || g7 === 1)) return false;
  if (zeroTo(6)) return isPublicV4(embedded);
  // 64:ff9b::/96 (NAT64, RFC 6052): a translator forwards to the embedded IPv4.
  if (g0 === 0x64 && g1 === 0xff9b && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0) {
    return isPublicV4(embedded);
  }
  // 64:ff9b:1::/48 is NAT64 for a local network (RFC 8215).
  if (g0 === 0x64 && g1 === 0xff9b && g2 === 1) return false;
  // Only 2000::/3 is global unicast. Everything else is refused, which covers
  // fc00::/7 (unique local), fe80::/10 (link-local), ff00::/8 (multicast) and
  // the unassigned space.
  if ((g0 & 0xe000) !== 0x2000) return false;
  if (g0 === 0x2001 && g1 === 0x0db8) return false; // documentation, RFC 3849
  if (g0 === 0x2001 && g1 === 0) return false; // Teredo tunnels to an IPv4 peer
  if (g0 === 0x2001 && g1 === 0x0002 && g2 === 0) return false; // benchmarking, RFC 5180
  // 2002::/16 (6to4) carries an IPv4 address in its next 32 bits.
  if (g0 === 0x2002) return isPublicV4(((g1 << 16) | g2) >>> 0);
  return true;
}

/**
 * Whether the service may connect to `ip` (IPv4 or IPv6 text): false for
 * loopback, private, link-local, shared, documentation, benchmarking,
 * multicast and reserved ranges, and for IPv6 forms that carry such an IPv4
 * address. Anything that is not an IP address is not public.
 */
export function isPublicAddress(ip: string): boolean {
  const address = ip.replace(/%.*$/, "");
  switch (isIP(address)) {
    case 4: {
      const n = ipv4Number(address);
      return n !== null && isPublicV4(n);
    }
    case 6: {
      const groups = ipv6Groups(address);
      return groups !== null && isPublicV6(groups);
    }
    default:
      return false;
  }
}

/**
 * A `lookup` for node:http / node:https requests: resolves like `dns.lookup`
 * and, unless `allowPrivate`, fails with a `PrivateAddressError` (code
 * `EPRIVATE`) when any address of the name is not public. Handles both forms
 * Node asks for: `all: true` (what `net` uses when it tries the addresses in
 * turn) and a single address with its family.
 */
export function guardedLookup(allowPrivate: boolean): LookupFunction {
  return (hostname, options, callback) => {
    const asked: LookupOptions = typeof options === "object" && options !== null ? options : {};
    dnsLookup(hostname, { ...asked, all: true }, (error, addresses: LookupAddress[]) => {
      if (error) {
        callback(error, asked.all ? [] : "");
        return;
      }
      if (!allowPrivate) {
        // Any private answer refuses the name: a resolver that mixes them is not to be trusted.
        const refused = addresses.find((a) => !isPublicAddress(a.address));
        if (refused) {
          callback(new PrivateAddressError(hostname, refused.address), asked.all ? [] : "");
          return;
        }
      }
      const first = addresses[0];
      if (!first) {
        const empty = Object.assign(new Error(`webhook host ${hostname} has no address`), {
          code: "ENOTFOUND",
        });
        callback(empty, asked.all ? [] : "");
        return;
      }
      if (asked.all) callback(null, addresses);
      else callback(null, first.address, first.family);
    });
  };
}
