import { randomUUID } from "node:crypto";
import type { ChangeRecord } from "@regwatch/core/schemas";
import { listChanges } from "@regwatch/db/queries/changes";
import { listSourceRows } from "@regwatch/db/queries/sources";
import {
  claimDeliveries,
  type DeliveryRow,
  getSubscriptions,
  recordBounce,
  recordDeliveryAttempt,
  type SubscriptionRow,
} from "@regwatch/db/queries/subscriptions";
import { PermanentMailError } from "@regwatch/mail/mailer";
import { createDigestReader } from "./digests.ts";
import { escapeHtml } from "./escape.ts";
import { type Links, subscriptionLinks, unsubscribeHeaders } from "./links.ts";
import { alertMessage, type SourceStatus } from "./messages/alert.ts";
import { digestMessage } from "./messages/digest.ts";
import { operatorMessageFor } from "./operator.ts";
import type { AlertDeps } from "./subscribe.ts";
import { type WebhookFormat, webhookBody } from "./webhook/payloads.ts";
import { postWebhook, WebhookDeliveryError } from "./webhook/post-webhook.ts";
import { signatureHeaders, webhookSecret } from "./webhook/sign.ts";

// Refused deliveries (5xx, a webhook answering 4xx) a subscription may have before it is paused.
export const BOUNCES_BEFORE_PAUSE = 3;
// Attempts at one message before it is given up: with the backoff below, about two hours of retries.
export const ATTEMPTS_PER_MESSAGE = 8;
// The wait after the n-th failed attempt: 1, 2, 4 … minutes, at most an hour.
const FIRST_RETRY_MS = 60_000;
const MAX_RETRY_MS = 3_600_000;

// Messages in flight at once: enough to keep the mailer's pooled connections
// (5 by default) busy while the next ones are rendered; a webhook endpoint
// sees at most this many posts at once.
const SEND_CONCURRENCY = 16;
// How long the rows a sweep took are its own: longer than a sweep may run (the
// deliver-alerts job's time limit is 10 minutes). A sender that dies leaves
// them to the next sweep after this long.
const LEASE_MS = 15 * 60_000;
// Sent rows are marked in batches: one update per this many rows, or sooner
// once this long has passed. A crash loses at most the marks of one batch,
// whose messages then go out once more with the same Message-ID.
const MARK_BATCH = 100;
const MARK_EVERY_MS = 250;

export type DeliveryKind = "immediate" | "digest" | "operator";
export const DELIVERY_KINDS: readonly DeliveryKind[] = ["immediate", "digest", "operator"];

export interface DeliveryReport {
  sent: number;
  failed: number;
  /** Messages that hit a temporary failure and wait for their next attempt. */
  deferred: number;
  /** Not sent on purpose: the subscription stopped, or an empty digest the subscriber turned off. */
  skipped: number;
}

/** What goes out for one group of outbox rows, whatever the channel. */
interface Content {
  subject: string;
  text: string;
  html: string;
  changes: ChangeRecord[];
  period: { start: Date; end: Date } | null;
}

export function retryDelayMs(attempts: number): number {
  return Math.min(MAX_RETRY_MS, FIRST_RETRY_MS * 2 ** Math.max(0, attempts - 1));
}

/**
 * Sends what the outbox holds: one message per group (a subscriber's changes
 * from one snapshot, one digest, one operator notice), by email or webhook as
 * the row says, with the Message-ID fixed when the rows were written, so a
 * retry is the same message to the receiver. A row is marked sent only after
 * the server accepted it: a crash in between can at most send it once more,
 * with the same Message-ID. Failures wait out a growing delay before the next
 * attempt; refusals count as bounces and pause the subscription after three.
 * Rows are leased as they are taken, so senders running at once never share one.
 */
export async function deliverPending(
  deps: AlertDeps,
  options: { kinds?: readonly DeliveryKind[] } = {},
): Promise<DeliveryReport> {
  const report: DeliveryReport = { sent: 0, failed: 0, deferred: 0, skipped: 0 };
  const pending = await claimDeliveries(deps.db, options.kinds ?? DELIVERY_KINDS, deps.now(), LEASE_MS);
  const groups = new Map<string, DeliveryRow[]>();
  for (const row of pending) {
    const group = groups.get(row.groupKey);
    if (group) group.push(row);
    else groups.set(row.groupKey, [row]);
  }
  if (!groups.size) return report;
  const subscriptions = await getSubscriptions(deps.db, [
    ...new Set(pending.flatMap((r) => (r.subscriptionId ? [r.subscriptionId] : []))),
  ]);
  const composer = createComposer(deps, pending);
  const marks = createMarker(deps);
  const queue = [...groups.values()];
  // A few workers take groups off one queue: sends overlap, each group's outcome is its own.
  const worker = async () => {
    for (let rows = queue.shift(); rows; rows = queue.shift()) {
      const subscription = rows[0]!.subscriptionId ? subscriptions.get(rows[0]!.subscriptionId) : undefined;
      report[await deliverGroup(deps, composer, marks, rows, subscription)]++;
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(SEND_CONCURRENCY, queue.length) }, worker));
  } finally {
    await marks.flush();
  }
  return report;
}

