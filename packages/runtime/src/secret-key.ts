import { randomBytes } from "node:crypto";
import { chmodSync, linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Config } from "@regwatch/config";

/**
 * The key that signs confirm, manage and unsubscribe links. `SECRET_KEY` when
 * set. Without it, the embedded database's data directory keeps one of its own
 * (made on first use, readable by its owner only), so `npm start` on a fresh
 * machine can take subscriptions. On a PostgreSQL server every node must sign
 * with the same key: there it must be set.
 */
export function secretKey(config: Config): string {
  if (config.secretKey) return config.secretKey;
  if (config.databaseUrl) {
    throw new Error(
      "SECRET_KEY is not set: with DATABASE_URL, every node must sign links with the same key (e.g. `openssl rand -hex 32`)",
    );
  }
  const path = join(config.dataDir, "secret.key");
  try {
    return readFileSync(path, "utf8").trim();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
  mkdirSync(config.dataDir, { recursive: true });
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, `${randomBytes(32).toString("hex")}\n`, { mode: 0o600 });
  chmodSync(temp, 0o600);
  // Published with link(), which never replaces: of two processes racing, both read the one that landed first.
  try {
    linkSync(temp, path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
  } finally {
    rmSync(temp, { force: true });
  }
  return readFileSync(path, "utf8").trim();
}
