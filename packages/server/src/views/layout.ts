// The frame of every dashboard page: the header with the navigation (what the
// signed-in user may open) and who is signed in, the main content, and the
// local stylesheet and script (no CDN: the service works offline).

import { csrfToken } from "../auth.ts";
import { type Fragment, type Html, html } from "../html.ts";
import type { RouteContext } from "../router.ts";
import { ASSET_PATHS } from "./assets.ts";

export type Section = "changes" | "review" | "matrix" | "sources" | "subscribe" | "admin";

const RANK: Record<string, number> = { viewer: 0, reviewer: 1, admin: 2 };

export interface PageOptions {
  title: string;
  section?: Section;
  main: Html;
  status?: number;
  /** Shown under the title: the view's scope, in words. */
  lede?: Fragment;
  headers?: Record<string, string>;
}

/** The CSRF value for this browser's forms, or "" where there are no accounts. */
export function formToken(c: RouteContext): string {
  const auth = c.get("site").auth;
  return auth ? csrfToken(c, auth) : "";
}

export function csrfField(c: RouteContext): Html {
  return html`<input type="hidden" name="csrf" value="${formToken(c)}">`;
}

function nav(c: RouteContext, active: Section | undefined): Html {
  const user = c.get("user") ?? null;
  const site = c.get("site");
  const rank = user ? (RANK[user.role] ?? -1) : -1;
  const canRead = !!user || site.publicRead;
  const links: [Section, string, string, boolean][] = [
    ["changes", "/changes", "Changes", canRead],
    ["review", "/review", "Review", rank >= 1],
    ["matrix", "/matrix", "Matrix", canRead],
    ["sources", "/sources", "Sources", canRead],
    ["subscribe", "/subscribe", "Subscribe", true],
    ["admin", "/admin", "Admin", rank >= 2],
  ];
  const who = user
    ? html`<form class="who" method="post" action="/logout">${csrfField(c)}<span>${user.email} · ${user.role}</span> <button type="submit" class="link">Sign out</button></form>`
    : site.auth
      ? html`<a class="who" href="/login">Sign in</a>`
      : "";
  return html`<header class="top"><a class="brand" href="/">regwatch</a><nav aria-label="Main">${links
    .filter(([, , , shown]) => shown)
    .map(
      ([key, href, label]) =>
        html`<a href="${href}"${key === active ? html` aria-current="page"` : ""}>${label}</a>`,
    )}</nav>${who}</header>`;
}

/** A whole page. */
export function renderPage(c: RouteContext, options: PageOptions): Response {
  const body = html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${options.title} — regwatch</title>
<link rel="stylesheet" href="${ASSET_PATHS.css}"><script src="${ASSET_PATHS.js}" defer></script></head>
<body>${nav(c, options.section)}<main><h1>${options.title}</h1>${options.lede ? html`<p class="lede">${options.lede}</p>` : ""}${options.main}</main></body></html>`;
  const text = body.markup;
  return new Response(text, {
    status: options.status ?? 200,
    headers: {
      "content-type": "text/html; charset=utf-8",
      "content-length": String(Buffer.byteLength(text)),
      "cache-control": "no-store",
      ...options.headers,
    },
  });
}

/** A page that only says something: an error, a refusal, a confirmation. */
export function statusPage(c: RouteContext, status: number, title: string, message: Fragment): Response {
  return renderPage(c, { title, status, main: html`<p>${message}</p>` });
}
