// A dev stub of the reference server's HTTP API contract (in memory), used by the browser tests until the real
// server's routes land on this branch. It implements only what the dashboard calls, with the contract's shapes.
import { randomUUID } from 'node:crypto';
import Fastify from 'fastify';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { registerWeb } from '../../src/http/web.js';

type Ev = Record<string, unknown>;
const get = (ev: Ev, path: string): unknown =>
  path.split('.').reduce<unknown>((o, k) => (o && typeof o === 'object' ? (o as Record<string, unknown>)[k] : undefined), ev);
const ts = (ev: Ev): number => Date.parse(String(ev['@timestamp']));
const FIELDS: Record<string, (ev: Ev) => unknown> = {
  log_type: (ev) => String(get(ev, 'event.dataset') ?? '').replace('shoplog.', ''),
  level: (ev) => get(ev, 'log.level'),
  service: (ev) => get(ev, 'service.name'),
  route: (ev) => get(ev, 'http.route'),
  status: (ev) => get(ev, 'shop.transaction.status') ?? get(ev, 'http.response.status_code'),
  user_id: (ev) => get(ev, 'user.id'),
};
const RANGES: Record<string, number> = { '1h': 3600e3, '24h': 86400e3, '7d': 7 * 86400e3, '30d': 30 * 86400e3 };
const amountOf = (ev: Ev): number => Number(get(ev, 'shop.amount.value') ?? 0);
const durMs = (ev: Ev): number => Number(get(ev, 'event.duration') ?? 0) / 1e6;
function pct(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s.length ? (s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] ?? 0) : 0;
}
function counts(evs: Ev[], f: (ev: Ev) => unknown): { value: string; count: number }[] {
  const m = new Map<string, number>();
  for (const e of evs) {
    const v = f(e);
    if (v !== undefined && v !== null) m.set(String(v), (m.get(String(v)) ?? 0) + 1);
  }
  return [...m].map(([value, count]) => ({ value, count })).sort((a, b) => b.count - a.count).slice(0, 10);
}

