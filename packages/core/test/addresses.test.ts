import type { LookupAddress } from "node:dns";
import {
  type GuardedLookupOptions,
  guardedLookup,
  isPublicAddress,
  PrivateAddressError,
  type ResolveAll,
  refusedAddress,
} from "@regwatch/core/addresses";
import { describe, expect, it } from "vitest";

// First and last address of every refused IPv4 block.
const PRIVATE_V4 = [
  ["0.0.0.0/8", "0.0.0.0", "0.255.255.255"],
  ["10/8", "10.0.0.0", "10.255.255.255"],
  ["100.64/10 (CGNAT)", "100.64.0.0", "100.127.255.255"],
  ["127/8", "127.0.0.1", "127.255.255.255"],
  ["169.254/16", "169.254.0.0", "169.254.169.254"],
  ["172.16/12", "172.16.0.0", "172.31.255.255"],
  ["192.0.0/24", "192.0.0.0", "192.0.0.255"],
  ["192.0.2/24", "192.0.2.0", "192.0.2.255"],
  ["192.168/16", "192.168.0.0", "192.168.255.255"],
  ["198.18/15", "198.18.0.0", "198.19.255.255"],
  ["198.51.100/24", "198.51.100.0", "198.51.100.255"],
  ["203.0.113/24", "203.0.113.0", "203.0.113.255"],
  ["224/4 multicast", "224.0.0.1", "239.255.255.255"],
  ["240/4 reserved", "240.0.0.0", "255.255.255.254"],
  ["broadcast", "255.255.255.255", "255.255.255.255"],
] as const;

// Public addresses, many just outside a refused block.
const PUBLIC_V4 = [
  "8.8.8.8",
  "1.1.1.1",
  "93.184.215.14",
  "9.255.255.255",
  "11.0.0.0",
  "100.63.255.255",
  "100.128.0.0",
  "100.128.0.1",
  "126.255.255.255",
  "128.0.0.0",
  "169.253.255.255",
  "169.255.0.0",
  "172.15.255.255",
  "172.32.0.0",
  "172.32.0.1",
  "192.0.1.1",
  "192.0.3.0",
  "192.167.255.255",
  "192.169.0.0",
  "198.17.255.255",
  "198.20.0.0",
  "198.51.99.255",
  "203.0.112.255",
  "223.255.255.255",
];

const PRIVATE_V6 = [
  ["unspecified", "::"],
  ["loopback", "::1"],
  ["unique local fc00::/7", "fc00::1"],
  ["unique local fd00::", "fd12:3456:789a::1"],
  ["link-local", "fe80::1"],
  ["link-local with zone", "fe80::1%eth0"],
  ["link-local upper end", "febf:ffff::1"],
  ["site-local", "fec0::1"],
  ["multicast", "ff02::1"],
  ["documentation", "2001:db8::1"],
  ["documentation upper end", "2001:db8:ffff:ffff::1"],
  ["documentation 3fff::/20", "3fff:fff::1"],
  ["benchmarking", "2001:2::1"],
  ["IPv4-mapped loopback, dotted", "::ffff:127.0.0.1"],
  ["IPv4-mapped loopback, hex", "::ffff:7f00:1"],
  ["IPv4-mapped private", "::ffff:10.1.2.3"],
  ["IPv4-mapped metadata", "::ffff:169.254.169.254"],
  ["IPv4-translated, even of a public address", "::ffff:0:808:808"],
  ["IPv4-compatible loopback", "::127.0.0.1"],
  ["NAT64 loopback", "64:ff9b::127.0.0.1"],
  ["NAT64 private, hex", "64:ff9b::a00:1"],
  ["NAT64 local-use prefix", "64:ff9b:1::808:808"],
  ["6to4 of loopback", "2002:7f00:1::1"],
  ["Teredo", "2001::1"],
  ["discard", "100::1"],
  ["outside 2000::/3", "4000::1"],
  ["outside 2000::/3, low", "1::1"],
] as const;

