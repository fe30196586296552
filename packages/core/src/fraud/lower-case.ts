/**
 * `s.toLowerCase()`, without allocating a copy when nothing would change (internal).
 *
 * Why: V8's toLowerCase returns a new string even for one already in lower case, and the scorer lower-cases every
 * transaction's e-mail (and the disposable-e-mail rule its domain); e-mails are almost always lower case already.
 * Only ASCII upper-case letters are checked here; any non-ASCII character takes the full toLowerCase (Unicode rules).
 */
export function lowerCased(s: string): string {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if ((c >= 65 && c <= 90) || c > 127) return s.toLowerCase();
  }
  return s;
}
