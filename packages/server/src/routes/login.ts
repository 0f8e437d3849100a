import { randomBytes } from "node:crypto";
import { escapeHtml } from "@regwatch/alerts/escape";
import type { AlertDeps } from "@regwatch/alerts/subscribe";
import { signToken, TokenError, verifyToken } from "@regwatch/alerts/tokens";
import {
  createSession,
  createSignInLink,
  endSession,
  signInLinksSince,
  userByEmail,
  useSignInLink,
} from "@regwatch/db/queries/users";
import { csrfToken, currentUser, endSessionCookie, SESSION_MS, startSessionCookie } from "../auth.ts";
import { postedForm, seeOther } from "../forms.ts";
import { page, tokenProblem } from "../page.ts";
import { rateLimiter } from "../rate-limit.ts";
import type { Route } from "../router.ts";

const BODY_LIMIT = 4 * 1024;
// A sign-in link is for now: fifteen minutes, once.
const LINK_MS = 15 * 60_000;
// Links one account may be sent in an hour: asking for more floods nobody.
const LINKS_PER_HOUR = 5;
const HOUR_MS = 3_600_000;
const SENT =
  "If an account exists for that address, a sign-in link is on its way. It works once, for 15 minutes.";

/** A same-site path to go back to after signing in, or null: never another origin (`//x`, `/\\x`, `https:`). */
export function safeNext(value: unknown): string | null {
  if (typeof value !== "string" || value.length > 2000) return null;
  if (!/^\/(?![/\\])/.test(value) || /[\u0000-\u001f\u007f]/.test(value)) return null;
  return value;
}

const nextField = (next: string | null) =>
  next ? `<input type="hidden" name="next" value="${escapeHtml(next)}">` : "";

function form(action: string, csrf: string, fields: string, button: string): string {
  return `<form method="post" action="${escapeHtml(action)}"><input type="hidden" name="csrf" value="${escapeHtml(csrf)}">${fields}<p><button type="submit">${escapeHtml(button)}</button></p></form>`;
}

function signInMessage(link: string) {
  const text = [
    "Follow this link to sign in to regwatch:",
    "",
    link,
    "",
    "It works once, within 15 minutes. If you did not ask to sign in, ignore this message.",
  ].join("\n");
  const html = `<!doctype html><html><body style="margin:0;padding:16px;font-family:Arial,Helvetica,sans-serif;font-size:15px;line-height:1.5;color:#1b1b1b;background:#ffffff">
<p>Follow this link to sign in to regwatch:</p>
<p><a href="${escapeHtml(link)}" style="display:inline-block;padding:10px 16px;background:#0b5394;color:#ffffff;text-decoration:none;border-radius:4px">Sign in</a></p>
<p style="color:#555555;font-size:13px">It works once, within 15 minutes. If you did not ask to sign in, ignore this message.</p>
</body></html>`;
  return { subject: "Sign in to regwatch", text, html };
}

/**
 * Sign-in by emailed link: `GET /login` asks for the address, `POST /login`
 * sends a single-use link (the same answer whether or not the address has an
 * account), `GET /login?token=…` shows who the link signs in (mail scanners
 * follow links: a GET never uses it up), `POST /login/confirm` uses it and
 * starts a session, `POST /logout` ends it. Every form carries the CSRF value.
 */