const PUBLIC_V6 = [
  "2606:4700::1111",
  "2001:4860:4860::8888",
  "2a00:1450:4001:82b::200e",
  "2001:3::1",
  "3ffe::1",
  "3fff:1000::1",
  "::ffff:8.8.8.8",
  "64:ff9b::8.8.8.8",
  "64:ff9b::808:808",
  "2002:808:808::1",
];

describe("isPublicAddress", () => {
  it.each(PRIVATE_V4)("refuses %s (%s and %s)", (_, first, last) => {
    expect(isPublicAddress(first)).toBe(false);
    expect(isPublicAddress(last)).toBe(false);
  });

  it.each(PUBLIC_V4)("accepts public IPv4 %s", (ip) => {
    expect(isPublicAddress(ip)).toBe(true);
  });

  it.each(PRIVATE_V6)("refuses IPv6 %s (%s)", (_, ip) => {
    expect(isPublicAddress(ip)).toBe(false);
  });

  it.each(PUBLIC_V6)("accepts public IPv6 %s", (ip) => {
    expect(isPublicAddress(ip)).toBe(true);
  });

  it("calls anything that is not an IP address not public", () => {
    for (const text of ["", "example.com", "1.2.3", "256.1.1.1", "1.2.3.4.5", "[::1]", "::g"]) {
      expect(isPublicAddress(text)).toBe(false);
      expect(refusedAddress(text)).toBe("not an IP address");
    }
  });
});

describe("refusedAddress", () => {
  it("says why, in words a refusal message can carry", () => {
    expect(
      Object.fromEntries(
        [
          "169.254.169.254",
          "169.254.10.1",
          "127.0.0.1",
          "10.1.2.3",
          "100.100.100.200",
          "0.0.0.0",
          "198.18.0.1",
          "::1",
          "::",
          "fd00:ec2::254",
          "fe80::1%eth0",
          "fec0::1",
          "ff02::1",
          "2001:db8::1",
          "2001:2::1",
          "2001::1",
          "100::1",
          "4000::1",
          "64:ff9b:1::1",
          "::ffff:127.0.0.1",
          "::ffff:a9fe:a9fe",
          "64:ff9b::a00:1",
          "2002:c0a8:101::1",
          "::ffff:0:7f00:1",
          "::ffff:0:808:808",
          "::127.0.0.1",
        ].map((ip) => [ip, refusedAddress(ip)]),
      ),
    ).toEqual({
      "169.254.169.254": "the cloud instance metadata address",
      "169.254.10.1": "link-local",
      "127.0.0.1": "loopback",
      "10.1.2.3": "private (RFC 1918)",
      "100.100.100.200": "shared address space (CGNAT, RFC 6598)",
      "0.0.0.0": "unspecified (this network)",
      "198.18.0.1": "reserved for benchmarking",
      "::1": "loopback (::1)",
      "::": "unspecified (::)",
      "fd00:ec2::254": "a unique local address (fc00::/7)",
      "fe80::1%eth0": "link-local (fe80::/10)",
      "fec0::1": "site-local (fec0::/10)",
      "ff02::1": "multicast (ff00::/8)",
      "2001:db8::1": "reserved for documentation (2001:db8::/32)",
      "2001:2::1": "reserved for benchmarking (2001:2::/48)",
      "2001::1": "a Teredo tunnel address (2001::/32)",
      "100::1": "a discard address (100::/64)",
      "4000::1": "not global unicast (outside 2000::/3)",
      "64:ff9b:1::1": "local-use NAT64 (64:ff9b:1::/48, RFC 8215)",
      "::ffff:127.0.0.1": "loopback, as IPv4-mapped 127.0.0.1",
      "::ffff:a9fe:a9fe": "the cloud instance metadata address, as IPv4-mapped 169.254.169.254",
      "64:ff9b::a00:1": "private (RFC 1918), as NAT64 10.0.0.1",
      "2002:c0a8:101::1": "private (RFC 1918), as 6to4 192.168.1.1",
      "::ffff:0:7f00:1": "loopback, as IPv4-translated 127.0.0.1",
      "::ffff:0:808:808": "not global unicast (outside 2000::/3)",
      "::127.0.0.1": "loopback, as IPv4-compatible 127.0.0.1",
    });
  });

  it("has nothing against a public address", () => {
    for (const ip of [...PUBLIC_V4, ...PUBLIC_V6]) expect(refusedAddress(ip), ip).toBeNull();
  });
});

