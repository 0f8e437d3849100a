import { escapeHtml } from "@regwatch/alerts/escape";
import type { TokenError } from "@regwatch/alerts/tokens";
import { PAGE_CSP } from "./security-headers.ts";
import { ASSET_PATHS } from "./views/assets.ts";

/**
 * A small page for people who are not signed in (sign-in, subscribing,
 * managing a subscription): the site's stylesheet, no navigation, no
 * script; every text escaped.
 */
export function page(
  status: number,
  content: {
    title: string;
    paragraphs: string[];
    form?: { action: string; button: string };
    /** Markup built by the caller, every value in it already escaped. */
    html?: string;
  },
): Response {
  const body = `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${escapeHtml(content.title)} — regwatch</title>
<link rel="stylesheet" href="${ASSET_PATHS.css}"></head>
<body class="standalone"><header class="top"><a class="brand" href="/">regwatch</a></header><main><h1>${escapeHtml(content.title)}</h1>${content.paragraphs.map((p) => `<p>${escapeHtml(p)}</p>`).join("")}${
    content.form
      ? `<form method="post" action="${escapeHtml(content.form.action)}"><button type="submit">${escapeHtml(content.form.button)}</button></form>`
      : ""
  }${content.html ?? ""}</main></body></html>`;
  return new Response(body, {
    status,
    headers: {
      "content-type": "text/html; charset=utf-8",
      "content-length": String(Buffer.byteLength(body)),
      "cache-control": "no-store",
      "content-security-policy": PAGE_CSP,
      "referrer-policy": "no-referrer",
      "x-content-type-options": "nosniff",
    },
  });
}

/** A signed link that did not verify: why, in words, and nothing done. */
export function tokenProblem(err: TokenError): Response {
  const why =
    err.reason === "expired"
      ? "This link has expired."
      : err.reason === "wrong-purpose"
        ? "This link is not meant for this page."
        : "This link is not valid (it may be cut short: copy the whole link from the message).";
  return page(400, { title: "Link not valid", paragraphs: [why] });
}
