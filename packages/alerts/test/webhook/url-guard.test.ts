import type { LookupAddress } from "node:dns";
import { describe, expect, it } from "vitest";
import {
  checkWebhookUrl,
  guardedLookup,
  isPublicAddress,
  WebhookUrlError,
} from "../../src/webhook/url-guard.ts";

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
  "9.255.255.255",
  "11.0.0.0",
  "100.63.255.255",
  "100.128.0.0",
  "126.255.255.255",
  "128.0.0.0",
  "169.253.255.255",
  "169.255.0.0",
  "172.15.255.255",
  "172.32.0.0",
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
  ["multicast", "ff02::1"],
  ["documentation", "2001:db8::1"],
  ["documentation upper end", "2001:db8:ffff:ffff::1"],
  ["IPv4-mapped loopback, dotted", "::ffff:127.0.0.1"],
  ["IPv4-mapped loopback, hex", "::ffff:7f00:1"],
  ["IPv4-mapped private", "::ffff:10.1.2.3"],
  ["IPv4-mapped metadata", "::ffff:169.254.169.254"],
  ["IPv4-compatible loopback", "::127.0.0.1"],
  ["NAT64 loopback", "64:ff9b::127.0.0.1"],
  ["NAT64 private, hex", "64:ff9b::a00:1"],
  ["NAT64 local-use prefix", "64:ff9b:1::808:808"],
  ["6to4 of loopback", "2002:7f00:1::1"],
  ["Teredo", "2001::1"],
  ["outside 2000::/3", "100::1"],
] as const;

const PUBLIC_V6 = [
  "2606:4700::1111",
  "2001:4860:4860::8888",
  "2a00:1450:4001:82b::200e",
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
    }
  });
});

function refusal(raw: string, allowPrivate = false): WebhookUrlError {
  try {
    checkWebhookUrl(raw, { allowPrivate });
  } catch (error) {
    expect(error).toBeInstanceOf(WebhookUrlError);
    return error as WebhookUrlError;
  }
  throw new Error(`${raw} was accepted`);
}

describe("checkWebhookUrl", () => {
  it("accepts a public https endpoint and returns it parsed", () => {
    const url = checkWebhookUrl("https://hooks.slack.com/services/T000/B000/XXXX", { allowPrivate: false });
    expect(url.hostname).toBe("hooks.slack.com");
    expect(url.pathname).toBe("/services/T000/B000/XXXX");
    expect(checkWebhookUrl("https://[2606:4700::1111]:8443/hook", { allowPrivate: false }).port).toBe("8443");
    expect(checkWebhookUrl("https://8.8.8.8/hook", { allowPrivate: false }).hostname).toBe("8.8.8.8");
  });

  it("names the field and the reason", () => {
    const error = refusal("not a url");
    expect(error.field).toBe("webhook");
    expect(error.message).toBe("webhook is not a valid URL");
    expect(refusal("").message).toMatch(/empty/);
    expect(refusal(`https://example.com/${"a".repeat(3000)}`).message).toMatch(/longer than/);
  });

  it("refuses schemes other than https, and http unless private hosts are allowed", () => {
    expect(refusal("http://example.com/hook").message).toBe("webhook URL must use https (got http)");
    expect(refusal("ftp://example.com/hook").message).toMatch(/must use https \(got ftp\)/);
    expect(refusal("file:///etc/passwd").message).toMatch(/got file/);
    expect(refusal("ftp://example.com/", true).message).toMatch(/got ftp/);
    expect(checkWebhookUrl("http://127.0.0.1:8080/hook", { allowPrivate: true }).port).toBe("8080");
  });

  it("refuses a username or password in the URL, even when private hosts are allowed", () => {
    expect(refusal("https://user:secret@example.com/hook").message).toMatch(/username or password/);
    expect(refusal("https://user@example.com/hook").message).toMatch(/username or password/);
    expect(refusal("http://user:pw@127.0.0.1/", true).message).toMatch(/username or password/);
  });

  it.each([
    "https://127.0.0.1/hook",
    "https://10.0.0.1/hook",
    "https://169.254.169.254/latest/meta-data/",
    "https://0x7f.1/hook",
    "https://2130706433/hook",
    "https://0/hook",
    "https://[::1]/hook",
    "https://[::ffff:127.0.0.1]/hook",
    "https://[fd00::1]/hook",
  ])("refuses the private IP literal in %s", (raw) => {
    expect(refusal(raw).message).toMatch(/is a private or reserved address/);
  });

  it.each([
    "https://localhost/hook",
    "https://LOCALHOST./hook",
    "https://api.localhost/hook",
    "https://printer.local/hook",
    "https://metadata.google.internal/computeMetadata/v1/",
    "https://router.home.arpa/",
  ])("refuses the local name in %s", (raw) => {
    expect(refusal(raw).message).toMatch(/is a local name/);
  });

  it("refuses a single-label name, which the resolver completes inside our network", () => {
    expect(refusal("https://metadata/computeMetadata/v1/").message).toMatch(/not a fully qualified/);
  });

  it("allows private and local hosts over http when allowPrivate is set", () => {
    for (const raw of [
      "http://127.0.0.1:9/",
      "https://10.0.0.1/",
      "http://localhost:3000/",
      "http://intranet/",
    ]) {
      expect(checkWebhookUrl(raw, { allowPrivate: true })).toBeInstanceOf(URL);
    }
  });

  it("never repeats the path, where Slack and Teams put the webhook's credential", () => {
    expect(refusal("http://hooks.example.com/services/SECRET-TOKEN").message).not.toContain("SECRET");
    expect(refusal("https://10.0.0.1/services/SECRET-TOKEN").message).not.toContain("SECRET");
  });
});

type Result = { error: NodeJS.ErrnoException | null; address: string | LookupAddress[]; family?: number };

function lookupWith(allowPrivate: boolean, hostname: string, all: boolean): Promise<Result> {
  return new Promise((resolve) => {
    guardedLookup(allowPrivate)(hostname, all ? { all: true } : {}, (error, address, family) =>
      resolve({ error, address, family }),
    );
  });
}

describe("guardedLookup", () => {
  it("refuses localhost when private addresses are not allowed, in both callback forms", async () => {
    for (const all of [true, false]) {
      const { error } = await lookupWith(false, "localhost", all);
      expect(error?.code).toBe("EPRIVATE");
      expect(error?.message).toMatch(
        /^webhook host localhost resolves to private address (127\.0\.0\.1|::1)$/,
      );
    }
  });

  it("resolves localhost when private addresses are allowed", async () => {
    const single = await lookupWith(true, "localhost", false);
    expect(single.error).toBeNull();
    expect(["127.0.0.1", "::1"]).toContain(single.address);
    expect([4, 6]).toContain(single.family);
    const all = await lookupWith(true, "localhost", true);
    expect(all.error).toBeNull();
    expect(Array.isArray(all.address) && all.address.length).toBeGreaterThan(0);
  });
});
