/**
 * The `MetaStore` contract: the embedded sqlite store and the MongoDB store pass the same tests.
 * Usage: `runMetaStoreContract('mongodb', async () => ({ store, cleanup }))`.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  DuplicateKeyError,
  type AlertRuleRecord,
  type FraudLabelRecord,
  type FraudModelRecord,
  type MetaStore,
  type NotificationRecord,
  type UploadJobRecord,
} from '../../src/ports.js';

/** A fresh, empty metadata store and how to dispose of it. */
export interface MetaStoreUnderTest {
  store: MetaStore;
  cleanup?: () => Promise<void>;
}

const job = (id: string, createdAt: number): UploadJobRecord => ({
  id,
  userId: 'u1',
  filename: `${id}.ndjson`,
  fileType: 'ndjson',
  fileSize: 10,
  status: 'pending',
  totalLines: 0,
  processed: 0,
  accepted: 0,
  duplicates: 0,
  rejected: 0,
  errors: [],
  preview: [],
  failure: null,
  createdAt,
  finishedAt: null,
});

const rule = (id: string, createdAt: number): AlertRuleRecord => ({
  id,
  userId: null,
  name: `rule ${id}`,
  metric: 'error_rate',
  filters: { service: 'shop' },
  windowMs: 300_000,
  threshold: 0.05,
  state: 'unknown',
  lastValue: null,
  lastFiredAt: null,
  lastEvaluatedAt: null,
  createdAt,
});

const sent = (id: string, at: number, ruleId: string | null, channel = 'ops'): NotificationRecord => ({
  id,
  notificationId: `alert:${ruleId}:${at}:firing`,
  channel,
  type: ruleId ? 'alert.firing' : 'fraud.block',
  group: ruleId ? `alert:${ruleId}` : 'fraud:X',
  ruleId,
  title: `n ${id}`,
  outcome: 'sent',
  attempts: 1,
  error: null,
  count: 1,
  at,
});

