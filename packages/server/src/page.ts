import { escapeHtml } from "@regwatch/alerts/escape";
import type { TokenError } from "@regwatch/alerts/tokens";

/** A small, self-contained HTML page (no scripts, no external assets); every text escaped. */
export function page(
  status: number,
  content: {
    title: string;
    paragraphs: string[];
    form?: { action: string; button: string };
    /** Markup built by the caller, every value in it already escaped. */
    html?: string;
    style?: string;
  },
): Response {
  const body = `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${escapeHtml(content.title)} — regwatch</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem;color:#1b1b1b}button{font:inherit;padding:.5rem 1rem}${content.style ?? ""}</style></head>
<body><h1>${escapeHtml(content.title)}</h1>${content.paragraphs.map((p) => `<p>${escapeHtml(p)}</p>`).join("")}${
    content.form
      ? `<form method="post" action="${escapeHtml(content.form.action)}"><button type="submit">${escapeHtml(content.form.button)}</button></form>`
      : ""
  }${content.html ?? ""}</body></html>`;
  return new Response(body, {
    status,
    headers: {
      "content-type": "text/html; charset=utf-8",
      "content-length": String(Buffer.byteLength(body)),
      "cache-control": "no-store",
      "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'",
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
