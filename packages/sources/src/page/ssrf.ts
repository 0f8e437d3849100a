// The guard on addresses a user gives `regwatch watch`, and on the document
// links of the pages it fetches (a page's links are written by whoever
// controls that page). regwatch runs next to its database, its Redis and,
// in a cloud, the instance metadata service: a watched URL must never make
// it fetch from them. An address is refused for what it reaches, so the
// host is resolved and every address it resolves to is checked.

import { lookup } from "node:dns/promises";
import { isIP } from "node:net";
import { SourceShapeChangedError, SourceUnavailableError } from "@regwatch/core/errors";

/** Every address a host resolves to (`dns.lookup` with `all: true`); injected in tests. */
export type ResolveAll = (host: string) => Promise<{ address: string; family: number }[]>;

export interface WatchUrlOptions {
  /** Private, loopback and link-local addresses allowed: tests and local demos (REGWATCH_ALLOW_PRIVATE_URLS=1). */
  allowPrivate?: boolean;
  resolve?: ResolveAll;
}

/**
 * A URL refused by the guard. A shape error: retrying does not help, a
 * person must look (the CLI reports it as bad usage).
 */
export class UnsafeUrlError extends SourceShapeChangedError {
  override name = "UnsafeUrlError";
}

const systemResolve: ResolveAll = (host) => lookup(host, { all: true, verbatim: true });

/**
 * Checks a URL before it is watched or fetched: http or https, no user name
 * or password in it, and (unless `allowPrivate`) a host whose every address
 * is public. Returns the parsed URL and the addresses checked. A host that
 * does not resolve is unavailable (SourceUnavailableError), not unsafe.
 *
 * The check is of the address at this moment: a redirect, or a name that
 * resolves elsewhere when the request is made, is outside it (see the
 * page source's notes on what the HTTP client must add).
 */
export async function checkWatchUrl(
  url: string,
  options: WatchUrlOptions = {},
): Promise<{ url: URL; addresses: string[] }> {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new UnsafeUrlError(`"${url}" is not a URL`);
  }
  if (u.protocol !== "http:" && u.protocol !== "https:")
    throw new UnsafeUrlError(`${url}: only http and https addresses can be watched, not ${u.protocol}`);
  if (u.username || u.password)
    throw new UnsafeUrlError(
      `${u.protocol}//${u.host}${u.pathname}: credentials in a watched URL are refused`,
    );
  if (!u.hostname) throw new UnsafeUrlError(`${url}: no host`);
  if (options.allowPrivate) return { url: u, addresses: [] };
  // The URL parser has already turned "0x7f.1", "2130706433" and "[::ffff:7f00:1]" into canonical literals.
  const host = u.hostname.replace(/^\[|\]$/g, "");
  let addresses: string[];
  if (isIP(host)) addresses = [host];
  else {
    let resolved: { address: string }[];
    try {
      resolved = await (options.resolve ?? systemResolve)(host);
    } catch (err) {
      const code = (err as { code?: string }).code ?? (err as Error).message;
      throw new SourceUnavailableError(`${u.host}: the host does not resolve (${code})`);
    }
    if (!resolved.length) throw new SourceUnavailableError(`${u.host}: the host resolves to no address`);
    addresses = resolved.map((r) => r.address);
  }
  for (const address of addresses) {
    const why = refusedAddress(address);
    if (why)
      throw new UnsafeUrlError(
        `${u.host}${isIP(host) ? "" : ` resolves to ${address}, which`} is ${why}: refused (set REGWATCH_ALLOW_PRIVATE_URLS=1 only for tests)`,
      );
  }
  return { url: u, addresses };
}

// ---------------------------------------------------------------------------
// Address ranges.

type Range4 = readonly [base: string, bits: number, why: string];

