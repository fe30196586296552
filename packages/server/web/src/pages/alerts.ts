import { actionForm, confirmedDelete, deleteButton, errorText, field, roleNote, table } from '../admin.js';
import { api } from '../api.js';
import { card, h, mount } from '../dom.js';
import { fmt1, fmtInt, fmtTime } from '../format.js';
import type { PageContext } from '../main.js';
import type { AlertChannel, AlertNotification, AlertRule } from '../types.js';
import { slot } from '../widgets.js';

const METRICS: [string, string][] = [
  ['error_rate', 'Error rate (%)'],
  ['p95_ms', 'p95 latency (ms)'],
  ['fraud_alerts', 'Fraud alerts'],
  ['count', 'Event count'],
];
const WRITERS = ['analyst', 'admin'];

const stateBadge = (rule: AlertRule): HTMLElement => {
  const state = rule.enabled ? rule.state : 'disabled';
  return h('span', { class: `badge state-${state.replace(/[^a-z]/g, '')}` }, state);
};
const filtersText = (filters: Record<string, string>): string =>
  Object.keys(filters).length ? new URLSearchParams(filters).toString().replace(/&/g, ' · ') : 'all events';

/** The rule form: a new rule, or the rule being edited (only its changes are sent, by PATCH). */
function ruleForm(
  channels: AlertChannel[],
  saved: (name: string) => void,
  editing?: AlertRule,
  cancel?: () => void,
): HTMLFormElement {
  const name = h('input', {
    id: 'rule-name',
    name: 'name',
    required: true,
    maxlength: '200',
    autocomplete: 'off',
    value: editing?.name ?? '',
  });
  const metric = h(
    'select',
    { id: 'rule-metric', name: 'metric' },
    METRICS.map(([v, l]) => h('option', { value: v }, l)),
  );
  if (editing) metric.value = editing.metric;
  const threshold = h('input', {
    id: 'rule-threshold',
    name: 'threshold',
    type: 'number',
    step: 'any',
    required: true,
    value: editing ? String(editing.threshold) : '',
  });
  const window = h('input', {
    id: 'rule-window',
    name: 'window',
    value: editing?.window ?? '5m',
    required: true,
    size: 6,
  });
  const filters = h('input', {
    id: 'rule-filters',
    name: 'filters',
    placeholder: 'level=error&service=checkout',
    autocomplete: 'off',
    value: editing ? new URLSearchParams(editing.filters).toString() : '',
  });
  const boxes = channels.map((c) => {
    const box = h('input', { type: 'checkbox', name: 'channels', value: c.name, id: `rule-channel-${c.name}` });
    box.checked = editing?.channels.includes(c.name) ?? false;
    return box;
  });
  const channelField = h(
    'fieldset',
    { class: 'field channel-boxes' },
    h('legend', null, 'Notify'),
    boxes.length
      ? boxes.map((b, i) => h('label', { for: b.id, class: 'check' }, b, channels[i]?.name ?? ''))
      : h('small', { class: 'muted' }, 'No channel is configured (setting notifications).'),
  );
  const heading = editing
    ? h(
        'p',
        { class: 'form-note', id: 'rule-editing' },
        'Editing ',
        h('strong', null, editing.name),
        ' ',
        h(
          'button',
          { type: 'button', class: 'btn btn-small', id: 'rule-edit-cancel', onClick: () => cancel?.() },
          'Cancel edit',
        ),
      )
    : '';
  return actionForm(
    'rule-form',
    editing ? `Edit alert rule ${editing.name}` : 'New alert rule',
    [
      heading,
      field('Name', name),
      field('Metric', metric),
      field('Fires above', threshold),
      field('Window', window, '5m, 1h, 1d'),
      field('Filters', filters, 'search parameters, e.g. level=error'),
      channelField,
    ],
    editing ? 'Save rule' : 'Create rule',
    async () => {
      const body = {
        name: name.value,
        metric: metric.value,
        threshold: threshold.value === '' ? null : Number(threshold.value),
        window: window.value,
        filters: Object.fromEntries(new URLSearchParams(filters.value.trim())),
        channels: boxes.filter((b) => b.checked).map((b) => b.value),
      };
      if (editing) await api(`/api/alerts/rules/${encodeURIComponent(editing.id)}`, { method: 'PATCH', body });
      else await api('/api/alerts/rules', { method: 'POST', body });
      const savedName = name.value;
      name.value = '';
      saved(savedName);
    },
  );
}

