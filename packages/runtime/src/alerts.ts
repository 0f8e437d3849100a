import { join } from "node:path";
import type { AlertDeps } from "@regwatch/alerts/subscribe";
import { createMailer, type Mailer } from "@regwatch/mail/mailer";
import type { Runtime } from "./runtime.ts";
import { secretKey } from "./secret-key.ts";

/**
 * What subscriptions and alerts need from the runtime: the mailer (SMTP when
 * `SMTP_URL` is set, else `.eml` files under `<data dir>/outbox`, so a fresh
 * machine shows what would have been sent), the signing key and the public
 * address the links point at.
 */
export function alertDeps(runtime: Runtime): AlertDeps & { mailer: Mailer } {
  const { config, database, deps } = runtime;
  const mailer = createMailer({
    smtpUrl: config.smtpUrl,
    outboxDir: join(config.dataDir, "outbox"),
    from: config.mailFrom,
    log: deps.log,
  });
  return {
    db: database.db,
    mailer,
    secret: secretKey(config),
    publicUrl: config.publicUrl,
    log: deps.log,
    now: () => new Date(),
    adminEmail: config.adminEmail,
    allowPrivateWebhooks: config.allowPrivateWebhooks,
  };
}
