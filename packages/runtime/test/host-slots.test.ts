// The politeness interval per publisher, shared through Redis by every worker
// on every host: turns handed out by two clients (two "hosts") never come
// closer than the interval, whoever asks.
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { redisHostSlots } from "../src/host-slots.ts";

const url = process.env.REDIS_URL;
if (!url && process.env.REGWATCH_REQUIRE_SERVICES === "1")
  throw new Error("REGWATCH_REQUIRE_SERVICES=1 but REDIS_URL is not set");
const silent = { debug() {}, info() {}, warn() {}, error() {} };

describe.skipIf(!url)("host turns in Redis", () => {
  const prefix = `rwtest-slots-${Math.random().toString(16).slice(2)}`;
  let a: Redis;
  let b: Redis;
  beforeAll(() => {
    a = new Redis(url!, { maxRetriesPerRequest: 1 });
    b = new Redis(url!, { maxRetriesPerRequest: 1 });
  });
  afterAll(async () => {
    const keys = await a.keys(`${prefix}:*`);
    if (keys.length) await a.del(...keys);
    a.disconnect();
    b.disconnect();
  });

  it("hands out turns one interval apart to clients on different connections, per host", async () => {
    const one = redisHostSlots(a, silent, prefix);
    const two = redisHostSlots(b, silent, prefix);
    const started = Date.now();
    const waits: number[] = [];
    for (let i = 0; i < 6; i++) waits.push(await (i % 2 ? two : one).reserve("www.ecfr.gov", 200));
    const elapsed = Date.now() - started;
    // Turn k is k intervals after the first, less the time that has passed since.
    waits.forEach((wait, k) => {
      expect(wait).toBeLessThanOrEqual(k * 200);
      expect(wait).toBeGreaterThanOrEqual(k * 200 - elapsed - 5);
    });
    // Another publisher has turns of its own.
    expect(await two.reserve("www.federalregister.gov", 200)).toBe(0);
  });

  it("falls back to this process's turns when Redis does not answer", async () => {
    const dead = new Redis("redis://127.0.0.1:1", {
      maxRetriesPerRequest: 0,
      lazyConnect: true,
      retryStrategy: () => null,
    });
    dead.on("error", () => {});
    const slots = redisHostSlots(dead, silent, prefix);
    expect(await slots.reserve("laws-lois.justice.gc.ca", 1000)).toBe(0);
    const second = await slots.reserve("laws-lois.justice.gc.ca", 1000);
    expect(second).toBeGreaterThan(900);
    expect(second).toBeLessThanOrEqual(1000);
    dead.disconnect();
  });
});
