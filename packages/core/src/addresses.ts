// Which IP addresses regwatch may connect to when a stranger chose the
// address: a subscriber's webhook, a watched page, the links and redirects of
// that page. regwatch runs next to its database, its Redis and, in a cloud,
// the instance metadata service; none of them may be reached that way.
//
// One table for every such guard (the webhook poster, the watched-page
// source, the HTTP client's `publicOnly` requests, the browser's request
// check), so an address refused in one place is refused in all.
//
// `guardedLookup` is the check that counts: it is the `lookup` of the
// connection itself, so the socket goes to the very address that was
// checked, and a name that answered with a public address a moment ago and
// with 127.0.0.1 now (DNS rebinding) is refused. It resolves names (node:dns)
// when a connection asks it to, never at import.

import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from "node:dns";
import { isIP, type LookupFunction } from "node:net";

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

type Range4 = readonly [network: string, bits: number, why: string];

// RFC 6890 special-purpose and other non-global IPv4 blocks. First match
// wins: the metadata address before the link-local range that holds it.
const REFUSED_V4: readonly Range4[] = [
  ["169.254.169.254", 32, "the cloud instance metadata address"],
  // 0.0.0.0 reaches the local host on Linux.
  ["0.0.0.0", 8, "unspecified (this network)"],
  ["10.0.0.0", 8, "private (RFC 1918)"],
  ["100.64.0.0", 10, "shared address space (CGNAT, RFC 6598)"],
  ["127.0.0.0", 8, "loopback"],
  // Where cloud metadata services answer (AWS, GCP and Azure all use 169.254.169.254; others nearby).
  ["169.254.0.0", 16, "link-local"],
  ["172.16.0.0", 12, "private (RFC 1918)"],
  ["192.0.0.0", 24, "reserved for IETF protocol assignments"],
  ["192.0.2.0", 24, "reserved for documentation"],
  ["192.168.0.0", 16, "private (RFC 1918)"],
  ["198.18.0.0", 15, "reserved for benchmarking"],
  ["198.51.100.0", 24, "reserved for documentation"],
  ["203.0.113.0", 24, "reserved for documentation"],
  ["224.0.0.0", 4, "multicast"],
  ["240.0.0.0", 4, "reserved (and broadcast)"],
];

const REFUSED_V4_MASKS = REFUSED_V4.map(([network, bits, why]) => {
  // `>>> 0` keeps the arithmetic unsigned; a /0 mask would need care, there is none.
  const mask = bits === 32 ? 0xffffffff : (0xffffffff << (32 - bits)) >>> 0;
  return { base: (ipv4Number(network)! & mask) >>> 0, mask, why };
});

