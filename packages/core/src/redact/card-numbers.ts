/** Whether a string of digits passes the Luhn checksum (ISO/IEC 7812), as every payment card number does. */
export function luhnValid(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return false;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return digits.length > 0 && sum % 10 === 0;
}

// 13 to 19 digits, optionally grouped by single spaces or dashes, not glued to other digits or letters, and not a
// dash-joined part of a longer token: the digit groups of a UUID (`…-8123-123456789012`) are not a card number.
const CANDIDATE = /(?<![\dA-Za-z_]|[\dA-Za-z]-)\d(?:[ -]?\d){12,18}(?![\dA-Za-z_]|-[\dA-Za-z])/g;
const MIN_DIGITS = 13;

/**
 * Whether a digit run looks like a payment card number: 13–19 digits, Luhn-valid, and not starting with 0 or 1
 * (no major network issues those, and it keeps zero-padded order ids and Unix-millisecond timestamps intact).
 */
export function isCardNumber(digits: string): boolean {
  const first = digits.charCodeAt(0);
  return digits.length >= MIN_DIGITS && digits.length <= 19 && first > 49 && first <= 57 && luhnValid(digits);
}

const isDigitOrSeparator = (c: number) => (c >= 48 && c <= 57) || c === 32 || c === 45;

/** Whether a string may hold a card number: the pre-check of `maskCardNumbers` (internal; tested directly). */
export function mayHoldCardNumber(text: string): boolean {
  // Cheap pre-check so the regex only runs on strings with a run of 13 digits, single spaces or dashes allowed
  // between them (as the regex requires): UUIDs, dates and most ids never get that far. Such a run spans at least
  // 13 characters, all digits or separators, so a position holding anything else lets the scan skip 13 ahead
  // (most text is read one character in 13).
  const n = text.length;
  let i = MIN_DIGITS - 1;
  while (i < n) {
    if (!isDigitOrSeparator(text.charCodeAt(i))) {
      i += MIN_DIGITS;
      continue;
    }
    // Back to the start of this stretch of digits and separators, then the exact rule over the whole stretch.
    let start = i;
    while (start > 0 && isDigitOrSeparator(text.charCodeAt(start - 1))) start--;
    let run = 0;
    let sep = false;
    let j = start;
    for (; j < n; j++) {
      const c = text.charCodeAt(j);
      if (c >= 48 && c <= 57) {
        if (++run >= MIN_DIGITS) return true;
        sep = false;
      } else if (!isDigitOrSeparator(c)) break;
      else if (run > 0 && !sep) sep = true;
      else {
        run = 0;
        sep = false;
      }
    }
    i = j + MIN_DIGITS;
  }
  return false;
}

function maskDigits(text: string): string {
  // Keep the separators and the last four digits: `4242 4242 4242 4242` → `**** **** **** 4242`.
  let keep = 4;
  let out = '';
  for (let i = text.length - 1; i >= 0; i--) {
    const ch = text[i] as string;
    const c = ch.charCodeAt(0);
    if (c >= 48 && c <= 57) {
      out = (keep > 0 ? ch : '*') + out;
      keep--;
    } else out = ch + out;
  }
  return out;
}

function maskMatch(match: string): string {
  const groups = match.split(/[ -]/);
  if (groups.length === 1) return isCardNumber(match) ? maskDigits(match) : match;
  // Grouped digits may run into a neighbour (`4242 4242 4242 4242 12/27`): look for the longest card-number
  // span of whole groups, from each group on.
  const seps = match.match(/[ -]/g) ?? [];
  let out = '';
  let i = 0;
  while (i < groups.length) {
    let found = -1;
    let digits = '';
    for (let j = i; j < groups.length; j++) {
      digits += groups[j];
      if (digits.length > 19) break;
      if (isCardNumber(digits)) found = j;
    }
    if (found >= 0) {
      let span = '';
      for (let k = i; k <= found; k++) span += (k > i ? (seps[k - 1] ?? '') : '') + (groups[k] ?? '');
      out += (i > 0 ? (seps[i - 1] ?? '') : '') + maskDigits(span);
      i = found + 1;
    } else {
      out += (i > 0 ? (seps[i - 1] ?? '') : '') + (groups[i] ?? '');
      i++;
    }
  }
  return out;
}

/**
 * Masks every payment card number found in free text, keeping the last four digits and the grouping
 * (`4242424242424242` → `************4242`). Luhn-invalid digit runs (order ids, phone numbers) are left alone.
 * Returns the same string when nothing was masked.
 */
export function maskCardNumbers(text: string): string {
  if (text.length < MIN_DIGITS || !mayHoldCardNumber(text)) return text;
  return text.replace(CANDIDATE, maskMatch);
}
