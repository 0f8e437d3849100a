// Pieces of markup every view of change records shares: the redline, the
// technology tags, dates as the eye expects them.

import type { ChangeRecord, WordDiff } from "@regwatch/core/schemas";
import { TECHNOLOGIES, type TechnologyId } from "@regwatch/core/taxonomy";
import { type Html, html } from "../html.ts";

/** Removed words struck through, added words marked; unchanged words as they are. */
export function redline(diff: WordDiff): Html {
  return html`<div class="redline">${diff.map(([op, text]) =>
    op === "-" ? html`<del>${text}</del>` : op === "+" ? html`<ins>${text}</ins>` : text,
  )}</div>`;
}

export function technologyTags(ids: readonly string[]): Html {
  return html`${ids.map(
    (id) => html`<span class="tag" title="${TECHNOLOGIES[id as TechnologyId] ?? id}">${id}</span>`,
  )}`;
}

/** `2024-09-06` from an instant or a date; "—" for none. */
export function day(value: string | null | undefined): string {
  return value ? value.slice(0, 10) : "—";
}

/** An instant as `2024-09-06 12:00 UTC`. */
export function instant(value: string | Date | null | undefined): string {
  if (!value) return "—";
  const iso = typeof value === "string" ? value : value.toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
}

/** An instant as `2024-09-06 12:00 UTC`, machine-readable in its `datetime`; "—" for none. */
export function when(at: Date | null | undefined): Html {
  if (!at) return html`<span class="muted">—</span>`;
  const iso = at.toISOString();
  return html`<time datetime="${iso}">${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC</time>`;
}

/** A link to a change's page, its subject as the text. */
export function changeLink(change: Pick<ChangeRecord, "id" | "subject">): Html {
  return html`<a class="key" href="/changes/${encodeURIComponent(change.id)}">${change.subject}</a>`;
}
