import { api } from '../api.js';
import { barList, cssColor, timeChart, toSeconds } from '../charts.js';
import { card, empty, h } from '../dom.js';
import { fmtInt, fmtMoney, fmtPct } from '../format.js';
import type { PageContext } from '../main.js';
import { rangeQuery } from '../state.js';
import type { Behavior, ErrorsAnalytics, Transactions } from '../types.js';
import { kpi, slot } from '../widgets.js';

/** Sales and funnel: transactions and amounts over time, payment methods, statuses, the funnel and error kinds. */
export function salesPage({ route, signal }: PageContext): HTMLElement {
  const range = rangeQuery(route.params);
  const granularity = range.range === '30d' || range.range === '7d' ? 'daily' : 'hourly';
  const tx = api<Transactions>('/api/analytics/transactions', { query: { ...range, granularity }, signal });
  const beh = api<Behavior>('/api/analytics/user-behavior', { query: range, signal });
  const errs = api<ErrorsAnalytics>('/api/analytics/errors', { query: range, signal });
  return h(
    'div',
    { class: 'page' },
    slot(
      Promise.all([tx, beh]),
      ([t, b]) => {
        // Totals come from the server, computed from the same query as the charts: nothing is summed here.
        const { totals } = t;
        return h(
          'div',
          { class: 'kpis' },
          kpi(
            'transactions',
            'Transactions',
            fmtInt(totals.count_all_currencies),
            `all statuses · ${fmtInt(totals.count)} in ${totals.currency}`,
          ),
          kpi(
            'revenue',
            `Amount (${totals.currency})`,
            fmtMoney(totals.total_amount),
            `average ${fmtMoney(totals.avg_amount)} (see the note below)`,
          ),
          kpi(
            'abandonment_rate',
            'Cart abandonment',
            fmtPct(b.abandonment_rate),
            `${fmtInt(b.cart_abandonment_count)} cart_abandoned events`,
            b.abandonment_rate > 70 ? 'tone-warn' : '',
          ),
        );
      },
      signal,
    ),
    h(
      'div',
      { class: 'grid' },
      card(
        'Transactions and amounts',
        slot(
          tx,
          (t) =>
            t.timeline.length
              ? [
                  timeChart({
                    x: t.timeline.map((p) => toSeconds(p.date)),
                    ys: [t.timeline.map((p) => p.count)],
                    series: [{ label: 'Transactions', color: cssColor('--c1') }],
                    bars: true,
                    height: 160,
                  }),
                  timeChart({
                    x: t.timeline.map((p) => toSeconds(p.date)),
                    ys: [t.timeline.map((p) => p.total_amount)],
                    series: [{ label: 'Amount', color: cssColor('--good'), fill: true }],
                    height: 160,
                  }),
                  h('p', { class: 'muted footnote' }, t.currency_note),
                ]
              : empty('No transactions in this range.'),
          signal,
        ),
        { wide: true },
      ),
      card(
        'Funnel',
        slot(
          beh,
          (b) => {
            if (b.funnel.length === 0) return empty('No sessions in this range.');
            const first = b.funnel[0]?.sessions || 1;
            return barList(
              b.funnel.map((s) => ({
                label: s.step,
                value: s.sessions,
                display: `${fmtInt(s.sessions)} · ${fmtPct((s.sessions / first) * 100)}`,
              })),
              { tone: 'tone-good', label: 'Funnel' },
            );
          },
          signal,
        ),
      ),
      card(
        'Payment methods',
        slot(
          tx,
          (t) =>
            t.payment_methods.length
              ? barList(
                  t.payment_methods.map((m) => ({
                    label: m.method,
                    value: m.count,
                    display: `${fmtInt(m.count)} · ${fmtMoney(m.total_amount)}`,
                  })),
                )
              : empty('No payments.'),
          signal,
        ),
      ),
      card(
        'Transaction status',
        slot(
          tx,
          (t) =>
            t.transaction_status.length
              ? barList(
                  t.transaction_status.map((s) => ({ label: s.status, value: s.count, display: fmtInt(s.count) })),
                )
              : empty('No transactions.'),
          signal,
        ),
      ),
      card(
        'User actions',
        slot(
          beh,
          (b) =>
            b.actions.length
              ? barList(b.actions.map((a) => ({ label: a.action, value: a.count, display: fmtInt(a.count) })))
              : empty('No user actions.'),
          signal,
        ),
      ),
      card(
        'Error types',
        slot(
          errs,
          (e) =>
            e.error_types.length
              ? barList(
                  e.error_types.map((x) => ({ label: x.type, value: x.count, display: fmtInt(x.count) })),
                  { tone: 'tone-bad' },
                )
              : empty('No errors. ✓'),
          signal,
        ),
      ),
    ),
  );
}
