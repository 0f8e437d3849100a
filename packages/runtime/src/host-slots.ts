import type { Logger } from "@regwatch/core/http";
import { type HostSlots, localHostSlots } from "@regwatch/fetch/http-client";
import type { Redis } from "ioredis";

// The next free turn at a host, kept in Redis on Redis's own clock, so that
// workers on many hosts (with clocks that disagree) share one interval.
const RESERVE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local slot = math.max(now, tonumber(redis.call('GET', KEYS[1]) or '0'))
local interval = tonumber(ARGV[1])
redis.call('SET', KEYS[1], slot + interval, 'PX', slot + interval - now + 60000)
return slot - now
`;

/**
 * The politeness interval per publisher across every worker: one publisher
 * is never hammered by many workers. When Redis does not answer, the turns of
 * this process are used: polite still, if not across hosts.
 */
export function redisHostSlots(redis: Redis, log: Logger, prefix = "regwatch"): HostSlots {
  const local = localHostSlots();
  return {
    async reserve(host, intervalMs) {
      try {
        const wait = await redis.eval(RESERVE, 1, `${prefix}:host-slot:${host}`, String(intervalMs));
        return Number(wait);
      } catch (err) {
        log.warn({ host }, `politeness turns from this process only: ${(err as Error).message}`);
        return local.reserve(host, intervalMs);
      }
    },
  };
}