/** Starts the stub on 127.0.0.1:0 with one admin user; returns its URL, an ingest key and a close function. */
export async function startStubApi(opts: { username: string; password: string }): Promise<{ url: string; apiKey: string; app: FastifyInstance }> {
  const events: Ev[] = [];
  const sessions = new Map<string, string>();
  const uploads = new Map<string, Record<string, unknown>>();
  const tails = new Set<(ev: Ev) => void>();
  const apiKey = randomUUID();
  const app = Fastify({ forceCloseConnections: true });
  app.addContentTypeParser('multipart/form-data', { parseAs: 'buffer' }, (_r, body, done) => done(null, body));

  const authed = (req: FastifyRequest, reply: FastifyReply): boolean => {
    if (req.headers.authorization === `Bearer ${apiKey}`) return true;
    const sid = /shoplog_session=([^;]+)/.exec(req.headers.cookie ?? '')?.[1];
    const csrf = sid ? sessions.get(sid) : undefined;
    if (!csrf) { void reply.code(401).send({ error: { code: 'unauthorized', message: 'Sign in first.' } }); return false; }
    if (req.method !== 'GET' && req.headers['x-csrf-token'] !== csrf) { void reply.code(403).send({ error: { code: 'csrf', message: 'Bad CSRF token.' } }); return false; }
    return true;
  };
  const store = (list: Ev[]): void => { for (const e of list) { events.push(e); for (const t of tails) t(e); } };
  const select = (q: Record<string, string | undefined>): Ev[] => {
    const to = q.to ? Date.parse(q.to) : Date.now();
    const from = q.from ? Date.parse(q.from) : to - (RANGES[q.range ?? '24h'] ?? 86400e3);
    const text = (q.q ?? q.query ?? '').toLowerCase();
    return events.filter((e) => ts(e) >= from && ts(e) <= to
      && (!text || JSON.stringify(e).toLowerCase().includes(text))
      && Object.entries(FIELDS).every(([k, f]) => !q[k] || String(f(e)).toLowerCase() === q[k]?.toLowerCase()));
  };
  type Q = { Querystring: Record<string, string | undefined> };

  registerWeb(app);
  app.post<{ Body: { username: string; password: string } }>('/api/auth/login', async (req, reply) => {
    if (req.body.username !== opts.username || req.body.password !== opts.password) return reply.code(401).send({ error: { code: 'invalid_credentials', message: 'Invalid username or password.' } });
    const sid = randomUUID(); const csrfToken = randomUUID();
    sessions.set(sid, csrfToken);
    void reply.header('set-cookie', `shoplog_session=${sid}; HttpOnly; SameSite=Strict; Path=/`);
    return { user: { id: 'u1', username: opts.username, role: 'admin' }, csrfToken };
  });
  app.get('/api/auth/me', async (req, reply) => {
    if (!authed(req, reply)) return reply;
    const sid = /shoplog_session=([^;]+)/.exec(req.headers.cookie ?? '')?.[1] ?? '';
    return { user: { id: 'u1', username: opts.username, role: 'admin' }, csrfToken: sessions.get(sid) };
  });
  app.post('/api/auth/logout', async (req, reply) => { if (!authed(req, reply)) return reply; return { ok: true }; });
  app.post<{ Body: Ev | Ev[] }>('/api/logs/ingest', async (req, reply) => {
    if (!authed(req, reply)) return reply;
    const list = Array.isArray(req.body) ? req.body : [req.body];
    store(list);
    return reply.code(201).send({ message: 'ok', records_processed: list.length, results: list.map((e) => ({ id: get(e, 'event.id'), result: 'created' })) });
  });
  app.get<{ Params: { id: string } }>('/api/logs/:id', async (req, reply) => {
    if (!authed(req, reply)) return reply;
    return events.find((e) => get(e, 'event.id') === req.params.id) ?? reply.code(404).send({ error: { code: 'not_found', message: 'No such event.' } });
  });
  app.get<Q>('/api/logs/tail', (req, reply) => {
    if (!authed(req, reply)) return;
    reply.hijack();
    reply.raw.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    reply.raw.write(': connected\n\n');
    const send = (e: Ev): void => { if (select({ ...req.query, range: '30d' }).includes(e)) reply.raw.write(`event: log\ndata: ${JSON.stringify(e)}\n\n`); };
    tails.add(send);
    req.raw.on('close', () => tails.delete(send));
  });
  app.get<Q>('/api/search/', async (req, reply) => {
    if (!authed(req, reply)) return reply;
    const size = Math.min(1000, Math.max(1, Number(req.query.size ?? 20)));
    const page = Math.max(1, Number(req.query.page ?? 1));
    const all = select(req.query).sort((a, b) => ts(b) - ts(a));
    const q = req.query.q ?? '';
    const results = all.slice((page - 1) * size, page * size).map((e) => {
      const msg = String(e.message ?? '');
      const i = q ? msg.toLowerCase().indexOf(q.toLowerCase()) : -1;
      return { id: String(get(e, 'event.id')), score: null, source: e, highlight: i >= 0 ? { message: `${msg.slice(0, i)}<mark>${msg.slice(i, i + q.length)}</mark>${msg.slice(i + q.length)}` } : {} };
    });
    return { success: true, data: { total: all.length, page, page_size: size, total_pages: Math.ceil(all.length / size), results, next_cursor: null } };
  });
  app.get<Q>('/api/search/autocomplete', async (req, reply) => {
    if (!authed(req, reply)) return reply;
    const q = (req.query.q ?? '').toLowerCase();
    if (q.length < 2) return { suggestions: [] };
    const m = counts(events.filter((e) => String(e.message ?? '').toLowerCase().includes(q)), (e) => e.message);
    return { suggestions: m.map((c) => ({ text: c.value, field: 'message', count: c.count })) };
  });
  app.get<Q>('/api/search/fields', async (req, reply) => {
    if (!authed(req, reply)) return reply;
    const evs = select(req.query);
    return { fields: Object.entries(FIELDS).map(([field, f]) => ({ field, top: counts(evs, f) })) };
  });
  app.get<Q>('/api/search/histogram', async (req, reply) => {
    if (!authed(req, reply)) return reply;
    const to = req.query.to ? Date.parse(req.query.to) : Date.now();
    const span = req.query.from ? to - Date.parse(req.query.from) : (RANGES[req.query.range ?? '24h'] ?? 86400e3);
    const interval = Math.max(60e3, Math.ceil(span / 48 / 60e3) * 60e3);
    const start = Math.floor((to - span) / interval) * interval;
    const buckets = Array.from({ length: Math.ceil((to - start) / interval) }, (_, i) => ({ ts: start + i * interval, count: 0 }));
    for (const e of select(req.query)) { const b = buckets[Math.floor((ts(e) - start) / interval)]; if (b) b.count += 1; }
    return { interval_ms: interval, buckets };
  });
  app.get<Q>('/api/dashboard/overview', async (req, reply) => {
    if (!authed(req, reply)) return reply;
    const evs = select(req.query);
    const errors = evs.filter((e) => ['error', 'fatal'].includes(String(get(e, 'log.level'))));
    const hours = new Map<number, { total: number; errors: number }>();
    for (const e of evs) { const h = Math.floor(ts(e) / 3600e3) * 3600e3; const c = hours.get(h) ?? { total: 0, errors: 0 }; c.total += 1; if (errors.includes(e)) c.errors += 1; hours.set(h, c); }
    const perf = evs.filter((e) => get(e, 'event.duration') !== undefined);
    const users = new Set(evs.map((e) => get(e, 'user.id')).filter(Boolean));
    return {
      range: req.query.range ?? '24h', from: '', to: '', total_logs: evs.length, logs_today: evs.length, total_errors: errors.length,
      error_rate: evs.length ? Math.round((errors.length / evs.length) * 1000) / 10 : 0, unique_users: users.size, active_users: users.size,
      avg_response_time_ms: perf.length ? perf.reduce((s, e) => s + durMs(e), 0) / perf.length : null, uploaded_files: uploads.size,
      logs_per_hour: [...hours].sort((a, b) => a[0] - b[0]).map(([h, c]) => ({ hour: new Date(h).toISOString(), ...c })),
      log_levels_distribution: Object.fromEntries(counts(evs, FIELDS.level!).map((c) => [c.value, c.count])),
      log_types: counts(evs, FIELDS.log_type!).map((c) => ({ type: c.value, count: c.count })),
      top_services: counts(evs, FIELDS.service!).map((c) => ({ name: c.value, count: c.count, percentage: Math.round((c.count / evs.length) * 1000) / 10 })),
      top_endpoints: counts(evs, FIELDS.route!).map((c) => ({ route: c.value, count: c.count })),
      recent_errors: errors.slice(-10).reverse(), cached: false, generated_at: new Date().toISOString(),
    };
  });
  app.get<Q>('/api/performance/metrics', async (req, reply) => {
    if (!authed(req, reply)) return reply;
    const perf = select(req.query).filter((e) => get(e, 'shop.performance.kind'));
    const summary = (list: Ev[]) => { const v = list.map(durMs); return { p50: pct(v, 50), p90: pct(v, 90), p95: pct(v, 95), p99: pct(v, 99), mean: v.reduce((a, b) => a + b, 0) / (v.length || 1), max: Math.max(0, ...v), count: v.length }; };
    const group = (f: (e: Ev) => unknown) => counts(perf, f).map((c) => ({ key: c.value, ...summary(perf.filter((e) => String(f(e)) === c.value)) }));
    const hours = counts(perf, (e) => Math.floor(ts(e) / 3600e3) * 3600e3).sort((a, b) => Number(a.value) - Number(b.value));
    return {
      approximate: true, relative_error: 0.01, overall: summary(perf),
      by_route: group((e) => get(e, 'http.route')).map(({ key, ...s }) => ({ route: key, ...s })),
      by_db_operation: group((e) => (get(e, 'shop.performance.kind') === 'db' ? get(e, 'shop.performance.operation') : undefined)).map(({ key, ...s }) => ({ operation: key, ...s })),
      slow_requests: { threshold_ms: 1000, count: perf.filter((e) => durMs(e) > 1000).length }, slow_queries: { threshold_ms: 100, count: 0 },
      timeline: hours.map((h) => { const s = summary(perf.filter((e) => Math.floor(ts(e) / 3600e3) * 3600e3 === Number(h.value))); return { ts: Number(h.value), p50: s.p50, p95: s.p95, p99: s.p99 }; }),
    };
  });
  app.get<Q>('/api/analytics/transactions', async (req, reply) => {
    if (!authed(req, reply)) return reply;
    const tx = select({ ...req.query, log_type: 'transaction' });
    const hours = counts(tx, (e) => Math.floor(ts(e) / 3600e3) * 3600e3).sort((a, b) => Number(a.value) - Number(b.value));
    return {
      currency_note: 'Amounts summed per currency (EUR only here).',
      timeline: hours.map((h) => { const l = tx.filter((e) => Math.floor(ts(e) / 3600e3) * 3600e3 === Number(h.value)); const t = l.reduce((s, e) => s + amountOf(e), 0); return { date: new Date(Number(h.value)).toISOString(), count: l.length, total_amount: t, avg_amount: t / l.length }; }),
      payment_methods: counts(tx, (e) => get(e, 'shop.payment.method')).map((c) => ({ method: c.value, count: c.count, total_amount: tx.filter((e) => get(e, 'shop.payment.method') === c.value).reduce((s, e) => s + amountOf(e), 0) })),
      transaction_status: counts(tx, (e) => get(e, 'shop.transaction.status')).map((c) => ({ status: c.value, count: c.count })),
    };
  });
  app.get<Q>('/api/analytics/user-behavior', async (req, reply) => {
    if (!authed(req, reply)) return reply;
    const ub = select({ ...req.query, log_type: 'user_behavior' });
    const sessionsWith = (a: string) => new Set(ub.filter((e) => get(e, 'shop.action') === a).map((e) => get(e, 'shop.session.id'))).size;
    const funnel = ['page_view', 'add_to_cart', 'checkout_started', 'checkout_completed'].map((step) => ({ step, sessions: sessionsWith(step) }));
    const carts = sessionsWith('add_to_cart');
    return { actions: counts(ub, (e) => get(e, 'shop.action')).map((c) => ({ action: c.value, count: c.count })), funnel, abandonment_rate: carts ? Math.round(((carts - sessionsWith('checkout_completed')) / carts) * 1000) / 10 : 0, cart_abandonment_count: carts - sessionsWith('checkout_completed') };
  });
  app.get<Q>('/api/analytics/errors', async (req, reply) => {
    if (!authed(req, reply)) return reply;
    const er = select({ ...req.query, log_type: 'error' });
    return { error_codes: counts(er, (e) => get(e, 'http.response.status_code')).map((c) => ({ code: c.value, count: c.count })), error_types: counts(er, (e) => get(e, 'error.type')).map((c) => ({ type: c.value, count: c.count })), timeline: [] };
  });
  const alerts = (q: Record<string, string | undefined>) => select({ ...q, log_type: 'fraud' }).sort((a, b) => ts(b) - ts(a)).map((e) => ({
    id: String(get(e, 'event.id')), '@timestamp': String(e['@timestamp']), score: get(e, 'shop.fraud.score'), risk_level: get(e, 'shop.fraud.risk_level'), decision: get(e, 'shop.fraud.decision'),
    reasons: get(e, 'shop.fraud.reasons'), transaction_id: get(e, 'shop.transaction.id'), user_id: get(e, 'user.id') ?? null, amount: get(e, 'shop.amount.value') ?? null, currency: get(e, 'shop.amount.currency') ?? null,
  }));
  app.get<Q>('/api/fraud/alerts', async (req, reply) => (authed(req, reply) ? { alerts: alerts(req.query).slice(0, Number(req.query.limit ?? 50)) } : reply));
  app.get<Q>('/api/fraud/stats', async (req, reply) => {
    if (!authed(req, reply)) return reply;
    const a = alerts(req.query);
    const reasons = a.flatMap((x) => (x.reasons as { code: string }[]).map((r) => r.code));
    return {
      count: a.length, avg_score: a.length ? a.reduce((s, x) => s + Number(x.score), 0) / a.length : null,
      by_decision: Object.fromEntries(counts(a as unknown as Ev[], (x) => x.decision).map((c) => [c.value, c.count])),
      top_reasons: counts(reasons.map((code) => ({ code })), (x) => x.code).map((c) => ({ code: c.value, count: c.count })),
      score_histogram: [0, 20, 40, 60, 80].map((from) => ({ from, to: from + 20, count: a.filter((x) => Number(x.score) >= from && Number(x.score) < from + 20 + (from === 80 ? 1 : 0)).length })),
    };
  });
  app.post('/api/logs/upload', async (req, reply) => {
    if (!authed(req, reply)) return reply;
    const raw = (req.body as Buffer).toString('utf8');
    const name = /filename="([^"]+)"/.exec(raw)?.[1] ?? 'upload';
    const content = raw.split('\r\n\r\n').slice(1).join('\r\n\r\n').replace(/\r\n--[^\r\n]*--\r\n$/, '');
    const lines = content.split('\n').filter((l) => l.trim());
    const id = randomUUID();
    const job: Record<string, unknown> = { id, status: 'processing', filename: name, total_lines: lines.length, processed: 0, accepted: 0, duplicates: 0, rejected: 0, errors: [], created_at: new Date().toISOString(), finished_at: null };
    uploads.set(id, job);
    void (async () => {
      for (const [i, line] of lines.entries()) {
        try { store([JSON.parse(line) as Ev]); job.accepted = Number(job.accepted) + 1; } catch { job.rejected = Number(job.rejected) + 1; (job.errors as unknown[]).push({ line: i + 1, issues: [{ path: '', message: 'invalid JSON' }] }); }
        job.processed = i + 1;
        await new Promise((r) => setTimeout(r, 20));
      }
      job.status = 'completed'; job.finished_at = new Date().toISOString();
    })();
    return reply.code(202).send({ job_id: id, filename: name, file_size: content.length, file_type: 'ndjson' });
  });
  app.get('/api/logs/uploads/recent', async (req, reply) => (authed(req, reply) ? { uploads: [...uploads.values()].reverse() } : reply));
  app.get<{ Params: { id: string } }>('/api/logs/uploads/:id', async (req, reply) => (authed(req, reply) ? (uploads.get(req.params.id) ?? reply.code(404).send({ error: { code: 'not_found', message: 'No such upload.' } })) : reply));
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  return { url, apiKey, app };
}
