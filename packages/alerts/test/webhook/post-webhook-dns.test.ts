// The connect-time check, with the resolver replaced: names that pass the URL
// check but resolve to private addresses, as a DNS-rebinding attacker would
// arrange. No test here touches the network.

import type { LookupAddress } from "node:dns";
import { afterEach, describe, expect, it, vi } from "vitest";
import { postWebhook, WebhookDeliveryError } from "../../src/webhook/post-webhook.ts";
import { guardedLookup } from "../../src/webhook/url-guard.ts";
import { type Receiver, startReceiver } from "./receiver.ts";

const ZONE: Record<string, LookupAddress[] | string> = {
  "rebind.example.com": [{ address: "127.0.0.1", family: 4 }],
  "mixed.example.com": [
    { address: "93.184.215.14", family: 4 },
    { address: "10.1.2.3", family: 4 },
  ],
  "mapped.example.com": [{ address: "::ffff:169.254.169.254", family: 6 }],
  "public.example.com": [
    { address: "93.184.215.14", family: 4 },
    { address: "2606:2800:21f:cb07:6820:80da:af6b:8b2c", family: 6 },
  ],
  "gone.example.com": "ENOTFOUND",
  "flaky.example.com": "EAI_AGAIN",
};

vi.mock("node:dns", async (importOriginal) => {
  const actual = await importOriginal<typeof import("node:dns")>();
  const lookup = (
    hostname: string,
    options: { all?: boolean },
    callback: (
      error: NodeJS.ErrnoException | null,
      addresses: LookupAddress[] | string,
      family?: number,
    ) => void,
  ) => {
    const answer = ZONE[hostname] ?? "ENOTFOUND";
    setImmediate(() => {
      if (typeof answer === "string") {
        callback(Object.assign(new Error(`getaddrinfo ${answer} ${hostname}`), { code: answer }), []);
      } else if (options.all) {
        callback(null, answer);
      } else {
        callback(null, answer[0]!.address, answer[0]!.family);
      }
    });
  };
  return { ...actual, lookup, default: { ...actual, lookup } };
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
  it("refuses a public-looking name that resolves to a private address, in both callback forms", async () => {
    for (const all of [true, false]) {
      const { error } = await lookupWith(false, "rebind.example.com", all);
      expect(error?.code).toBe("EPRIVATE");
      expect(error?.message).toBe("webhook host rebind.example.com resolves to private address 127.0.0.1");
    }
  });

  it("refuses a name when any one of its addresses is private", async () => {
    const { error } = await lookupWith(false, "mixed.example.com", true);
    expect(error?.message).toBe("webhook host mixed.example.com resolves to private address 10.1.2.3");
    const mapped = await lookupWith(false, "mapped.example.com", false);
    expect(mapped.error?.code).toBe("EPRIVATE");
  });

  it("answers a public name as asked: every address, or the first with its family", async () => {
    const all = await lookupWith(false, "public.example.com", true);
    expect(all).toEqual({ error: null, address: ZONE["public.example.com"], family: undefined });
    const single = await lookupWith(false, "public.example.com", false);
    expect(single).toEqual({ error: null, address: "93.184.215.14", family: 4 });
  });

  it("passes private answers when allowPrivate is set, and resolver errors always", async () => {
    expect(await lookupWith(true, "rebind.example.com", false)).toMatchObject({
      address: "127.0.0.1",
      family: 4,
    });
    expect((await lookupWith(false, "gone.example.com", true)).error?.code).toBe("ENOTFOUND");
  });
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

describe("postWebhook through the guarded lookup", () => {
  let receiver: Receiver | null = null;
  afterEach(async () => {
    await receiver?.close();
    receiver = null;
  });

  it("refuses for good a host that resolves to a private address at connect time", async () => {
    receiver = await startReceiver();
    const error = await failure(
      postWebhook(`https://rebind.example.com:${receiver.port}/hook`, "{}", {
        headers: {},
        allowPrivate: false,
      }),
    );
    expect(error).toMatchObject({ permanent: true, status: null, code: "EPRIVATE" });
    expect(error.message).toContain("resolves to private address 127.0.0.1");
    expect(receiver.received).toEqual([]);
  });

  it("connects to the address the lookup checked", async () => {
    receiver = await startReceiver();
    const result = await postWebhook(`http://rebind.example.com:${receiver.port}/hook`, "{}", {
      headers: {},
      allowPrivate: true,
    });
    expect(result).toEqual({ status: 200 });
    expect(receiver.received[0]!.headers.host).toBe(`rebind.example.com:${receiver.port}`);
  });

  it("fails for good on a name that does not exist, and temporarily when the resolver did not answer", async () => {
    const strict = { headers: {}, allowPrivate: false };
    expect(await failure(postWebhook("https://gone.example.com/hook", "{}", strict))).toMatchObject({
      permanent: true,
      code: "ENOTFOUND",
    });
    expect(await failure(postWebhook("https://flaky.example.com/hook", "{}", strict))).toMatchObject({
      permanent: false,
      code: "EAI_AGAIN",
    });
  });
});
