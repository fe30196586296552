import { OptionsError, parseOptions } from '@shoplog/core';
import { MongoClient, MongoServerError } from 'mongodb';
import type { Collection, Db, Document, IndexDescription } from 'mongodb';
import { z } from 'zod';
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
} from '../../ports.js';
import { DuplicateKeyError } from '../../ports.js';
import { FRAUD_META_INDEXES, mongoFraudMeta } from './fraud-meta.js';

/** Options of `createMongoMetaStore`. */
export interface MongoMetaStoreOptions {
  /** A `mongodb://` or `mongodb+srv://` URL; the database is the URL's path. @default process.env.MONGODB_URL */
  url?: string;
  /** An existing client to share (the store then never closes it). */
  client?: MongoClient;
  /**
   * Database name. Without it: the URL's path (`mongodb://host/shop` → `shop`), else `'shoplog'`; with a `client`,
   * `'shoplog'` (the driver reports `test` for a URL that names none, so the client's own default is not used).
   * @default 'shoplog'
   */
  database?: string;
  /** Search history entries expire after this many days (a TTL index). @default 90 */
  historyTtlDays?: number;
}

const Schema = z.strictObject({
  url: z
    .string()
    .regex(/^mongodb(?:\+srv)?:\/\//, 'must be a mongodb:// or mongodb+srv:// URL')
    .optional(),
  client: z.custom<MongoClient>((value) => value instanceof MongoClient, 'must be a MongoClient').optional(),
  database: z
    .string()
    .regex(/^[^/\\. "$]{1,63}$/, 'must be a MongoDB database name')
    .optional(),
  historyTtlDays: z.int().min(1).max(36_500).default(90),
});

/** The database a `mongodb://` URL names in its path, or `undefined` when it names none. */
export function databaseOfUrl(url: string): string | undefined {
  const path = /^mongodb(?:\+srv)?:\/\/[^/?#]*\/([^?#]*)/.exec(url)?.[1];
  return path ? decodeURIComponent(path) : undefined;
}

/** The MongoDB metadata store: the `MetaStore` port plus a `ready` promise (indexes created). */
export interface MongoMetaStore extends MetaStore {
  /** Resolves once the collections' indexes exist; rejects loudly when they cannot be created. */
  readonly ready: Promise<void>;
}

/** Collections and their indexes (unique keys where the port promises uniqueness; TTLs where data expires). */
export const META_INDEXES: Record<string, IndexDescription[]> = {
  users: [{ key: { username: 1 }, name: 'username_unique', unique: true }],
  api_keys: [{ key: { keyHash: 1 }, name: 'key_hash_unique', unique: true }],
  // Expired sessions are removed by MongoDB itself; `getSession` also checks the expiry, since the TTL
  // monitor runs once a minute.
  sessions: [{ key: { _expires: 1 }, name: 'expires_ttl', expireAfterSeconds: 0 }],
  saved_searches: [{ key: { userId: 1, createdAt: -1 }, name: 'user_created' }],
  search_history: [
    { key: { userId: 1, createdAt: -1 }, name: 'user_created' },
    { key: { _created: 1 }, name: 'created_ttl' },
  ],
  upload_jobs: [{ key: { createdAt: -1 }, name: 'created' }],
  alert_rules: [{ key: { createdAt: 1 }, name: 'created' }],
  notifications: [
    { key: { at: -1 }, name: 'at' },
    { key: { ruleId: 1, at: -1 }, name: 'rule_at' },
  ],
};

type Stored<T> = T & { _id: string } & Document;

/** Removes the storage-only fields (`_id`, `_expires`, `_created`) to give back the port's record. */
function record<T>(doc: Document | null): T | undefined {
  if (!doc) return undefined;
  const { _id: _ignored, _expires: _e, _created: _c, ...rest } = doc;
  return rest as T;
}

/**
 * Creates the `MetaStore` on MongoDB (official driver): one collection per record type, the record's id as
 * `_id`, unique indexes on usernames and key hashes, TTL indexes on sessions and search history. Single-document
 * writes only: no transactions are needed (each port method touches one document, or trims history, which is
 * idempotent).
 */
export function createMongoMetaStore(options: MongoMetaStoreOptions = {}): MongoMetaStore {
  const settings = parseOptions('createMongoMetaStore', Schema, options);
  const url = settings.url ?? process.env['MONGODB_URL'];
  if (!settings.client && !url)
    throw new OptionsError('createMongoMetaStore: invalid options: url: no URL given and MONGODB_URL is not set', [
      { path: 'url', message: 'no URL given and MONGODB_URL is not set' },
    ]);
  const owned = !settings.client;
  const client = settings.client ?? new MongoClient(url!, { serverSelectionTimeoutMS: 10_000 });
  const db: Db = client.db(settings.database ?? (settings.client ? undefined : databaseOfUrl(url!)) ?? 'shoplog');
  const c = <T extends Document>(name: string): Collection<Stored<T>> => db.collection<Stored<T>>(name);
  const users = c<UserRecord>('users');
  const keys = c<ApiKeyRecord>('api_keys');
  const sessions = c<SessionRecord>('sessions');
  const saved = c<SavedSearchRecord>('saved_searches');
  const history = c<SearchHistoryRecord>('search_history');
  const jobs = c<UploadJobRecord>('upload_jobs');
  const rules = c<AlertRuleRecord>('alert_rules');
  const notifications = c<NotificationRecord>('notifications');
  const settingsColl = db.collection<{ _id: string; value: string }>('settings');
  const audit = c<AuditRecord>('audit_records');
  let closed = false;

  const indexes = { ...META_INDEXES, ...FRAUD_META_INDEXES };
  indexes['search_history'] = [
    META_INDEXES['search_history']![0]!,
    { ...META_INDEXES['search_history']![1]!, expireAfterSeconds: settings.historyTtlDays * 86_400 },
  ];
  // Re-creating an index with other options is refused (IndexOptionsConflict, code 85): that is what a changed
  // `historyTtlDays` meets on an existing database. A TTL is changed in place with collMod, then the set is re-sent.
  const ensureIndexes = async (name: string, specs: IndexDescription[]): Promise<void> => {
    try {
      await db.collection(name).createIndexes(specs);
    } catch (error) {
      if (!(error instanceof MongoServerError && error.code === 85)) throw error;
      for (const spec of specs) {
        if (spec.expireAfterSeconds !== undefined) {
          await db.command({ collMod: name, index: { name: spec.name, expireAfterSeconds: spec.expireAfterSeconds } });
        }
      }
      await db.collection(name).createIndexes(specs);
    }
  };
  const ready = (async () => {
    for (const [name, specs] of Object.entries(indexes)) {
      try {
        await ensureIndexes(name, specs);
      } catch (error) {
        throw new Error(
          `MongoDB setup failed creating the indexes of ${name}: ${error instanceof Error ? error.message : String(error)}`,
          {
            cause: error,
          },
        );
      }
    }
  })();
  ready.catch(() => {});

  return {
    ready,
    ...mongoFraudMeta(db),
    async createUser(user) {
      try {
        await users.insertOne({ ...user, _id: user.id });
      } catch (error) {
        if (error instanceof MongoServerError && error.code === 11000)
          throw new DuplicateKeyError(`the username ${user.username} is taken`, { cause: error });
        throw error;
      }
    },
    getUserById: async (id) => record<UserRecord>(await users.findOne({ _id: id })),
    getUserByUsername: async (username) => record<UserRecord>(await users.findOne({ username })),
    listUsers: async () =>
      (await users.find().sort({ username: 1 }).toArray()).flatMap((d) => record<UserRecord>(d) ?? []),
    countUsers: () => users.countDocuments(),
    setUserRole: async (id, role) => (await users.updateOne({ _id: id }, { $set: { role } })).matchedCount > 0,
    deleteUser: async (id) => (await users.deleteOne({ _id: id })).deletedCount > 0,

    async createApiKey(key) {
      await keys.insertOne({ ...key, _id: key.id });
    },
    findApiKey: async (keyHash) => record<ApiKeyRecord>(await keys.findOne({ keyHash })),
    listApiKeys: async () =>
      (await keys.find().sort({ _id: 1 }).toArray()).flatMap((d) => record<ApiKeyRecord>(d) ?? []),
    deleteApiKey: async (id) => (await keys.deleteOne({ _id: id })).deletedCount > 0,
    async touchApiKey(id, at) {
      // Best effort (the server calls it without awaiting): a lost "last used" time must never surface as an
      // unhandled rejection while MongoDB is unreachable.
      await keys.updateOne({ _id: id }, { $set: { lastUsedAt: at } }).catch(() => {});
    },

    async createSession(session) {
      await sessions.insertOne({ ...session, _id: session.idHash, _expires: new Date(session.expiresAt) });
    },
    getSession: async (idHash, now) =>
      record<SessionRecord>(await sessions.findOne({ _id: idHash, expiresAt: { $gt: now } })),
    async renewSession(idHash, expiresAt) {
      await sessions.updateOne({ _id: idHash }, { $set: { expiresAt, _expires: new Date(expiresAt) } });
    },
    async deleteSession(idHash) {
      await sessions.deleteOne({ _id: idHash });
    },

    async createSavedSearch(search) {
      await saved.insertOne({ ...search, _id: search.id });
    },
    listSavedSearches: async (userId) =>
      (await saved.find({ userId }).sort({ createdAt: -1, _id: -1 }).toArray()).flatMap(
        (d) => record<SavedSearchRecord>(d) ?? [],
      ),
    deleteSavedSearch: async (userId, id) => (await saved.deleteOne({ _id: id, userId })).deletedCount > 0,

    async addSearchHistory(entry, keep) {
      await history.insertOne({ ...entry, _id: entry.id, _created: new Date(entry.createdAt) });
      // Keep the newest `keep`: find what is beyond them and delete it (re-running it is harmless).
      const beyond = await history
        .find({ userId: entry.userId }, { projection: { _id: 1 } })
        .sort({ createdAt: -1, _id: -1 })
        .skip(keep)
        .toArray();
      if (beyond.length > 0) await history.deleteMany({ _id: { $in: beyond.map((d) => d._id) } });
    },
    listSearchHistory: async (userId, limit) =>
      (await history.find({ userId }).sort({ createdAt: -1, _id: -1 }).limit(limit).toArray()).flatMap(
        (d) => record<SearchHistoryRecord>(d) ?? [],
      ),

    async createUploadJob(job) {
      await jobs.insertOne({ ...job, _id: job.id });
    },
    async updateUploadJob(job) {
      await jobs.replaceOne({ _id: job.id }, { ...job, _id: job.id });
    },
    getUploadJob: async (id) => record<UploadJobRecord>(await jobs.findOne({ _id: id })),
    listUploadJobs: async (limit) =>
      (await jobs.find().sort({ createdAt: -1, _id: -1 }).limit(limit).toArray()).flatMap(
        (d) => record<UploadJobRecord>(d) ?? [],
      ),
    countUploadJobs: (range) =>
      jobs.countDocuments({ createdAt: { $gte: range?.from ?? 0, $lt: range?.to ?? Number.MAX_SAFE_INTEGER } }),

    async createAlertRule(rule) {
      await rules.insertOne({ ...rule, _id: rule.id });
    },
    async updateAlertRule(rule) {
      await rules.replaceOne({ _id: rule.id }, { ...rule, _id: rule.id });
    },
    listAlertRules: async () =>
      (await rules.find().sort({ createdAt: 1, _id: 1 }).toArray()).flatMap((d) => record<AlertRuleRecord>(d) ?? []),
    deleteAlertRule: async (id) => (await rules.deleteOne({ _id: id })).deletedCount > 0,

    async addAuditRecord(entry) {
      await audit.insertOne({ ...entry, _id: entry.id });
    },
    listAuditRecords: async (limit) =>
      (await audit.find().sort({ at: -1, _id: -1 }).limit(limit).toArray()).flatMap(
        (d) => record<AuditRecord>(d) ?? [],
      ),
    async addNotification(record, keep) {
      await notifications.insertOne({ ...record, _id: record.id });
      const beyond = await notifications
        .find({}, { projection: { _id: 1 } })
        .sort({ at: -1, _id: -1 })
        .skip(keep)
        .toArray();
      if (beyond.length > 0) await notifications.deleteMany({ _id: { $in: beyond.map((d) => d._id) } });
    },
    listNotifications: async ({ ruleId, channel, limit }) =>
      (
        await notifications
          .find({ ...(ruleId !== undefined ? { ruleId } : {}), ...(channel !== undefined ? { channel } : {}) })
          .sort({ at: -1, _id: -1 })
          .limit(limit)
          .toArray()
      ).flatMap((d) => record<NotificationRecord>(d) ?? []),

    getSetting: async (key) => (await settingsColl.findOne({ _id: key }))?.value,
    async setSetting(key, value) {
      await settingsColl.updateOne({ _id: key }, { $set: { value } }, { upsert: true });
    },

    async close() {
      if (closed) return;
      closed = true;
      await ready.catch(() => {});
      if (owned) await client.close();
    },
  };
}
