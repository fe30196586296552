import { api } from '../api.js';
import { barList, columns } from '../charts.js';
import { card, empty, h } from '../dom.js';
import { fmt1, fmtInt, fmtMoney, fmtTime } from '../format.js';
import type { PageContext } from '../main.js';
import { href, rangeQuery } from '../state.js';
import type { FraudAlert, FraudStats } from '../types.js';
import { kpi, slot } from '../widgets.js';
import { backtestPanel } from './fraud-backtest.js';

function alertCard(a: FraudAlert): HTMLElement {
  const amount = typeof a.amount === 'string' ? Number(a.amount) : a.amount;
  return h(
    'li',
    { class: `alert risk-${a.risk_level.replace(/[^a-z]/g, '')}`, 'data-alert-id': a.id },
    h(
      'div',
      { class: 'alert-head' },
      h('span', { class: 'score', title: 'Fraud score (0–100)' }, fmtInt(a.score)),
      h(
        'div',
        { class: 'alert-title' },
        h('strong', null, `${a.risk_level} risk · ${a.decision}`),
        h(
          'span',
          { class: 'muted' },
          [
            fmtTime(a['@timestamp']),
            a.user_id ? ` · user ${a.user_id}` : '',
            amount !== null && amount !== undefined ? ` · ${fmtMoney(amount, a.currency)}` : '',
          ].join(''),
        ),
      ),
      a.transaction_id
        ? h('a', { class: 'btn btn-small btn-ghost', href: href('search', { q: a.transaction_id }) }, 'Transaction')
        : null,
    ),
    h(
      'ul',
      { class: 'reasons', 'aria-label': 'Reasons' },
      a.reasons.map((r) =>
        h(
          'li',
          null,
          h('code', { class: 'reason-code' }, r.code),
          h('span', { class: 'reason-contrib' }, `+${fmt1(r.contribution)}`),
          r.detail ? h('span', { class: 'reason-detail' }, r.detail) : null,
        ),
      ),
    ),
  );
}

/** Fraud: stats, score distribution, top reasons, the alerts with their ranked reasons, and a backtest panel. */
export function fraudPage({ route, session, signal }: PageContext): HTMLElement {
  const range = rangeQuery(route.params);
  const stats = api<FraudStats>('/api/fraud/stats', { query: range, signal });
  return h(
    'div',
    { class: 'page' },
    slot(
      stats,
      (s) =>
        h(
          'div',
          { class: 'kpis' },
          kpi('fraud_count', 'Scored transactions', fmtInt(s.count)),
          kpi('avg_score', 'Average score', fmt1(s.avg_score)),
          ...Object.entries(s.by_decision).map(([d, n]) =>
            kpi(
              `decision_${d}`,
              `Decision: ${d}`,
              fmtInt(n),
              undefined,
              d === 'block' || d === 'deny' ? 'tone-bad' : d === 'review' ? 'tone-warn' : '',
            ),
          ),
        ),
      signal,
    ),
    h(
      'div',
      { class: 'grid' },
      card(
        'Score distribution',
        slot(
          stats,
          (s) =>
            s.score_histogram.length
              ? columns(
                  s.score_histogram.map((b) => ({ label: `${fmtInt(b.from)}–${fmtInt(b.to)}`, value: b.count })),
                  { tone: 'tone-warn', label: 'Transactions by fraud score' },
                )
              : empty('No scored transactions.'),
          signal,
        ),
      ),
      card(
        'Top reasons',
        slot(
          stats,
          (s) =>
            s.top_reasons.length
              ? barList(
                  s.top_reasons.map((r) => ({ label: r.code, value: r.count, display: fmtInt(r.count) })),
                  { tone: 'tone-bad' },
                )
              : empty('No reasons recorded.'),
          signal,
        ),
      ),
      card(
        'Alerts',
        slot(
          api<{ alerts: FraudAlert[] }>('/api/fraud/alerts', { query: { ...range, limit: 50 }, signal }),
          (r) =>
            r.alerts.length
              ? h('ul', { class: 'alerts', id: 'fraud-alerts' }, r.alerts.map(alertCard))
              : empty('No fraud alerts in this range. ✓'),
          signal,
        ),
        { wide: true },
      ),
      backtestPanel(session.user.role, signal),
    ),
  );
}
