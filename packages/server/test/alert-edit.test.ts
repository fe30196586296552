import { afterEach, describe, expect, it } from 'vitest';
import { errorEvent, eventually, startTestServer, type TestServer } from './helpers.js';

const json = { 'content-type': 'application/json' };
let t: TestServer | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

interface RuleView {
  id: string;
  name: string;
  state: string;
  threshold: number;
  window: string;
  enabled: boolean;
  channels: string[];
  last_evaluated_at: string | null;
  filters: Record<string, string>;
}
interface Sent {
  type: string;
  rule_id: string | null;
  channel: string;
  outcome: string;
}

async function setup() {
  t = await startTestServer({
    notifications: {
      channels: [
        { name: 'ops', type: 'log' },
        { name: 'pager', type: 'log' },
      ],
      groupWindowSeconds: 0,
      cooldownSeconds: 0,
    },
  });
  const server = t;
  const created = await server.call('/api/alerts/rules', {
    method: 'POST',
    headers: json,
    body: JSON.stringify({
      name: 'errors',
      metric: 'count',
      filters: { log_type: 'error' },
      window: '1h',
      threshold: 0,
      channels: ['ops'],
    }),
  });
  expect(created.status).toBe(201);
  const rule = (await created.json()) as RuleView;
  await server.call('/api/logs/ingest', {
    key: server.keys.ingest,
    method: 'POST',
    headers: json,
    body: JSON.stringify([errorEvent('500', 'Boom'), errorEvent('500', 'Boom')]),
  });
  await server.server.stores.logs.refresh();
  const patch = (body: unknown, key?: string) =>
    server.call(`/api/alerts/rules/${rule.id}`, {
      method: 'PATCH',
      headers: json,
      body: JSON.stringify(body),
      ...(key === undefined ? {} : { key }),
    });
  const evaluate = async () =>
    (
      (await (await server.call('/api/alerts/evaluate', { method: 'POST' })).json()) as { alerts: RuleView[] }
    ).alerts.find((a) => a.id === rule.id);
  const sent = async (count: number) => {
    const read = async () =>
      (await server.read<{ notifications: Sent[] }>(`/api/alerts/history?rule=${rule.id}`)).notifications;
    await eventually(async () => ((await read()).length >= count ? true : undefined));
    return (await read()).map((n) => `${n.type}→${n.channel}`).reverse();
  };
  return { server, rule, patch, evaluate, sent };
}

describe('PATCH /api/alerts/rules/:id', () => {
  it('edits only the fields given: a raised threshold resolves the firing rule at the next evaluation, new channels are told', async () => {
    const { rule, patch, evaluate, sent } = await setup();
    expect((await evaluate())?.state).toBe('firing');
    expect(await sent(1)).toEqual(['alert.firing→ops']);
    const res = await patch({ threshold: 5, window: '2h', name: 'errors (tuned)', channels: ['ops', 'pager'] });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      id: rule.id,
      name: 'errors (tuned)',
      threshold: 5,
      window: '120m',
      channels: ['ops', 'pager'],
      filters: { log_type: 'error' },
      metric: 'count',
      enabled: true,
      state: 'firing',
    });
    expect((await evaluate())?.state).toBe('ok');
    expect(await sent(3)).toEqual(['alert.firing→ops', 'alert.resolved→ops', 'alert.resolved→pager']);
  });

  it('disabling a firing rule tells its channels it resolved and stops its evaluation; enabling it starts again', async () => {
    const { patch, evaluate, sent } = await setup();
    expect((await evaluate())?.state).toBe('firing');
    const disabled = await patch({ enabled: false });
    expect(disabled.status).toBe(200);
    expect(await disabled.json()).toMatchObject({ enabled: false, state: 'unknown', firing_since: null });
    expect(await sent(2)).toEqual(['alert.firing→ops', 'alert.resolved→ops']);
    const skipped = await evaluate();
    expect(skipped).toMatchObject({ enabled: false, state: 'unknown' });
    const evaluatedAt = skipped?.last_evaluated_at;
    expect((await evaluate())?.last_evaluated_at).toBe(evaluatedAt); // not evaluated while disabled
    expect(await sent(2)).toHaveLength(2);
    expect((await patch({ enabled: true })).status).toBe(200);
    expect((await evaluate())?.state).toBe('firing');
    expect(await sent(3)).toEqual(['alert.firing→ops', 'alert.resolved→ops', 'alert.firing→ops']);
  });

  it('refuses bad edits with the field named (400), unknown rules (404), and anyone but an analyst or admin', async () => {
    const { server, rule, patch } = await setup();
    const bad = await patch({ window: 'soon', threshold: 'high', enable: false });
    expect(bad.status).toBe(400);
    const issues = ((await bad.json()) as { error: { issues: { path: string; message: string }[] } }).error.issues;
    expect(issues).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ path: 'window', message: expect.stringContaining('must be a duration') }),
        expect.objectContaining({ path: 'threshold', message: 'must be a number' }),
        expect.objectContaining({ message: expect.stringContaining('unknown field: enable') }),
      ]),
    );
    expect((await patch({})).status).toBe(400);
    expect((await patch({ enabled: 'no' })).status).toBe(400);
    const channel = await patch({ channels: ['nobody'] });
    expect(channel.status).toBe(400);
    expect(((await channel.json()) as { error: { issues: unknown[] } }).error.issues).toEqual([
      { path: 'channels[0]', message: 'no channel named nobody (configured: ops, pager)' },
    ]);
    const unknown = await server.call('/api/alerts/rules/no-such-rule', {
      method: 'PATCH',
      headers: json,
      body: JSON.stringify({ enabled: false }),
    });
    expect(unknown.status).toBe(404);
    expect((await patch({ enabled: false }, server.keys.read)).status).toBe(403);
    expect((await patch({ enabled: false }, server.keys.ingest)).status).toBe(403);
    expect((await patch({ enabled: false }, '')).status).toBe(401);
    // Nothing of the refused edits was applied.
    const { rules } = await server.read<{ rules: RuleView[] }>('/api/alerts/rules');
    expect(rules.find((r) => r.id === rule.id)).toMatchObject({
      name: 'errors',
      threshold: 0,
      window: '60m',
      enabled: true,
      channels: ['ops'],
    });
  });
});
