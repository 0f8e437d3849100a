import type { ServerResponse } from "node:http";
import { escapeHtml } from "@regwatch/alerts/escape";
import type { TokenError } from "@regwatch/alerts/tokens";

/** A small, self-contained HTML page (no scripts, no external assets); every text escaped. */
export function sendPage(
  res: ServerResponse,
  status: number,
  page: {
    title: string;
    paragraphs: string[];
    form?: { action: string; button: string };
    /** Markup built by the caller, every value in it already escaped. */
    html?: string;
    style?: string;
  },
): void {
  const body = `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${escapeHtml(page.title)} — regwatch</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem;color:#1b1b1b}button{font:inherit;padding:.5rem 1rem}${page.style ?? ""}</style></head>
<body><h1>${escapeHtml(page.title)}</h1>${page.paragraphs.map((p) => `<p>${escapeHtml(p)}</p>`).join("")}${
    page.form
      ? `<form method="post" action="${escapeHtml(page.form.action)}"><button type="submit">${escapeHtml(page.form.button)}</button></form>`
      : ""
  }${page.html ?? ""}</body></html>`;
  res.writeHead(status, {
    "content-type": "text/html; charset=utf-8",
    "content-length": String(Buffer.byteLength(body)),
    "cache-control": "no-store",
    "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'",
    "referrer-policy": "no-referrer",
  });
  res.end(body);
}

/** A signed link that did not verify: why, in words, and nothing done. */
export function tokenProblem(res: ServerResponse, err: TokenError): void {
  const why =
    err.reason === "expired"
      ? "This link has expired."
      : err.reason === "wrong-purpose"
        ? "This link is not meant for this page."
        : "This link is not valid (it may be cut short: copy the whole link from the message).";
  sendPage(res, 400, { title: "Link not valid", paragraphs: [why] });
}