export function loginRoutes(deps: AlertDeps): Route[] {
  const base = deps.publicUrl.replace(/\/+$/, "");
  // Sign-in requests one client may make in an hour.
  const allow = rateLimiter(20);
  return [
    {
      path: "/login",
      methods: {
        async GET(c) {
          const csrf = csrfToken(c, deps);
          const token = c.req.query("token");
          const next = safeNext(c.req.query("next"));
          if (token) {
            try {
              verifyToken(deps.secret, token, "sign-in", deps.now());
            } catch (err) {
              if (err instanceof TokenError) return tokenProblem(err);
              throw err;
            }
            return page(200, {
              title: "Sign in",
              paragraphs: ["Continue to sign in to regwatch in this browser."],
              html: form(
                "/login/confirm",
                csrf,
                `<input type="hidden" name="token" value="${escapeHtml(token)}">${nextField(next)}`,
                "Sign in",
              ),
            });
          }
          const user = currentUser(c);
          return page(200, {
            title: "Sign in",
            paragraphs: [
              user ? `You are signed in as ${user.email}.` : "regwatch sends a sign-in link to your address.",
            ],
            html: form(
              "/login",
              csrf,
              `<p><label>Email <input type="email" name="email" required autocomplete="email"></label></p>${nextField(next)}`,
              "Send me a sign-in link",
            ),
          });
        },
        async POST(c) {
          const body = await postedForm(c, BODY_LIMIT);
          if (body instanceof Response) return body;
          const email = typeof body.email === "string" ? body.email.trim().toLowerCase() : "";
          if (!email || email.length > 254 || !/^[^@\s]+@[^@\s]+$/.test(email))
            return page(400, { title: "Sign in", paragraphs: ["email: give the address of your account."] });
          const now = deps.now();
          const client = c.env?.incoming?.socket.remoteAddress ?? "unknown";
          if (!allow(client, now.getTime()))
            return page(429, {
              title: "Sign in",
              paragraphs: ["Too many requests from here; try again later."],
            });
          const user = await userByEmail(deps.db, email);
          if (
            user &&
            !user.disabledAt &&
            (await signInLinksSince(deps.db, user.id, new Date(now.getTime() - HOUR_MS))) < LINKS_PER_HOUR
          ) {
            const id = randomBytes(16).toString("hex");
            const expiresAt = new Date(now.getTime() + LINK_MS);
            await createSignInLink(deps.db, { id, userId: user.id, expiresAt }, now);
            const token = signToken(deps.secret, { purpose: "sign-in", subject: id, expiresAt });
            const next = safeNext(body.next);
            const message = signInMessage(
              `${base}/login?token=${token}${next ? `&next=${encodeURIComponent(next)}` : ""}`,
            );
            try {
              await deps.mailer.send({
                to: user.email,
                ...message,
                messageId: `<sign-in.${id}@${new URL(base).hostname || "regwatch.local"}>`,
              });
            } catch (err) {
              deps.log.warn({ userId: user.id }, `sign-in link not sent: ${(err as Error).message}`);
            }
          }
          // The same answer either way: the form does not tell who has an account.
          return page(200, { title: "Check your inbox", paragraphs: [SENT] });
        },
      },
    },
    {
      path: "/login/confirm",
      methods: {
        async POST(c) {
          const body = await postedForm(c, BODY_LIMIT);
          if (body instanceof Response) return body;
          let linkId: string;
          try {
            linkId = verifyToken(deps.secret, String(body.token ?? ""), "sign-in", deps.now()).subject;
          } catch (err) {
            if (err instanceof TokenError) return tokenProblem(err);
            throw err;
          }
          const now = deps.now();
          const user = await useSignInLink(deps.db, linkId, now);
          if (!user)
            return page(400, {
              title: "Link not valid",
              paragraphs: ["This sign-in link was used already or has expired. Ask for a new one."],
            });
          const sessionId = randomBytes(16).toString("hex");
          await createSession(
            deps.db,
            { id: sessionId, userId: user.id, expiresAt: new Date(now.getTime() + SESSION_MS) },
            now,
          );
          startSessionCookie(c, deps, sessionId);
          return seeOther(safeNext(body.next) ?? "/");
        },
      },
    },
    {
      path: "/logout",
      methods: {
        async POST(c) {
          const body = await postedForm(c, BODY_LIMIT);
          if (body instanceof Response) return body;
          const sessionId = c.get("sessionId");
          if (sessionId) await endSession(deps.db, sessionId, deps.now());
          endSessionCookie(c);
          return seeOther("/login");
        },
      },
    },
    {
      path: "/",
      methods: {
        async GET(c) {
          // The changes list is the dashboard's front page.
          if (currentUser(c) || c.get("site").publicRead) return seeOther("/changes");
          return seeOther("/login");
        },
      },
    },
  ];
}
