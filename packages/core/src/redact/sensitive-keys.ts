/**
 * The default deny-list of field names, after the Elastic APM agent's `sanitizeFieldNames` (see the peer survey):
 * passwords, secrets, tokens, API and private keys, sessions, cookies, authorization, card data. Matched against
 * the key alone, case-insensitively; the whole value under a matching key is replaced.
 */
export const SENSITIVE_KEY_PATTERN =
  /passw|passphrase|^pass$|^pwd?$|secret|token|api[-_ ]?key|key$|session|credit|card|cvv|cvc|^pan$|iban|auth(?!or(?!i[sz]))|cookie|principal|connect\.sid|signature|bearer|jwt|otp$|ssn$/i;

/** Whether a field, header or query-parameter name is sensitive by the default deny-list. */
export function isSensitiveKey(name: string): boolean {
  return SENSITIVE_KEY_PATTERN.test(name);
}
