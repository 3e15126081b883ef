// Markdown escaping for the job summaries and pull-request comments, in one place: text in a table cell or on
// one line, and inline code.

/** Text for a table cell or a one-line field: pipes escaped, line breaks as spaces. */
export function escapeCell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

/** Inline code (empty text gives ''): pipes escaped for tables, a fence longer than any run of backticks inside. */
export function inlineCode(text: string): string {
  if (!text) return '';
  const cell = escapeCell(text);
  const longest = Math.max(0, ...[...cell.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = '`'.repeat(longest + 1);
  return longest === 0 ? `${fence}${cell}${fence}` : `${fence} ${cell} ${fence}`;
}