// First match wins: the metadata address before the link-local range holding it.
const REFUSED_V4: readonly Range4[] = [
  ["169.254.169.254", 32, "the cloud instance metadata address"],
  ["0.0.0.0", 8, "unspecified (this network)"],
  ["10.0.0.0", 8, "private (RFC 1918)"],
  ["100.64.0.0", 10, "shared address space (CGNAT, RFC 6598)"],
  ["127.0.0.0", 8, "loopback"],
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

function v4ToInt(address: string): number {
  return address.split(".").reduce((n, part) => n * 256 + Number(part), 0);
}

function refusedV4(address: string): string | null {
  const n = v4ToInt(address);
  for (const [base, bits, why] of REFUSED_V4) {
    const size = 2 ** (32 - bits);
    const start = v4ToInt(base);
    if (n >= start && n < start + size) return why;
  }
  return null;
}

/** The eight 16-bit groups of an IPv6 address (a trailing dotted IPv4 part taken as two groups). */
function v6Groups(address: string): number[] {
  let text = address.toLowerCase();
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const n = v4ToInt(dotted[1]!);
    text = `${text.slice(0, -dotted[1]!.length)}${(n >>> 16).toString(16)}:${(n & 0xffff).toString(16)}`;
  }
  const [left, right] = text.includes("::") ? text.split("::") : [text, null];
  const head = left ? left.split(":").map((g) => Number.parseInt(g, 16)) : [];
  const tail = right ? right.split(":").map((g) => Number.parseInt(g, 16)) : [];
  const zeros = right === null ? [] : new Array(8 - head.length - tail.length).fill(0);
  return [...head, ...zeros, ...tail];
}

const v4Of = (hi: number, lo: number) => `${hi >>> 8}.${hi & 0xff}.${lo >>> 8}.${lo & 0xff}`;

function refusedV6(address: string): string | null {
  const g = v6Groups(address);
  const zeroUpTo = (k: number) => g.slice(0, k).every((x) => x === 0);
  if (g.every((x) => x === 0)) return "unspecified (::)";
  if (zeroUpTo(7) && g[7] === 1) return "loopback (::1)";
  // IPv4 inside IPv6 reaches the IPv4 address: judged as it.
  const embedded = (what: string, v4: string) => {
    const why = refusedV4(v4);
    return why ? `${why}, as ${what} ${v4}` : null;
  };
  if (zeroUpTo(5) && g[5] === 0xffff) return embedded("IPv4-mapped", v4Of(g[6]!, g[7]!));
  if (zeroUpTo(4) && g[4] === 0xffff && g[5] === 0) return embedded("IPv4-translated", v4Of(g[6]!, g[7]!));
  if (zeroUpTo(6)) return embedded("IPv4-compatible", v4Of(g[6]!, g[7]!));
  if (g[0] === 0x64 && g[1] === 0xff9b && g.slice(2, 6).every((x) => x === 0))
    return embedded("NAT64", v4Of(g[6]!, g[7]!));
  if (g[0] === 0x64 && g[1] === 0xff9b && g[2] === 1) return "local-use NAT64 (64:ff9b:1::/48)";
  if (g[0] === 0x2002) return embedded("6to4", v4Of(g[1]!, g[2]!));
  if (g[0] === 0x2001 && g[1] === 0) return "a Teredo tunnel address (2001::/32)";
  if (g[0] === 0x2001 && g[1] === 0x0db8) return "reserved for documentation (2001:db8::/32)";
  if (g[0] === 0x100 && g.slice(1, 4).every((x) => x === 0)) return "a discard address (100::/64)";
  if ((g[0]! & 0xfe00) === 0xfc00) return "a unique local address (fc00::/7)";
  if ((g[0]! & 0xffc0) === 0xfe80) return "link-local (fe80::/10)";
  if ((g[0]! & 0xffc0) === 0xfec0) return "site-local (fec0::/10)";
  if ((g[0]! & 0xff00) === 0xff00) return "multicast (ff00::/8)";
  return null;
}

/** Why an IP address must not be fetched from, or null for a public one. */
export function refusedAddress(address: string): string | null {
  const bare = address.replace(/%.*$/, "");
  const family = isIP(bare);
  if (family === 4) return refusedV4(bare);
  if (family === 6) return refusedV6(bare);
  return "not an IP address";
}