function refusedV4(n: number): string | null {
  return REFUSED_V4_MASKS.find(({ base, mask }) => (n & mask) >>> 0 === base)?.why ?? null;
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

const dottedV4 = (n: number) => `${n >>> 24}.${(n >>> 16) & 0xff}.${(n >>> 8) & 0xff}.${n & 0xff}`;

const OUTSIDE_GLOBAL_UNICAST = "not global unicast (outside 2000::/3)";

function refusedV6(g: number[]): string | null {
  const [g0 = 0, g1 = 0, g2 = 0, g3 = 0, g4 = 0, g5 = 0, g6 = 0, g7 = 0] = g;
  const zeroUpTo = (end: number) => g.slice(0, end).every((x) => x === 0);
  // IPv4 inside IPv6 reaches the IPv4 address (the kernel, a translator or a
  // tunnel forwards to it): judged as it.
  const embedded = (what: string, n: number) => {
    const why = refusedV4(n);
    return why ? `${why}, as ${what} ${dottedV4(n)}` : null;
  };
  const last32 = ((g6 << 16) | g7) >>> 0;
  if (zeroUpTo(8)) return "unspecified (::)";
  if (zeroUpTo(7) && g7 === 1) return "loopback (::1)";
  // ::ffff:a.b.c.d: the socket goes to the IPv4 address.
  if (zeroUpTo(5) && g5 === 0xffff) return embedded("IPv4-mapped", last32);
  // ::ffff:0:a.b.c.d (SIIT, RFC 2765): never a global address of its own.
  if (zeroUpTo(4) && g4 === 0xffff && g5 === 0)
    return embedded("IPv4-translated", last32) ?? OUTSIDE_GLOBAL_UNICAST;
  // ::a.b.c.d, the deprecated IPv4-compatible form.
  if (zeroUpTo(6)) return embedded("IPv4-compatible", last32);
  // 64:ff9b::/96 (NAT64, RFC 6052): a translator forwards to the embedded IPv4.
  if (g0 === 0x64 && g1 === 0xff9b && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0)
    return embedded("NAT64", last32);
  if (g0 === 0x64 && g1 === 0xff9b && g2 === 1) return "local-use NAT64 (64:ff9b:1::/48, RFC 8215)";
  // 2002::/16 (6to4) carries an IPv4 address in its next 32 bits.
  if (g0 === 0x2002) return embedded("6to4", ((g1 << 16) | g2) >>> 0);
  if (g0 === 0x2001 && g1 === 0) return "a Teredo tunnel address (2001::/32)";
  if (g0 === 0x2001 && g1 === 0x0db8) return "reserved for documentation (2001:db8::/32)";
  if (g0 === 0x3fff && g1 < 0x1000) return "reserved for documentation (3fff::/20, RFC 9637)";
  if (g0 === 0x2001 && g1 === 0x0002 && g2 === 0) return "reserved for benchmarking (2001:2::/48)";
  if (g0 === 0x0100 && g1 === 0 && g2 === 0 && g3 === 0) return "a discard address (100::/64)";
  if ((g0 & 0xfe00) === 0xfc00) return "a unique local address (fc00::/7)";
  if ((g0 & 0xffc0) === 0xfe80) return "link-local (fe80::/10)";
  if ((g0 & 0xffc0) === 0xfec0) return "site-local (fec0::/10)";
  if ((g0 & 0xff00) === 0xff00) return "multicast (ff00::/8)";
  // Only 2000::/3 is global unicast; the rest is reserved or unassigned.
  if ((g0 & 0xe000) !== 0x2000) return OUTSIDE_GLOBAL_UNICAST;
  return null;
}

/**
 * Why regwatch must not connect to `ip` (IPv4 or IPv6 text, an IPv6 zone id
 * ignored), in words for a message ("loopback", "the cloud instance
 * metadata address", "private (RFC 1918), as NAT64 10.0.0.1"), or null for
 * a public address. Refused: loopback, private, link-local, shared,
 * documentation, benchmarking, multicast and reserved ranges, IPv6 outside
 * 2000::/3, and IPv6 forms that carry a refused IPv4 address. Anything that
 * is not an IP address is refused too.
 */
export function refusedAddress(ip: string): string | null {
  const bare = ip.replace(/%.*$/, "");
  switch (isIP(bare)) {
    case 4: {
      const n = ipv4Number(bare);
      return n === null ? "not an IP address" : refusedV4(n);
    }
    case 6: {
      const groups = ipv6Groups(bare);
      return groups === null ? "not an IP address" : refusedV6(groups);
    }
    default:
      return "not an IP address";
  }
}

/** Whether regwatch may connect to `ip`: `refusedAddress` has nothing against it. */
export function isPublicAddress(ip: string): boolean {
  return refusedAddress(ip) === null;
}

/** A refused address, and the name that led to it (the address itself for an IP literal). */
export interface AddressRefusal {
  hostname: string;
  address: string;
  /** `refusedAddress`'s words. */
  reason: string;
}

/** "localhost resolves to 127.0.0.1, which is loopback"; "10.0.0.1 is private (RFC 1918)" for a literal. */
export function describeRefusal({ hostname, address, reason }: AddressRefusal): string {
  return hostname === address
    ? `${address} is ${reason}`
    : `${hostname} resolves to ${address}, which is ${reason}`;
}

/**
 * A connection refused because its host is, or resolves to, an address
 * `refusedAddress` refuses. `code` "EPRIVATE", as Node's errors carry
 * theirs, so callers that only see a socket error can tell it apart.
 */
export class PrivateAddressError extends Error {
  override name = "PrivateAddressError";
  readonly code = "EPRIVATE";
  readonly hostname: string;
  readonly address: string;
  readonly reason: string;
  constructor(refusal: AddressRefusal, message: string = describeRefusal(refusal)) {
    super(message);
    this.hostname = refusal.hostname;
    this.address = refusal.address;
    this.reason = refusal.reason;
  }
}

/**
 * Every address a host resolves to; `dns.lookup` with `all: true` by
 * default, injected in tests. `hints`: getaddrinfo flags a connection asks
 * for (Node's `net` asks for ADDRCONFIG: no IPv6 answers on a host without IPv6).
 */
export type ResolveAll = (host: string, options?: { hints?: number }) => Promise<LookupAddress[]>;

/** The system resolver as a `ResolveAll`: every address, in the resolver's order. */
export const resolveAll: ResolveAll = (host, options = {}) =>
  new Promise((resolve, reject) => {
    // The callback form of node:dns, so that tests replacing the module's `lookup` replace this one.
    const asked = options.hints === undefined ? {} : { hints: options.hints };
    dnsLookup(host, { ...asked, all: true, verbatim: true }, (error, addresses) => {
      if (error) reject(error);
      else resolve(addresses);
    });
  });

export interface GuardedLookupOptions {
  /** Pass private answers too (tests, a service inside its own network): only the resolving is done. */
  allowPrivate?: boolean;
  /** How errors name the host: "webhook host" gives "webhook host x.example has no address". Default "host". */
  label?: string;
  /** The refusal's message; default `describeRefusal`. */
  message?: (refusal: AddressRefusal) => string;
  resolve?: ResolveAll;
  /** Why an address is refused, or null; default `refusedAddress`. */
  refuse?: (address: string) => string | null;
}

/**
 * A `lookup` for a connection (node:http(s) requests, `net.connect`, an
 * undici connector): resolves the name and, unless `allowPrivate`, fails
 * with a `PrivateAddressError` when any of its addresses is refused (a
 * resolver that mixes public and private answers is not to be trusted).
 * Handles both forms Node asks for: `all: true` (what `net` uses when it
 * tries the addresses in turn) and a single address with its family.
 *
 * Node does not call `lookup` for an IP literal: a caller connecting to
 * literals checks them with `refusedAddress` itself.
 */
export function guardedLookup(options: GuardedLookupOptions = {}): LookupFunction {
  const resolve = options.resolve ?? resolveAll;
  const refuse = options.refuse ?? refusedAddress;
  const label = options.label ?? "host";
  return (hostname, lookupOptions, callback) => {
    const asked: LookupOptions =
      typeof lookupOptions === "object" && lookupOptions !== null ? lookupOptions : {};
    const fail = (error: Error) => callback(error as NodeJS.ErrnoException, asked.all ? [] : "");
    resolve(hostname, asked.hints === undefined ? {} : { hints: asked.hints }).then(
      (answers) => {
        if (!options.allowPrivate) {
          for (const { address } of answers) {
            const reason = refuse(address);
            if (reason) {
              const refusal = { hostname, address, reason };
              fail(new PrivateAddressError(refusal, (options.message ?? describeRefusal)(refusal)));
              return;
            }
          }
        }
        // A connection asking for one family gets only that family's addresses.
        const family =
          asked.family === 4 || asked.family === "IPv4"
            ? 4
            : asked.family === 6 || asked.family === "IPv6"
              ? 6
              : 0;
        const addresses = family ? answers.filter((a) => a.family === family) : answers;
        const first = addresses[0];
        if (!first) {
          fail(Object.assign(new Error(`${label} ${hostname} has no address`), { code: "ENOTFOUND" }));
          return;
        }
        if (asked.all) callback(null, addresses);
        else callback(null, first.address, first.family);
      },
      (error: unknown) => fail(error instanceof Error ? error : new Error(String(error))),
    );
  };
}