/** Registers the contract tests of a metadata store. */
export function runMetaStoreContract(name: string, factory: () => Promise<MetaStoreUnderTest>): void {
  describe(`MetaStore contract: ${name}`, () => {
    let subject: MetaStoreUnderTest;
    let store: MetaStore;
    beforeEach(async () => {
      subject = await factory();
      store = subject.store;
    });
    afterEach(async () => {
      await store.close();
      await subject.cleanup?.();
    });

    it('stores users with unique usernames', async () => {
      const alice = { id: 'u1', username: 'alice', role: 'admin' as const, passwordHash: 'scrypt$x', createdAt: 1 };
      await store.createUser(alice);
      await store.createUser({ id: 'u2', username: 'bob', role: 'viewer', passwordHash: 'scrypt$y', createdAt: 2 });
      await expect(store.createUser({ ...alice, id: 'u3' })).rejects.toBeInstanceOf(DuplicateKeyError);
      expect(await store.getUserById('u1')).toEqual(alice);
      expect(await store.getUserByUsername('bob')).toMatchObject({ id: 'u2', role: 'viewer' });
      expect(await store.getUserByUsername('carol')).toBeUndefined();
      expect((await store.listUsers()).map((u) => u.username)).toEqual(['alice', 'bob']);
      expect(await store.countUsers()).toBe(2);
    });

    it("changes a user's role and deletes users", async () => {
      await store.createUser({ id: 'u1', username: 'alice', role: 'viewer', passwordHash: 'scrypt$x', createdAt: 1 });
      expect(await store.setUserRole('u1', 'analyst')).toBe(true);
      expect(await store.getUserById('u1')).toMatchObject({
        username: 'alice',
        role: 'analyst',
        passwordHash: 'scrypt$x',
      });
      expect(await store.setUserRole('nobody', 'admin')).toBe(false);
      expect(await store.deleteUser('u1')).toBe(true);
      expect(await store.deleteUser('u1')).toBe(false);
      expect(await store.getUserById('u1')).toBeUndefined();
      expect(await store.getUserByUsername('alice')).toBeUndefined();
      expect(await store.countUsers()).toBe(0);
      // The username is free again once its user is gone.
      await store.createUser({ id: 'u2', username: 'alice', role: 'viewer', passwordHash: 'scrypt$y', createdAt: 2 });
    });

    it('lets one of several concurrent creations of a username win; the others reject with DuplicateKeyError', async () => {
      const results = await Promise.allSettled(
        [1, 2, 3, 4].map((n) =>
          store.createUser({
            id: `c${n}`,
            username: 'carol',
            role: 'viewer',
            passwordHash: `scrypt$${n}`,
            createdAt: n,
          }),
        ),
      );
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      const rejected = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
      expect(rejected).toHaveLength(3);
      for (const reason of rejected) expect(reason).toBeInstanceOf(DuplicateKeyError);
      expect((await store.listUsers()).map((u) => u.username)).toEqual(['carol']);
    });

    it('finds API keys by hash, records their use and deletes them', async () => {
      const key = {
        id: 'k1',
        name: 'shop',
        scope: 'ingest' as const,
        keyHash: 'ab'.repeat(32),
        prefix: 'sl_ab',
        createdAt: 5,
        lastUsedAt: null,
      };
      await store.createApiKey(key);
      expect(await store.findApiKey(key.keyHash)).toEqual(key);
      await store.touchApiKey('k1', 99);
      expect((await store.findApiKey(key.keyHash))?.lastUsedAt).toBe(99);
      expect(await store.listApiKeys()).toHaveLength(1);
      expect(await store.deleteApiKey('k1')).toBe(true);
      expect(await store.deleteApiKey('k1')).toBe(false);
      expect(await store.findApiKey(key.keyHash)).toBeUndefined();
    });

    it('returns sessions until they expire', async () => {
      const now = Date.now();
      await store.createSession({
        idHash: 'h1',
        userId: 'u1',
        csrfToken: 'c',
        createdAt: now,
        expiresAt: now + 60_000,
      });
      expect(await store.getSession('h1', now)).toMatchObject({ userId: 'u1', csrfToken: 'c' });
      expect(await store.getSession('h1', now + 60_000)).toBeUndefined();
      await store.deleteSession('h1');
      expect(await store.getSession('h1', now)).toBeUndefined();
      // A renewal of the idle clock moves the deadline of a live session and keeps the rest.
      await store.createSession({
        idHash: 'h1',
        userId: 'u1',
        csrfToken: 'c',
        createdAt: now,
        expiresAt: now + 60_000,
      });
      await store.renewSession('h1', now + 120_000);
      expect(await store.getSession('h1', now + 60_000)).toMatchObject({
        userId: 'u1',
        csrfToken: 'c',
        createdAt: now,
        expiresAt: now + 120_000,
      });
      expect(await store.getSession('h1', now + 120_000)).toBeUndefined();
      await store.deleteSession('h1');
      // A session deleted (logout) is not brought back by a renewal that was under way.
      await store.renewSession('h1', now + 180_000);
      expect(await store.getSession('h1', now)).toBeUndefined();
    });

    it('keeps saved searches per user, newest first, deletable only by their owner', async () => {
      await store.createSavedSearch({
        id: 's1',
        userId: 'u1',
        name: 'errors',
        params: { level: 'error' },
        createdAt: 1,
      });
      await store.createSavedSearch({
        id: 's2',
        userId: 'u1',
        name: 'big',
        params: { min_amount: '100' },
        createdAt: 2,
      });
      await store.createSavedSearch({ id: 's3', userId: 'u2', name: 'other', params: {}, createdAt: 3 });
      expect((await store.listSavedSearches('u1')).map((s) => s.id)).toEqual(['s2', 's1']);
      expect(await store.deleteSavedSearch('u2', 's1')).toBe(false);
      expect(await store.deleteSavedSearch('u1', 's1')).toBe(true);
      expect((await store.listSavedSearches('u1')).map((s) => s.params)).toEqual([{ min_amount: '100' }]);
    });

    it('keeps the newest `keep` history entries per user', async () => {
      for (let i = 1; i <= 5; i++)
        await store.addSearchHistory({ id: `h${i}`, userId: 'u1', params: { q: `q${i}` }, total: i, createdAt: i }, 3);
      await store.addSearchHistory({ id: 'x', userId: 'u2', params: {}, total: 0, createdAt: 9 }, 3);
      expect((await store.listSearchHistory('u1', 10)).map((h) => h.id)).toEqual(['h5', 'h4', 'h3']);
      expect((await store.listSearchHistory('u1', 2)).map((h) => h.params['q'])).toEqual(['q5', 'q4']);
      expect(await store.listSearchHistory('u2', 10)).toHaveLength(1);
    });

    it('tracks upload jobs: update in place, newest first, counted by creation time', async () => {
      await store.createUploadJob(job('j1', 1_000));
      await store.createUploadJob(job('j2', 2_000));
      await store.updateUploadJob({
        ...job('j1', 1_000),
        status: 'completed',
        processed: 3,
        accepted: 2,
        rejected: 1,
        finishedAt: 1_500,
        errors: [{ line: 2, issues: [{ path: 'event.id', message: 'required' }] }],
      });
      expect(await store.getUploadJob('j1')).toMatchObject({ status: 'completed', accepted: 2, errors: [{ line: 2 }] });
      expect((await store.listUploadJobs(10)).map((j) => j.id)).toEqual(['j2', 'j1']);
      expect(await store.countUploadJobs({ from: 1_500 })).toBe(1);
      expect(await store.countUploadJobs()).toBe(2);
      expect(await store.getUploadJob('nope')).toBeUndefined();
    });

    it('stores alert rules with their evaluation state', async () => {
      await store.createAlertRule(rule('r2', 2));
      await store.createAlertRule(rule('r1', 1));
      await store.updateAlertRule({
        ...rule('r1', 1),
        state: 'firing',
        lastValue: 0.2,
        lastFiredAt: 10,
        lastEvaluatedAt: 10,
      });
      expect(await store.listAlertRules()).toEqual([
        { ...rule('r1', 1), state: 'firing', lastValue: 0.2, lastFiredAt: 10, lastEvaluatedAt: 10 },
        rule('r2', 2),
      ]);
      expect(await store.deleteAlertRule('r2')).toBe(true);
      expect(await store.deleteAlertRule('r2')).toBe(false);
    });

    it('keeps audit records, newest first', async () => {
      const audit = (id: string, at: number) => ({
        id,
        action: 'erase' as const,
        actor: 'user:admin',
        at,
        subject: { type: 'email' as const, hash: `h-${id}` },
        counts: { events: 3, fraudState: null },
      });
      await store.addAuditRecord(audit('a1', 1));
      await store.addAuditRecord(audit('a2', 2));
      expect(await store.listAuditRecords(10)).toEqual([audit('a2', 2), audit('a1', 1)]);
      expect(await store.listAuditRecords(1)).toEqual([audit('a2', 2)]);
    });

    it('keeps alert rules with their channels and firing state', async () => {
      const withChannels = { ...rule('r1', 1), channels: ['ops', 'mail'], state: 'firing' as const, firingSince: 5 };
      await store.createAlertRule(withChannels);
      expect(await store.listAlertRules()).toEqual([withChannels]);
      await store.updateAlertRule({ ...withChannels, state: 'ok', firingSince: null });
      expect(await store.listAlertRules()).toEqual([{ ...withChannels, state: 'ok', firingSince: null }]);
    });

    it('keeps the newest notification records, by rule or channel, newest first', async () => {
      await store.addNotification(sent('n1', 10, 'r1'), 3);
      await store.addNotification(sent('n2', 20, null, 'mail'), 3);
      await store.addNotification(
        { ...sent('n3', 30, 'r2'), outcome: 'failed', attempts: 8, error: 'webhook: x answered 500' },
        3,
      );
      await store.addNotification(sent('n4', 40, 'r1', 'mail'), 3);
      expect((await store.listNotifications({ limit: 10 })).map((n) => n.id)).toEqual(['n4', 'n3', 'n2']);
      expect(await store.listNotifications({ ruleId: 'r1', limit: 10 })).toEqual([sent('n4', 40, 'r1', 'mail')]);
      expect((await store.listNotifications({ channel: 'mail', limit: 10 })).map((n) => n.id)).toEqual(['n4', 'n2']);
      expect((await store.listNotifications({ limit: 1 })).map((n) => n.id)).toEqual(['n4']);
      expect((await store.listNotifications({ ruleId: 'r2', limit: 10 }))[0]).toMatchObject({
        outcome: 'failed',
        attempts: 8,
        error: 'webhook: x answered 500',
      });
    });

    it('keeps one fraud label per transaction: the same label twice is unchanged, another replaces it', async () => {
      const label = (
        transactionId: string,
        at: number,
        kind: FraudLabelRecord['label'],
        createdAt = 100,
      ): FraudLabelRecord => ({ transactionId, label: kind, at, actor: 'key:shop', createdAt });
      expect(await store.putFraudLabel(label('tx-b', 20, 'chargeback'))).toBe('created');
      expect(await store.putFraudLabel(label('tx-a', 10, 'legitimate'))).toBe('created');
      expect(await store.putFraudLabel(label('tx-a', 10, 'legitimate', 999))).toBe('unchanged');
      expect(await store.getFraudLabel('tx-a')).toEqual(label('tx-a', 10, 'legitimate'));
      expect(await store.putFraudLabel(label('tx-a', 10, 'confirmed_fraud', 200))).toBe('replaced');
      expect(await store.getFraudLabel('tx-a')).toEqual(label('tx-a', 10, 'confirmed_fraud', 200));
      expect(await store.getFraudLabel('tx-none')).toBeUndefined();
      await store.putFraudLabel(label('tx-c', 30, 'legitimate'));
      expect((await store.listFraudLabels({ limit: 10 })).map((l) => l.transactionId)).toEqual([
        'tx-a',
        'tx-b',
        'tx-c',
      ]);
      expect((await store.listFraudLabels({ from: 15, to: 30, limit: 10 })).map((l) => l.transactionId)).toEqual([
        'tx-b',
      ]);
      expect((await store.listFraudLabels({ limit: 2 })).map((l) => l.transactionId)).toEqual(['tx-a', 'tx-b']);
      expect(await store.countFraudLabels()).toBe(3);
    });

    it('keeps fraud model versions, newest first, each written once', async () => {
      const model = (version: string, createdAt: number): FraudModelRecord => ({
        version,
        model: { version, features: ['DECLINED'], bias: -3, trees: [] },
        basedOn: 'default-2',
        trigger: 'manual',
        trained: { labels: 60, fraud: 12, missing: 1 },
        metrics: {
          model: { labels: 15, fraud: 3, precision: 1, recall: 0.67, rocAuc: 0.9 },
          basedOn: { labels: 15, fraud: 3, precision: 1, recall: 0.33, rocAuc: null },
        },
        createdAt,
      });
      await store.addFraudModel(model('refit-1', 1));
      await store.addFraudModel(model('refit-2', 2));
      await expect(store.addFraudModel(model('refit-1', 3))).rejects.toBeInstanceOf(DuplicateKeyError);
      expect(await store.getFraudModel('refit-1')).toEqual(model('refit-1', 1));
      expect(await store.getFraudModel('nope')).toBeUndefined();
      expect((await store.listFraudModels(10)).map((m) => m.version)).toEqual(['refit-2', 'refit-1']);
      expect((await store.listFraudModels(1)).map((m) => m.version)).toEqual(['refit-2']);
    });

    it('keeps settings', async () => {
      expect(await store.getSetting('demo')).toBeUndefined();
      await store.setSetting('demo', 'loaded');
      await store.setSetting('demo', 'again');
      expect(await store.getSetting('demo')).toBe('again');
    });
  });
}
