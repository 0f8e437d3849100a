const HOUR_MS = 3_600_000;

/** At most `limit` events per key in the last hour, kept in memory. */
export function rateLimiter(limit: number) {
  const seen = new Map<string, number[]>();
  return (key: string, now: number): boolean => {
    const recent = (seen.get(key) ?? []).filter((t) => t > now - HOUR_MS);
    if (recent.length >= limit) {
      seen.set(key, recent);
      return false;
    }
    recent.push(now);
    seen.set(key, recent);
    // A bounded map: old keys go when it grows.
    if (seen.size > 10_000) for (const [k, v] of seen) if (!v.some((t) => t > now - HOUR_MS)) seen.delete(k);
    return true;
  };
}
