/**
 * Whether `text[from, to)` is written by `JSON.stringify` as it is: no `"`, no `\`, no control character, no
 * surrogate (a lone one would be escaped; pairs are rare enough to take `JSON.stringify` with them).
 */
export function isJsonPlain(text: string, from = 0, to = text.length): boolean {
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c < 32 || c === 34 || c === 92 || (c >= 0xd800 && c <= 0xdfff)) return false;
  }
  return true;
}

/** The JSON text of a string, exactly as `JSON.stringify(s)` writes it (without calling it when nothing needs escaping). */
export function jsonString(s: string): string {
  return isJsonPlain(s) ? `"${s}"` : JSON.stringify(s);
}
