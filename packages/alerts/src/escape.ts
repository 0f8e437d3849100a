/** Text for HTML: source text and subscriber input can hold markup, and never become it. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
