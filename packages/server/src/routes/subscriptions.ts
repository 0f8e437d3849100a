import {
  type AlertDeps,
  confirmByToken,
  SubscribeRefusedError,
  subscribe,
  unsubscribeByToken,
} from "@regwatch/alerts/subscribe";
import { parseSubscriptionInput, SubscriptionInputError } from "@regwatch/alerts/subscription-input";
import { TokenError } from "@regwatch/alerts/tokens";
import { webhookSecret } from "@regwatch/alerts/webhook/sign";
import { BodyError, parseBody, readBody } from "../body.ts";
import { page, tokenProblem } from "../page.ts";
import { rateLimiter } from "../rate-limit.ts";
import { json, type Route, type RouteContext } from "../router.ts";
import { manageRoutes } from "./manage.ts";

export interface SubscriptionDeps {
  alerts: AlertDeps;
  sourceIds: readonly string[];
  /** Subscribe requests one client may make in an hour (default 10). */
  perClientPerHour?: number;
}

const BODY_LIMIT = 16 * 1024;

const wantsJson = (c: RouteContext) =>
  (c.req.header("content-type") ?? "").includes("json") ||
  (c.req.header("accept") ?? "").includes("application/json");

/**
 * `POST /subscriptions` (JSON or a form), `GET /subscriptions/confirm`,
 * `GET`/`POST /unsubscribe`. GET never changes anything (mail scanners follow
 * links); the unsubscribe POST is also RFC 8058's one-click.
 */
export function subscriptionRoutes(deps: SubscriptionDeps): Route[] {
  const allow = rateLimiter(deps.perClientPerHour ?? 10);
  return [
    ...manageRoutes(deps),
    {
      path: "/subscriptions",
      methods: {
        async POST(c) {
          const asJson = wantsJson(c);
          const fail = (status: number, error: string, field?: string) =>
            asJson
              ? json(status, { error, ...(field ? { field } : {}) })
              : page(status, {
                  title: "Not subscribed",
                  paragraphs: [field ? `${field}: ${error}` : error],
                });
          // The peer's address when served over node:http (none for requests made in-process, as in tests).
          const client = c.env?.incoming?.socket.remoteAddress ?? "unknown";
          if (!allow(client, Date.now()))
            return fail(429, "too many subscribe requests from this client; try again later");
          let body: Record<string, unknown>;
          try {
            body = parseBody(c.req.header("content-type"), await readBody(c.req.raw, BODY_LIMIT));
          } catch (err) {
            if (err instanceof BodyError) return fail(err.status, err.message);
            throw err;
          }
          let input: ReturnType<typeof parseSubscriptionInput>;
          try {
            input = parseSubscriptionInput(body, {
              sourceIds: deps.sourceIds,
              allowPrivateWebhooks: deps.alerts.allowPrivateWebhooks,
            });
          } catch (err) {
            if (err instanceof SubscriptionInputError) return fail(400, err.message, err.field);
            throw err;
          }
          try {
            const result = await subscribe(deps.alerts, input);
            if (asJson)
              return json(201, {
                id: result.subscription.id,
                status: result.subscription.status,
                confirmationSent: result.sent,
                // The receiver checks X-Regwatch-Signature with it (shown again on the manage page).
                ...(input.webhookUrl
                  ? { webhookSecret: webhookSecret(deps.alerts.secret, result.subscription.id) }
                  : {}),
              });
            return page(201, {
              title: "Check your inbox",
              paragraphs: [
                `A confirmation message is on its way to ${input.email}. Nothing else is sent until you follow its link.`,
              ],
            });
          } catch (err) {
            if (err instanceof SubscribeRefusedError) return fail(429, err.message);
            throw err;
          }
        },
      },
    },
    {
      path: "/subscriptions/confirm",
      methods: {
        async GET(c) {
          try {
            const row = await confirmByToken(deps.alerts, c.req.query("token") ?? "");
            if (row.status === "unsubscribed")
              return page(410, {
                title: "Unsubscribed",
                paragraphs: ["This subscription was stopped before it was confirmed."],
              });
            return page(200, {
              title: "Subscription confirmed",
              paragraphs: [
                `${row.email} will now receive the changes it asked for. Every message has a link to stop them.`,
              ],
            });
          } catch (err) {
            if (err instanceof TokenError) return tokenProblem(err);
            throw err;
          }
        },
      },
    },
    {
      path: "/unsubscribe",
      methods: {
        async GET(c) {
          const token = c.req.query("token") ?? "";
          return page(200, {
            title: "Unsubscribe",
            paragraphs: ["Stop this subscription? Other subscriptions of the same address are not affected."],
            form: { action: `/unsubscribe?token=${encodeURIComponent(token)}`, button: "Unsubscribe" },
          });
        },
        async POST(c) {
          // The one-click POST carries `List-Unsubscribe=One-Click`; the page's button, nothing. Both act.
          await readBody(c.req.raw, BODY_LIMIT).catch(() => "");
          try {
            const row = await unsubscribeByToken(deps.alerts, c.req.query("token") ?? "");
            return page(200, {
              title: "Unsubscribed",
              paragraphs: [
                row ? `${row.email} will receive nothing more from this subscription.` : "Nothing to stop.",
              ],
            });
          } catch (err) {
            if (err instanceof TokenError) return tokenProblem(err);
            throw err;
          }
        },
      },
    },
  ];
}