/** Marks sent rows in batches (see MARK_BATCH); flushes run one after another. */
function createMarker(deps: AlertDeps) {
  let ids: number[] = [];
  let last = Date.now();
  let chain: Promise<void> = Promise.resolve();
  const flush = () => {
    const batch = ids;
    ids = [];
    last = Date.now();
    if (batch.length) chain = chain.then(() => recordDeliveryAttempt(deps.db, batch, { sentAt: deps.now() }));
    return chain;
  };
  return {
    async sent(rowIds: readonly number[]) {
      ids.push(...rowIds);
      if (ids.length >= MARK_BATCH || Date.now() - last >= MARK_EVERY_MS) await flush();
    },
    flush,
  };
}

type Outcome = keyof DeliveryReport;

async function deliverGroup(
  deps: AlertDeps,
  composer: ReturnType<typeof createComposer>,
  marks: ReturnType<typeof createMarker>,
  rows: DeliveryRow[],
  subscription: SubscriptionRow | undefined,
): Promise<Outcome> {
  const ids = rows.map((r) => r.id);
  const first = rows[0]!;
  if (first.kind === "operator") {
    const message = await operatorMessageFor(deps.db, deps.publicUrl, first.healthEventId!);
    if (!message || !first.recipient) {
      await recordDeliveryAttempt(deps.db, ids, { skipped: "the health transition is gone" });
      return "skipped";
    }
    return attempt(deps, marks, rows, null, () =>
      deps.mailer.send({ to: first.recipient!, ...message, messageId: first.messageId }),
    );
  }
  if (subscription?.status !== "active") {
    // Unsubscribed (or paused) since the row was written: nothing more reaches it.
    await recordDeliveryAttempt(deps.db, ids, { skipped: `subscription ${subscription?.status ?? "gone"}` });
    return "skipped";
  }
  const links = subscriptionLinks(deps.publicUrl, deps.secret, subscription.id, deps.now());
  const content = await composer.compose(subscription, rows, links);
  if (!content) {
    await recordDeliveryAttempt(deps.db, ids, { skipped: "no changes, and empty digests are turned off" });
    return "skipped";
  }
  if (first.channel === "webhook") {
    return attempt(deps, marks, rows, subscription, () =>
      sendWebhook(deps, subscription, first, content, links),
    );
  }
  return attempt(deps, marks, rows, subscription, () =>
    deps.mailer.send({
      to: subscription.email,
      subject: content.subject,
      text: content.text,
      html: content.html,
      messageId: first.messageId,
      headers: unsubscribeHeaders(links, null),
    }),
  );
}

/** One send, and what it means for the rows: sent, deferred with backoff, failed (and a bounce counted). */
async function attempt(
  deps: AlertDeps,
  marks: ReturnType<typeof createMarker>,
  rows: DeliveryRow[],
  subscription: SubscriptionRow | null,
  send: () => Promise<unknown>,
): Promise<Outcome> {
  const ids = rows.map((r) => r.id);
  try {
    await send();
  } catch (err) {
    const reason = (err as Error).message;
    const permanent =
      err instanceof PermanentMailError || (err instanceof WebhookDeliveryError && err.permanent);
    deps.log.warn(
      { subscriptionId: subscription?.id ?? null, kind: rows[0]!.kind, channel: rows[0]!.channel },
      `not delivered: ${reason}`,
    );
    if (permanent) {
      await recordDeliveryAttempt(deps.db, ids, { error: reason, final: true });
      if (subscription)
        await recordBounce(deps.db, subscription.id, reason, BOUNCES_BEFORE_PAUSE, deps.now());
      return "failed";
    }
    const attempts = Math.max(...rows.map((r) => r.attempts)) + 1;
    const final = attempts >= ATTEMPTS_PER_MESSAGE;
    const retryAt = new Date(deps.now().getTime() + retryDelayMs(attempts));
    await recordDeliveryAttempt(deps.db, ids, { error: reason, final, retryAt });
    return final ? "failed" : "deferred";
  }
  await marks.sent(ids);
  return "sent";
}

async function sendWebhook(
  deps: AlertDeps,
  subscription: SubscriptionRow,
  row: DeliveryRow,
  content: Content,
  links: Links,
) {
  const base = deps.publicUrl.replace(/\/+$/, "");
  const body = webhookBody((subscription.webhookFormat ?? "json") as WebhookFormat, {
    kind: row.kind === "digest" ? "digest" : "immediate",
    deliveryId: row.messageId.replace(/^<|>$/g, ""),
    subject: content.subject,
    changes: content.changes,
    period: content.period,
    changeUrl: (id) => `${base}/changes/${encodeURIComponent(id)}`,
    manageUrl: links.manage,
    unsubscribeUrl: links.unsubscribe,
  });
  const secret = webhookSecret(deps.secret, subscription.id);
  await postWebhook(subscription.webhookUrl!, body, {
    headers: {
      ...signatureHeaders(secret, body, deps.now()),
      // Receivers dedupe on it: a retry after a lost reply carries the same id.
      "X-Regwatch-Delivery": row.messageId.replace(/^<|>$/g, ""),
    },
    allowPrivate: deps.allowPrivateWebhooks ?? false,
  });
}

