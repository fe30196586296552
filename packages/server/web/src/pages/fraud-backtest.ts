import { actionForm, field, roleNote, table } from '../admin.js';
import { api } from '../api.js';
import { card, empty, h, mount } from '../dom.js';
import { fmtInt, fmtTime } from '../format.js';
import type { BacktestJob, BacktestQuality, FraudModels } from '../types.js';

/** Roles that may run a backtest (the server's `analyst` permission). */
const RUNNERS = ['analyst', 'admin'];
const POLL_MS = 400;

const pct = (x: number | null): string => (x === null ? '—' : `${(x * 100).toFixed(1)} %`);
/** A `datetime-local` value (the browser's time zone) of a time. */
const localInput = (ms: number): string => {
  const d = new Date(ms - new Date(ms).getTimezoneOffset() * 60_000);
  return d.toISOString().slice(0, 16);
};
const qualityCells = (q: BacktestQuality): string[] => [
  fmtInt(q.flagged),
  fmtInt(q.fraud),
  fmtInt(q.legitimate),
  pct(q.precision),
  pct(q.recall),
];

function resultView(job: BacktestJob): HTMLElement {
  if (job.status === 'failed')
    return h('p', { class: 'form-error', role: 'alert' }, `Backtest failed: ${job.error ?? 'unknown error'}`);
  const r = job.report;
  if (!r) return h('p', { class: 'muted', role: 'status' }, 'Running…');
  const stopped =
    r.truncated === 'max_transactions'
      ? ' (stopped at the transaction cap)'
      : r.truncated === 'time_budget'
        ? ' (stopped at the time budget)'
        : r.truncated
          ? ' (stopped)'
          : '';
  return h(
    'div',
    { id: 'backtest-result' },
    h(
      'p',
      { id: 'backtest-summary' },
      `Version ${job.version}, ${fmtTime(job.from)} – ${fmtTime(job.to)}: ${fmtInt(r.scanned)} transactions${stopped}; `,
      `review ${fmtInt(r.decisions.review)}, block ${fmtInt(r.decisions.block)}, allow ${fmtInt(r.decisions.allow)}`,
      r.errors ? `, ${fmtInt(r.errors)} not scored` : '',
      `. Labels: ${fmtInt(r.labels.fraud)} fraud, ${fmtInt(r.labels.legitimate)} legitimate.`,
    ),
    table({
      id: 'backtest-table',
      headers: ['Reason', 'Flagged', 'Labelled fraud', 'Labelled legitimate', 'Precision', 'Recall'],
      items: [
        { label: h('strong', null, 'All flagged'), q: r.overall },
        ...r.byReason.map((q) => ({ label: h('code', { class: 'reason-code' }, q.code), q })),
      ],
      row: ({ label, q }) => [label, ...qualityCells(q)],
    }),
  );
}

/** The fraud page's backtest panel: a window and a version, run, then how many would have been flagged and how well. */
export function backtestPanel(role: string, signal: AbortSignal): HTMLElement {
  if (!RUNNERS.includes(role))
    return card('Backtest', roleNote('Running a backtest', RUNNERS, role), { wide: true, id: 'card-backtest' });
  const now = Date.now();
  const from = h('input', {
    id: 'backtest-from',
    name: 'from',
    type: 'datetime-local',
    value: localInput(now - 7 * 86_400_000),
    required: true,
  });
  const to = h('input', {
    id: 'backtest-to',
    name: 'to',
    type: 'datetime-local',
    value: localInput(now + 60_000),
    required: true,
  });
  const version = h(
    'select',
    { id: 'backtest-version', name: 'version' },
    h('option', { value: 'active' }, 'Active model'),
    h('option', { value: 'rules' }, 'Rules only'),
    h('option', { value: 'default' }, 'Built-in model'),
  );
  const out = h('div', { 'aria-live': 'polite' });
  api<FraudModels>('/api/fraud/models', { signal }).then(
    (m) => {
      for (const v of m.versions)
        if (v.version !== 'default')
          version.append(h('option', { value: v.version }, v.active ? `${v.version} (active)` : v.version));
    },
    () => undefined,
  );
  const poll = async (id: string): Promise<void> => {
    for (;;) {
      const job = await api<BacktestJob>(`/api/fraud/backtest/${encodeURIComponent(id)}`, { signal });
      mount(out, resultView(job));
      if (job.status !== 'running') return;
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  };
  const form = actionForm(
    'backtest-form',
    'Backtest',
    [field('From', from), field('To', to), field('Version', version, 'a ruleset or model version')],
    'Run backtest',
    async () => {
      mount(out, h('p', { class: 'muted', role: 'status' }, 'Running…'));
      const job = await api<BacktestJob>('/api/fraud/backtest', {
        method: 'POST',
        body: {
          from: new Date(from.value).toISOString(),
          to: new Date(to.value).toISOString(),
          version: version.value,
        },
      });
      await poll(job.id);
    },
  );
  mount(out, empty('Pick a window and a version, then run: the stored transactions are scored again.'));
  return card('Backtest', h('div', null, form, out), { wide: true, id: 'card-backtest' });
}
