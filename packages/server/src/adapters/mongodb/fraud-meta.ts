import { MongoServerError } from 'mongodb';
import type { Db, Document, IndexDescription } from 'mongodb';
import {
  DuplicateKeyError,
  type FraudLabelKind,
  type FraudLabelRecord,
  type FraudMetaStore,
  type FraudModelRecord,
} from '../../ports.js';

/** Indexes of the fraud label and model collections. */
export const FRAUD_META_INDEXES: Record<string, IndexDescription[]> = {
  fraud_labels: [{ key: { at: 1 }, name: 'at' }],
  fraud_models: [{ key: { createdAt: -1 }, name: 'created' }],
};

const LABELS: readonly FraudLabelKind[] = ['chargeback', 'confirmed_fraud', 'legitimate'];

/** Gives back the port's record without `_id`. */
function strip<T>(doc: Document | null): T | undefined {
  if (!doc) return undefined;
  const { _id: _ignored, ...rest } = doc;
  return rest as T;
}

/** The fraud label and model methods of the MongoDB metadata store: one document per transaction label or model version. */
export function mongoFraudMeta(db: Db): FraudMetaStore {
  const labels = db.collection<FraudLabelRecord & { _id: string }>('fraud_labels');
  const models = db.collection<FraudModelRecord & { _id: string }>('fraud_models');
  return {
    async putFraudLabel(record) {
      try {
        await labels.insertOne({ ...record, _id: record.transactionId });
        return 'created';
      } catch (error) {
        if (!(error instanceof MongoServerError && error.code === 11000)) throw error;
      }
      // Replaced only when it holds another label: posting the same label again leaves the first record as it was.
      const other = LABELS.filter((l) => l !== record.label);
      const result = await labels.replaceOne({ _id: record.transactionId, label: { $in: other } }, { ...record });
      return result.matchedCount > 0 ? 'replaced' : 'unchanged';
    },
    getFraudLabel: async (id) => strip<FraudLabelRecord>(await labels.findOne({ _id: id })),
    listFraudLabels: async ({ from, to, limit }) =>
      (
        await labels
          .find({ at: { $gte: from ?? 0, $lt: to ?? Number.MAX_SAFE_INTEGER } })
          .sort({ at: 1, _id: 1 })
          .limit(limit)
          .toArray()
      ).flatMap((d) => strip<FraudLabelRecord>(d) ?? []),
    countFraudLabels: () => labels.countDocuments(),
    async addFraudModel(record) {
      try {
        await models.insertOne({ ...record, _id: record.version });
      } catch (error) {
        if (error instanceof MongoServerError && error.code === 11000)
          throw new DuplicateKeyError(`model version ${record.version} exists`, { cause: error });
        throw error;
      }
    },
    getFraudModel: async (version) => strip<FraudModelRecord>(await models.findOne({ _id: version })),
    listFraudModels: async (limit) =>
      (await models.find().sort({ createdAt: -1, _id: -1 }).limit(limit).toArray()).flatMap(
        (d) => strip<FraudModelRecord>(d) ?? [],
      ),
  };
}
