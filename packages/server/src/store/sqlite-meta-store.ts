import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync } from './node-sqlite.js';
import type {
  AlertRuleRecord,
  ApiKeyRecord,
  AuditRecord,
  MetaStore,
  NotificationRecord,
  SavedSearchRecord,
  SearchHistoryRecord,
  SessionRecord,
  UploadJobRecord,
  UserRecord,
} from '../ports.js';
import { DuplicateKeyError } from '../ports.js';
import { sqliteFraudMeta } from './sqlite-fraud-meta.js';

/** Options of the embedded metadata store. */
export interface SqliteMetaStoreOptions {
  /** Database file (created with its folder), or `:memory:`. */
  path: string;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS users (id TEXT PRIMARY KEY, username TEXT NOT NULL UNIQUE, doc TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS api_keys (id TEXT PRIMARY KEY, key_hash TEXT NOT NULL UNIQUE, doc TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sessions (id_hash TEXT PRIMARY KEY, expires_at INTEGER NOT NULL, doc TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS saved_searches (id TEXT PRIMARY KEY, user_id TEXT NOT NULL, created_at INTEGER NOT NULL, doc TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS search_history (id TEXT PRIMARY KEY, user_id TEXT NOT NULL, created_at INTEGER NOT NULL, doc TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS search_history_user ON search_history(user_id, created_at);
CREATE TABLE IF NOT EXISTS upload_jobs (id TEXT PRIMARY KEY, created_at INTEGER NOT NULL, doc TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS alert_rules (id TEXT PRIMARY KEY, created_at INTEGER NOT NULL, doc TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS audit_records (id TEXT PRIMARY KEY, at INTEGER NOT NULL, doc TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS audit_records_at ON audit_records(at);
CREATE TABLE IF NOT EXISTS notifications (id TEXT PRIMARY KEY, at INTEGER NOT NULL, rule_id TEXT, channel TEXT NOT NULL, doc TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS notifications_at ON notifications(at);
CREATE INDEX IF NOT EXISTS notifications_rule ON notifications(rule_id, at);
`;

/** The embedded metadata store on `node:sqlite` (WAL, synchronous=FULL: metadata writes are rare and must last). */
export function createSqliteMetaStore(options: SqliteMetaStoreOptions): MetaStore {
  if (options.path !== ':memory:') mkdirSync(dirname(options.path), { recursive: true });
  const db = new DatabaseSync(options.path);
  db.exec('PRAGMA busy_timeout=5000; PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;');
  db.exec(SCHEMA);
  const docs = <T>(sql: string, ...params: (string | number)[]): T[] =>
    (db.prepare(sql).all(...params) as { doc: string }[]).map((row) => JSON.parse(row.doc) as T);
  const doc = <T>(sql: string, ...params: (string | number)[]): T | undefined => docs<T>(sql, ...params)[0];
  const run = (sql: string, ...params: (string | number | null)[]): number =>
    Number(db.prepare(sql).run(...params).changes);
  let closed = false;

  return {
    ...sqliteFraudMeta(db),
    async createUser(user: UserRecord) {
      try {
        run('INSERT INTO users (id, username, doc) VALUES (?, ?, ?)', user.id, user.username, JSON.stringify(user));
      } catch (error) {
        // SQLITE_CONSTRAINT_UNIQUE (2067) and _PRIMARYKEY (1555): the username or the id exists.
        const code = (error as { errcode?: unknown }).errcode;
        if (code === 2067 || code === 1555)
          throw new DuplicateKeyError(`the username ${user.username} is taken`, { cause: error });
        throw error;
      }
    },
    getUserById: async (id) => doc<UserRecord>('SELECT doc FROM users WHERE id = ?', id),
    getUserByUsername: async (username) => doc<UserRecord>('SELECT doc FROM users WHERE username = ?', username),
    listUsers: async () => docs<UserRecord>('SELECT doc FROM users ORDER BY username'),
    countUsers: async () => (db.prepare('SELECT COUNT(*) AS n FROM users').get() as { n: number }).n,
    setUserRole: async (id, role) =>
      run("UPDATE users SET doc = json_set(doc, '$.role', ?) WHERE id = ?", role, id) > 0,
    deleteUser: async (id) => run('DELETE FROM users WHERE id = ?', id) > 0,

    async createApiKey(key: ApiKeyRecord) {
      run('INSERT INTO api_keys (id, key_hash, doc) VALUES (?, ?, ?)', key.id, key.keyHash, JSON.stringify(key));
    },
    findApiKey: async (keyHash) => doc<ApiKeyRecord>('SELECT doc FROM api_keys WHERE key_hash = ?', keyHash),
    listApiKeys: async () => docs<ApiKeyRecord>('SELECT doc FROM api_keys ORDER BY id'),
    deleteApiKey: async (id) => run('DELETE FROM api_keys WHERE id = ?', id) > 0,
    async touchApiKey(id, at) {
      run("UPDATE api_keys SET doc = json_set(doc, '$.lastUsedAt', ?) WHERE id = ?", at, id);
    },

    async createSession(session: SessionRecord) {
      run('DELETE FROM sessions WHERE expires_at <= ?', Date.now());
      run(
        'INSERT INTO sessions (id_hash, expires_at, doc) VALUES (?, ?, ?)',
        session.idHash,
        session.expiresAt,
        JSON.stringify(session),
      );
    },
    getSession: async (idHash, now) =>
      doc<SessionRecord>('SELECT doc FROM sessions WHERE id_hash = ? AND expires_at > ?', idHash, now),
    async renewSession(idHash, expiresAt) {
      run(
        "UPDATE sessions SET expires_at = ?, doc = json_set(doc, '$.expiresAt', ?) WHERE id_hash = ?",
        expiresAt,
        expiresAt,
        idHash,
      );
    },
    async deleteSession(idHash) {
      run('DELETE FROM sessions WHERE id_hash = ?', idHash);
    },

    async createSavedSearch(search: SavedSearchRecord) {
      run(
        'INSERT INTO saved_searches (id, user_id, created_at, doc) VALUES (?, ?, ?, ?)',
        search.id,
        search.userId,
        search.createdAt,
        JSON.stringify(search),
      );
    },
    listSavedSearches: async (userId) =>
      docs<SavedSearchRecord>('SELECT doc FROM saved_searches WHERE user_id = ? ORDER BY created_at DESC', userId),
    deleteSavedSearch: async (userId, id) =>
      run('DELETE FROM saved_searches WHERE id = ? AND user_id = ?', id, userId) > 0,

    async addSearchHistory(entry: SearchHistoryRecord, keep) {
      // Written at every uncached search, on the thread that serves requests: one transaction without a sync of its
      // own (a sync waits for the disk, tens of ms while events are being written). The next FULL commit or checkpoint
      // makes it durable; a power loss may lose the last entries, a crash of the process none.
      db.exec('PRAGMA synchronous=NORMAL; BEGIN');
      try {
        run(
          'INSERT INTO search_history (id, user_id, created_at, doc) VALUES (?, ?, ?, ?)',
          entry.id,
          entry.userId,
          entry.createdAt,
          JSON.stringify(entry),
        );
        run(
          'DELETE FROM search_history WHERE user_id = ? AND id NOT IN (SELECT id FROM search_history WHERE user_id = ? ORDER BY created_at DESC LIMIT ?)',
          entry.userId,
          entry.userId,
          keep,
        );
        db.exec('COMMIT');
      } catch (error) {
        db.exec('ROLLBACK');
        throw error;
      } finally {
        db.exec('PRAGMA synchronous=FULL');
      }
    },
    listSearchHistory: async (userId, limit) =>
      docs<SearchHistoryRecord>(
        'SELECT doc FROM search_history WHERE user_id = ? ORDER BY created_at DESC, rowid DESC LIMIT ?',
        userId,
        limit,
      ),

    async createUploadJob(job: UploadJobRecord) {
      run('INSERT INTO upload_jobs (id, created_at, doc) VALUES (?, ?, ?)', job.id, job.createdAt, JSON.stringify(job));
    },
    async updateUploadJob(job: UploadJobRecord) {
      run('UPDATE upload_jobs SET doc = ? WHERE id = ?', JSON.stringify(job), job.id);
    },
    getUploadJob: async (id) => doc<UploadJobRecord>('SELECT doc FROM upload_jobs WHERE id = ?', id),
    listUploadJobs: async (limit) =>
      docs<UploadJobRecord>('SELECT doc FROM upload_jobs ORDER BY created_at DESC, rowid DESC LIMIT ?', limit),
    countUploadJobs: async (range) =>
      (
        db
          .prepare('SELECT COUNT(*) AS n FROM upload_jobs WHERE created_at >= ? AND created_at < ?')
          .get(range?.from ?? 0, range?.to ?? Number.MAX_SAFE_INTEGER) as { n: number }
      ).n,

    async createAlertRule(rule: AlertRuleRecord) {
      run(
        'INSERT INTO alert_rules (id, created_at, doc) VALUES (?, ?, ?)',
        rule.id,
        rule.createdAt,
        JSON.stringify(rule),
      );
    },
    async updateAlertRule(rule: AlertRuleRecord) {
      run('UPDATE alert_rules SET doc = ? WHERE id = ?', JSON.stringify(rule), rule.id);
    },
    listAlertRules: async () => docs<AlertRuleRecord>('SELECT doc FROM alert_rules ORDER BY created_at'),
    deleteAlertRule: async (id) => run('DELETE FROM alert_rules WHERE id = ?', id) > 0,

    async addAuditRecord(record: AuditRecord) {
      run('INSERT INTO audit_records (id, at, doc) VALUES (?, ?, ?)', record.id, record.at, JSON.stringify(record));
    },
    listAuditRecords: async (limit) =>
      docs<AuditRecord>('SELECT doc FROM audit_records ORDER BY at DESC, id DESC LIMIT ?', limit),
    async addNotification(record: NotificationRecord, keep) {
      run(
        'INSERT INTO notifications (id, at, rule_id, channel, doc) VALUES (?, ?, ?, ?, ?)',
        record.id,
        record.at,
        record.ruleId,
        record.channel,
        JSON.stringify(record),
      );
      run(
        'DELETE FROM notifications WHERE rowid IN (SELECT rowid FROM notifications ORDER BY at DESC, rowid DESC LIMIT -1 OFFSET ?)',
        keep,
      );
    },
    listNotifications: async ({ ruleId, channel, limit }) =>
      docs<NotificationRecord>(
        `SELECT doc FROM notifications WHERE (? IS NULL OR rule_id = ?) AND (? IS NULL OR channel = ?) ORDER BY at DESC, rowid DESC LIMIT ?`,
        ...([ruleId ?? null, ruleId ?? null, channel ?? null, channel ?? null, limit] as (string | number)[]),
      ),

    getSetting: async (key) =>
      (db.prepare('SELECT value FROM settings WHERE key = ?').get(key) as { value: string } | undefined)?.value,
    async setSetting(key, value) {
      run(
        'INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value',
        key,
        value,
      );
    },
    async close() {
      if (closed) return;
      closed = true;
      db.close();
    },
  };
}
