export { createMongoMetaStore, databaseOfUrl, META_INDEXES } from './meta-store.js';
export type { MongoMetaStore, MongoMetaStoreOptions } from './meta-store.js';
