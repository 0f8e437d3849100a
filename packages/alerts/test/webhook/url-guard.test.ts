import type { LookupAddress } from "node:dns";
import { describe, expect, it } from "vitest";
import { checkWebhookUrl, guardedLookup, WebhookUrlError } from "../../src/webhook/url-guard.ts";

// Which addresses are refused, range by range, is tested with the shared
// table in packages/core/test/addresses.test.ts.

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
