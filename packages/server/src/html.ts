// Markup built with a tagged template that escapes by default: every value
// put into html`…` is text unless it is itself Html (a fragment built the
// same way, or `trusted()` for the few constant strings that are markup).
// Source text, subscriber input and query parameters can hold markup; in a
// page they never become it.

import { escapeHtml } from "@regwatch/alerts/escape";

/** Markup, safe to put in a page as it is. */
export class Html {
  constructor(readonly markup: string) {}
  toString(): string {
    return this.markup;
  }
}

/** What can go into html`…`: text (escaped), numbers, Html (as is), lists of them; null, undefined and false render nothing. */
export type Fragment = Html | string | number | null | undefined | false | readonly Fragment[];

function render(value: Fragment, out: string[]): void {
  if (value === null || value === undefined || value === false) return;
  if (value instanceof Html) out.push(value.markup);
  else if (Array.isArray(value)) for (const v of value) render(v, out);
  else out.push(escapeHtml(String(value)));
}

export function html(strings: TemplateStringsArray, ...values: readonly Fragment[]): Html {
  const out: string[] = [strings[0]!];
  for (let i = 0; i < values.length; i++) {
    render(values[i]!, out);
    out.push(strings[i + 1]!);
  }
  return new Html(out.join(""));
}

/** A constant string that is markup (never one that holds data). */
export function trusted(markup: string): Html {
  return new Html(markup);
}

/** Fragments one after another. */
export function join(parts: readonly Fragment[], separator: Fragment = ""): Html {
  const out: string[] = [];
  parts.forEach((part, i) => {
    if (i > 0) render(separator, out);
    render(part, out);
  });
  return new Html(out.join(""));
}
