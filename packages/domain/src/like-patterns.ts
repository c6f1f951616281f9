/** `%`, `_` and `\` typed by a user are literal in LIKE patterns, not wildcards. */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** Matches `text` anywhere: the pattern of every search box. */
export function containsPattern(text: string): string {
  return `%${escapeLike(text)}%`;
}

/** Matches values starting with `text` (e.g. an audit action prefix). */
export function prefixPattern(text: string): string {
  return `${escapeLike(text)}%`;
}
