// Realistic shop events for the browser tests, built with @shoplog/core's builders.
import { error, fraud, performance, transaction, userBehavior, msToNs } from '@shoplog/core';

const HOUR = 3600_000;
const service = { name: 'checkout-api', version: '1.4.2', environment: 'production' };
const routes = ['/api/cart', '/api/checkout', '/api/products/:id', '/api/orders', '/api/search'];
const methods = ['card', 'paypal', 'apple_pay'];

/** The HTML/script payload whose event must be shown as text and run nothing. */
export const XSS_MESSAGE = '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script> payment note';

/** Deterministic events spread over the last `hours` hours, plus a few 3 days old (only in the 7d range). */
export function seedEvents(now: number): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  const at = (ms: number) => () => ms;
  for (let i = 0; i < 60; i += 1) {
    const t = now - ((i * 37) % 20) * HOUR - (i % 7) * 60_000 - 60_000;
    const route = routes[i % routes.length] ?? '/';
    const status = i % 9 === 0 ? 'declined' : i % 13 === 0 ? 'failed' : 'completed';
    out.push(
      transaction(
        {
          message: `payment ${status} for order ord-${1000 + i}`,
          user: { id: `user-${i % 12}` },
          shop: {
            transaction: { id: `tx-${1000 + i}`, type: 'purchase', status },
            amount: { value: `${(19.9 + (i % 8) * 12.5).toFixed(2)}`, currency: 'EUR' },
            payment: { method: methods[i % 3] ?? 'card' },
            order: { id: `ord-${1000 + i}`, items: 1 + (i % 4) },
          },
        } as Parameters<typeof transaction>[0],
        { service, now: at(t) },
      ),
    );
    out.push(
      performance(
        {
          message: `GET ${route} served`,
          event: { duration: msToNs(20 + ((i * 53) % 400)) },
          http: { request: { method: 'GET' }, response: { status_code: 200 }, route },
          shop: { performance: { kind: 'http' } },
        } as Parameters<typeof performance>[0],
        { service, now: at(t + 1000) },
      ),
    );
    if (i % 4 === 0) {
      out.push(
        error(
          {
            message: i % 8 === 0 ? 'payment gateway timeout after 5000 ms' : 'inventory service returned 503',
            error: { type: i % 8 === 0 ? 'TimeoutError' : 'DependencyError', message: 'upstream failed' },
            http: { response: { status_code: 503 }, route },
            shop: { error: { kind: i % 8 === 0 ? 'timeout' : 'dependency' } },
          } as Parameters<typeof error>[0],
          { service, now: at(t + 2000) },
        ),
      );
    }
    const steps = ['page_view', 'add_to_cart', 'checkout_started', 'checkout_completed'] as const;
    for (const [s, action] of steps.entries()) {
      if (s > 0 && i % (s + 1) !== 0) break;
      out.push(
        userBehavior(
          {
            message: `user ${action.replace('_', ' ')}`,
            user: { id: `user-${i % 12}` },
            shop: { action, session: { id: `sess-${i}` } },
          } as Parameters<typeof userBehavior>[0],
          { service: { name: 'storefront' }, now: at(t + 3000 + s) },
        ),
      );
    }
  }
  for (let i = 0; i < 6; i += 1) {
    const score = 35 + i * 11;
    out.push(
      fraud(
        {
          message: `transaction tx-${2000 + i} scored ${score}`,
          user: { id: `user-${i}` },
          shop: {
            fraud: {
              score,
              risk_level: score >= 75 ? 'high' : score >= 50 ? 'medium' : 'low',
              decision: score >= 75 ? 'block' : 'review',
              reasons: [
                { code: 'VELOCITY_USER', contribution: 25, detail: `${4 + i} purchases by this user in 10 minutes` },
                { code: 'COUNTRY_MISMATCH', contribution: 10 + i * 5, detail: 'IP in NG, billing address in FR' },
              ],
              ruleset_version: '2026.11',
            },
            transaction: { id: `tx-${2000 + i}` },
            amount: { value: `${(199 + i * 50).toFixed(2)}`, currency: 'EUR' },
          },
        } as Parameters<typeof fraud>[0],
        { service, now: at(now - (i + 1) * 2 * HOUR) },
      ),
    );
  }
  for (let i = 0; i < 8; i += 1) {
    out.push(
      error(
        {
          message: 'database connection reset (old incident)',
          error: { type: 'DatabaseError', message: 'ECONNRESET' },
          shop: { error: { kind: 'exception' } },
        } as Parameters<typeof error>[0],
        { service, now: at(now - 3 * 24 * HOUR - i * HOUR) },
      ),
    );
  }
  out.push(
    error(
      {
        message: XSS_MESSAGE,
        error: { type: '<b>Injected</b>', message: '<svg onload="window.__xss=3">' },
        shop: { error: { kind: 'exception' } },
      } as Parameters<typeof error>[0],
      { service, now: at(now - 30 * 60_000) },
    ),
  );
  return out;
}