/**
 * Builds the content of each group. What many groups share is read and
 * rendered once: the changes of every pending immediate row in one read, the
 * sources, a period's facts; and a message for the same changes (or the same
 * digest) is rendered once with placeholder links, each subscriber's own
 * signed links put in after. A thousand subscribers to one change cost one
 * rendering, not a thousand.
 */
function createComposer(deps: AlertDeps, pending: readonly DeliveryRow[]) {
  const readDigest = createDigestReader(deps.db);
  const base = deps.publicUrl.replace(/\/+$/, "");
  const changeIds = [
    ...new Set(pending.flatMap((r) => (r.kind === "immediate" && r.changeId ? [r.changeId] : []))),
  ];
  // Each change by id, in the order the store keeps them (detected, then sequence): the order a message lists them in.
  let changes: Promise<Map<string, { change: ChangeRecord; position: number }>> | null = null;
  let sources: Promise<Record<string, SourceStatus>> | null = null;
  const rendered = new Map<string, Promise<Omit<Content, "period"> | null>>();
  // Never in source text, never in a real link: a fresh nonce per sweep.
  const nonce = randomUUID();
  const placeholder: Links = {
    confirm: `https://links.invalid/${nonce}/confirm`,
    unsubscribe: `https://links.invalid/${nonce}/unsubscribe`,
    manage: `https://links.invalid/${nonce}/manage`,
  };

  function changesById() {
    changes ??= listChanges(deps.db, { ids: changeIds }).then(
      (list) => new Map(list.map((change, position) => [change.id, { change, position }])),
    );
    return changes;
  }

  function sourceStatus() {
    sources ??= listSourceRows(deps.db).then((rows) =>
      Object.fromEntries(
        rows.map((s) => [
          s.id,
          { title: s.title, health: s.health, lastSuccessAt: s.lastSuccessAt?.toISOString() ?? null },
        ]),
      ),
    );
    return sources;
  }

  function once(key: string, render: () => Promise<Omit<Content, "period"> | null>) {
    let found = rendered.get(key);
    if (!found) {
      found = render();
      rendered.set(key, found);
    }
    return found;
  }

  /** The subscriber's own links in place of the placeholders (escaped in HTML, as the renderer escapes links). */
  function personal(content: Omit<Content, "period">, links: Links): Omit<Content, "period"> {
    const swap = (text: string, encode: (s: string) => string) =>
      text
        .replaceAll(placeholder.unsubscribe, encode(links.unsubscribe))
        .replaceAll(placeholder.manage, encode(links.manage))
        .replaceAll(placeholder.confirm, encode(links.confirm));
    return {
      ...content,
      text: swap(content.text, (l) => l),
      html: swap(content.html, escapeHtml),
    };
  }

  return {
    /** Null: nothing to send (an empty digest its subscriber turned off). */
    async compose(subscription: SubscriptionRow, rows: DeliveryRow[], links: Links): Promise<Content | null> {
      const first = rows[0]!;
      if (first.kind === "digest") {
        const period = { start: first.periodStart!, end: first.periodEnd! };
        const key = JSON.stringify([
          "digest",
          period,
          subscription.filters,
          subscription.cadence,
          subscription.timeZone,
          subscription.sendEmptyDigests,
        ]);
        const content = await once(key, async () => {
          const facts = await readDigest(subscription, period);
          if (!facts.changes.length && !subscription.sendEmptyDigests) return null;
          const query = new URLSearchParams({
            from: period.start.toISOString(),
            to: period.end.toISOString(),
          });
          const message = digestMessage({
            cadence: subscription.cadence === "daily" ? "daily" : "weekly",
            period,
            timeZone: subscription.timeZone,
            changes: facts.changes,
            sources: facts.sources,
            links: placeholder,
            changeUrl: (id) => `${base}/changes/${encodeURIComponent(id)}`,
            allChangesUrl: `${base}/changes?${query}`,
          });
          return { ...message, changes: facts.changes };
        });
        return content && { ...personal(content, links), period };
      }
      const ids = rows.flatMap((r) => (r.changeId ? [r.changeId] : []));
      const content = await once(JSON.stringify(["immediate", ids]), async () => {
        const byId = await changesById();
        const list = ids
          .flatMap((id) => byId.get(id) ?? [])
          .sort((a, b) => a.position - b.position)
          .map((found) => found.change);
        const message = alertMessage({ changes: list, links: placeholder, sources: await sourceStatus() });
        return { ...message, changes: list };
      });
      return { ...personal(content!, links), period: null };
    },
  };
}