type Result = { error: NodeJS.ErrnoException | null; address: string | LookupAddress[]; family?: number };

/** A resolver answering from a table, as a DNS-rebinding attacker would arrange it; no network. */
const zone =
  (table: Record<string, LookupAddress[]>): ResolveAll =>
  async (host) => {
    const answer = table[host];
    if (!answer) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: "ENOTFOUND" });
    return answer;
  };

const ZONE = zone({
  "rebind.example.com": [{ address: "127.0.0.1", family: 4 }],
  "mixed.example.com": [
    { address: "93.184.215.14", family: 4 },
    { address: "169.254.169.254", family: 4 },
  ],
  "public.example.com": [
    { address: "2606:2800:21f:cb07:6820:80da:af6b:8b2c", family: 6 },
    { address: "93.184.215.14", family: 4 },
  ],
  "empty.example.com": [],
});

function lookupWith(
  options: GuardedLookupOptions,
  hostname: string,
  asked: { all?: boolean; family?: number },
): Promise<Result> {
  return new Promise((resolve) => {
    guardedLookup({ resolve: ZONE, ...options })(hostname, asked, (error, address, family) =>
      resolve({ error, address, family }),
    );
  });
}

describe("guardedLookup", () => {
  it("refuses a name any of whose addresses is refused, with the address and the reason", async () => {
    for (const all of [true, false]) {
      const { error, address } = await lookupWith({}, "mixed.example.com", { all });
      expect(error).toBeInstanceOf(PrivateAddressError);
      expect(error).toMatchObject({
        code: "EPRIVATE",
        hostname: "mixed.example.com",
        address: "169.254.169.254",
        reason: "the cloud instance metadata address",
        message:
          "mixed.example.com resolves to 169.254.169.254, which is the cloud instance metadata address",
      });
      expect(address).toEqual(all ? [] : "");
    }
  });

  it("words the refusal and the missing address as the caller asks", async () => {
    const worded = {
      label: "webhook host",
      message: ({ hostname, address }: { hostname: string; address: string }) =>
        `webhook host ${hostname} resolves to private address ${address}`,
    };
    const refused = await lookupWith(worded, "rebind.example.com", {});
    expect(refused.error?.message).toBe(
      "webhook host rebind.example.com resolves to private address 127.0.0.1",
    );
    const empty = await lookupWith(worded, "empty.example.com", { all: true });
    expect(empty.error).toMatchObject({
      code: "ENOTFOUND",
      message: "webhook host empty.example.com has no address",
    });
  });

  it("answers a public name as asked: every address, the first with its family, or one family only", async () => {
    expect(await lookupWith({}, "public.example.com", { all: true })).toEqual({
      error: null,
      address: [
        { address: "2606:2800:21f:cb07:6820:80da:af6b:8b2c", family: 6 },
        { address: "93.184.215.14", family: 4 },
      ],
      family: undefined,
    });
    expect(await lookupWith({}, "public.example.com", {})).toEqual({
      error: null,
      address: "2606:2800:21f:cb07:6820:80da:af6b:8b2c",
      family: 6,
    });
    expect(await lookupWith({}, "public.example.com", { family: 4 })).toEqual({
      error: null,
      address: "93.184.215.14",
      family: 4,
    });
  });

  it("passes private answers when allowPrivate is set, and resolver errors always", async () => {
    expect(await lookupWith({ allowPrivate: true }, "rebind.example.com", {})).toEqual({
      error: null,
      address: "127.0.0.1",
      family: 4,
    });
    const gone = await lookupWith({ allowPrivate: true }, "gone.example.com", { all: true });
    expect(gone.error?.code).toBe("ENOTFOUND");
    expect(gone.address).toEqual([]);
  });
});
