import type { DatabaseSync } from './node-sqlite.js';
import { DuplicateKeyError, type FraudLabelRecord, type FraudMetaStore, type FraudModelRecord } from '../ports.js';

/** Tables of the fraud labels and model versions. */
export const FRAUD_META_SCHEMA = `
CREATE TABLE IF NOT EXISTS fraud_labels (transaction_id TEXT PRIMARY KEY, at INTEGER NOT NULL, label TEXT NOT NULL, doc TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS fraud_labels_at ON fraud_labels(at);
CREATE TABLE IF NOT EXISTS fraud_models (version TEXT PRIMARY KEY, created_at INTEGER NOT NULL, doc TEXT NOT NULL);
`;

/** The fraud label and model methods of the embedded metadata store, on its database (schema created). */
export function sqliteFraudMeta(db: DatabaseSync): FraudMetaStore {
  db.exec(FRAUD_META_SCHEMA);
  const docs = <T>(sql: string, ...params: (string | number)[]): T[] =>
    (db.prepare(sql).all(...params) as { doc: string }[]).map((row) => JSON.parse(row.doc) as T);
  return {
    async putFraudLabel(record: FraudLabelRecord) {
      // One statement decides: a concurrent post of the same label finds it there (unchanged), never two rows.
      const inserted = Number(
        db
          .prepare(
            'INSERT INTO fraud_labels (transaction_id, at, label, doc) VALUES (?, ?, ?, ?) ON CONFLICT(transaction_id) DO NOTHING',
          )
          .run(record.transactionId, record.at, record.label, JSON.stringify(record)).changes,
      );
      if (inserted > 0) return 'created';
      const replaced = Number(
        db
          .prepare('UPDATE fraud_labels SET at = ?, label = ?, doc = ? WHERE transaction_id = ? AND label <> ?')
          .run(record.at, record.label, JSON.stringify(record), record.transactionId, record.label).changes,
      );
      return replaced > 0 ? 'replaced' : 'unchanged';
    },
    getFraudLabel: async (id) => docs<FraudLabelRecord>('SELECT doc FROM fraud_labels WHERE transaction_id = ?', id)[0],
    listFraudLabels: async ({ from, to, limit }) =>
      docs<FraudLabelRecord>(
        'SELECT doc FROM fraud_labels WHERE at >= ? AND at < ? ORDER BY at, transaction_id LIMIT ?',
        from ?? 0,
        to ?? Number.MAX_SAFE_INTEGER,
        limit,
      ),
    countFraudLabels: async () => (db.prepare('SELECT COUNT(*) AS n FROM fraud_labels').get() as { n: number }).n,
    async addFraudModel(record: FraudModelRecord) {
      try {
        db.prepare('INSERT INTO fraud_models (version, created_at, doc) VALUES (?, ?, ?)').run(
          record.version,
          record.createdAt,
          JSON.stringify(record),
        );
      } catch (error) {
        if ((error as { errcode?: unknown }).errcode === 1555)
          throw new DuplicateKeyError(`model version ${record.version} exists`, { cause: error });
        throw error;
      }
    },
    getFraudModel: async (version) =>
      docs<FraudModelRecord>('SELECT doc FROM fraud_models WHERE version = ?', version)[0],
    listFraudModels: async (limit) =>
      docs<FraudModelRecord>('SELECT doc FROM fraud_models ORDER BY created_at DESC, rowid DESC LIMIT ?', limit),
  };
}