/** Alert rules (create, edit, disable, delete, evaluate now), the notification channels with their counters, and what was sent. */
export function alertsPage({ session, signal }: PageContext): HTMLElement {
  const canWrite = WRITERS.includes(session.user.role);
  const rulesBox = h('div', null);
  const channelsBox = h('div', null);
  const historyBox = h('div', null);
  const formBox = h('div', null);
  const ruleFilter = h(
    'select',
    { id: 'history-rule', 'aria-label': 'Show notifications of' },
    h('option', { value: '' }, 'All rules'),
  );
  const status = h('span', { class: 'muted', role: 'status', id: 'alerts-status' });

  const loadHistory = (): void =>
    mount(
      historyBox,
      slot(
        api<{ notifications: AlertNotification[] }>('/api/alerts/history', {
          query: { rule: ruleFilter.value, limit: 100 },
          signal,
        }),
        (r) =>
          table({
            id: 'alert-history',
            headers: ['Time', 'Title', 'Channel', 'Type', 'Outcome', 'Attempts', 'Error'],
            items: r.notifications,
            empty: 'Nothing sent yet.',
            row: (n) => [
              h('span', { class: 'nowrap' }, fmtTime(n.at)),
              n.title,
              n.channel,
              n.type,
              h('span', { class: `badge outcome-${n.outcome.replace(/[^a-z]/g, '')}` }, n.outcome),
              fmtInt(n.attempts),
              n.error ?? '',
            ],
          }),
        signal,
      ),
    );

  const remove = (rule: AlertRule): void =>
    confirmedDelete({
      title: 'Delete alert rule',
      confirmLabel: 'Delete rule',
      message: `Delete the rule “${rule.name}”? Its channels will no longer be told when it fires.`,
      path: `/api/alerts/rules/${encodeURIComponent(rule.id)}`,
      status,
      done: `Deleted ${rule.name}.`,
      then: () => load(),
    });

  // A disabled rule is not evaluated; disabling a firing one tells its channels it resolved.
  const toggle = (rule: AlertRule): void => {
    status.textContent = rule.enabled ? 'Disabling…' : 'Enabling…';
    api(`/api/alerts/rules/${encodeURIComponent(rule.id)}`, { method: 'PATCH', body: { enabled: !rule.enabled } }).then(
      () => {
        status.textContent = `${rule.enabled ? 'Disabled' : 'Enabled'} ${rule.name}.`;
        load();
      },
      (e: unknown) => {
        status.textContent = errorText(e);
      },
    );
  };

  let channelList: Promise<{ channels: AlertChannel[] }> | undefined;
  const showForm = (editing?: AlertRule): void => {
    if (!canWrite || !channelList) return;
    mount(
      formBox,
      slot(
        channelList,
        (c) =>
          ruleForm(
            c.channels,
            (name) => {
              status.textContent = editing ? `Saved ${name}.` : 'Rule created.';
              load();
            },
            editing,
            () => showForm(),
          ),
        signal,
      ),
    );
    // Keyboard users land in the form they opened (after the slot has rendered it).
    if (editing)
      void channelList.then(() =>
        setTimeout(() => {
          document.getElementById('card-new-rule')?.scrollIntoView({ block: 'nearest' });
          document.getElementById('rule-name')?.focus();
        }),
      );
  };

  const load = (): void => {
    const rules = api<{ rules: AlertRule[] }>('/api/alerts/rules', { signal });
    const channels = api<{ channels: AlertChannel[] }>('/api/alerts/channels', { signal });
    mount(
      rulesBox,
      slot(
        rules,
        (r) => {
          const selected = ruleFilter.value;
          ruleFilter.replaceChildren(
            h('option', { value: '' }, 'All rules'),
            ...r.rules.map((x) => h('option', { value: x.id }, x.name)),
          );
          ruleFilter.value = r.rules.some((x) => x.id === selected) ? selected : '';
          return table({
            id: 'alert-rules',
            headers: ['Name', 'Condition', 'Filters', 'State', 'Last value', 'Channels', ''],
            items: r.rules,
            empty: 'No alert rules yet.',
            attrs: (rule) => ({ 'data-rule-id': rule.id }),
            row: (rule) => [
              h('strong', { class: 'rule-name' }, rule.name),
              `${METRICS.find(([v]) => v === rule.metric)?.[1] ?? rule.metric} > ${fmt1(rule.threshold)} over ${rule.window}`,
              h('span', { class: 'muted' }, filtersText(rule.filters)),
              stateBadge(rule),
              rule.last_value === null ? '—' : fmt1(rule.last_value),
              rule.channels.length ? rule.channels.join(', ') : h('span', { class: 'muted' }, 'none'),
              canWrite
                ? h(
                    'div',
                    { class: 'row-actions' },
                    h(
                      'button',
                      {
                        type: 'button',
                        class: 'btn btn-small',
                        'aria-label': `Edit rule ${rule.name}`,
                        onClick: () => showForm(rule),
                      },
                      'Edit',
                    ),
                    h(
                      'button',
                      {
                        type: 'button',
                        class: 'btn btn-small',
                        'aria-label': `${rule.enabled ? 'Disable' : 'Enable'} rule ${rule.name}`,
                        onClick: () => toggle(rule),
                      },
                      rule.enabled ? 'Disable' : 'Enable',
                    ),
                    deleteButton('Delete', `Delete rule ${rule.name}`, () => remove(rule)),
                  )
                : '',
            ],
          });
        },
        signal,
      ),
    );
    mount(
      channelsBox,
      slot(
        channels,
        (c) =>
          table({
            id: 'alert-channels',
            headers: [
              'Channel',
              'Type',
              'Fraud blocks',
              'Sent',
              'Failed',
              'Queued',
              'Retried',
              'Dropped',
              'Last error',
            ],
            items: c.channels,
            empty: 'No notification channel is configured (setting notifications).',
            row: (ch) => [
              h('strong', null, ch.name),
              ch.type,
              ch.fraud ? 'yes' : 'no',
              fmtInt(ch.metrics.sent),
              fmtInt(ch.metrics.failed),
              fmtInt(ch.metrics.queued),
              fmtInt(ch.metrics.retried),
              fmtInt(ch.metrics.dropped),
              ch.metrics.lastError ? `${ch.metrics.lastError.message} (${fmtTime(ch.metrics.lastError.at)})` : '',
            ],
          }),
        signal,
      ),
    );
    channelList = channels;
    showForm();
    loadHistory();
  };
  ruleFilter.addEventListener('change', loadHistory);
  load();

  const evaluate = canWrite
    ? h(
        'button',
        {
          type: 'button',
          class: 'btn btn-small',
          id: 'alerts-evaluate',
          onClick: () => {
            status.textContent = 'Evaluating…';
            api('/api/alerts/evaluate', { method: 'POST', body: {} }).then(
              () => {
                status.textContent = 'Evaluated.';
                load();
              },
              (e: unknown) => {
                status.textContent = errorText(e);
              },
            );
          },
        },
        'Evaluate now',
      )
    : null;
  return h(
    'div',
    { class: 'page' },
    h(
      'div',
      { class: 'grid' },
      card('Rules', rulesBox, {
        wide: true,
        id: 'card-rules',
        actions: h('div', { class: 'toolbar-actions' }, status, evaluate),
      }),
      card(
        'New rule',
        canWrite ? formBox : roleNote('Creating, editing or deleting a rule', WRITERS, session.user.role),
        { wide: true, id: 'card-new-rule' },
      ),
      card('Channels', channelsBox, { wide: true, id: 'card-channels' }),
      card('History', historyBox, { wide: true, id: 'card-history', actions: ruleFilter }),
    ),
  );
}
