/**
 * A tiny MongoDB wire-protocol responder for tests, on 127.0.0.1: it speaks OP_MSG (and the legacy OP_QUERY
 * handshake) with BSON from the driver's own `BSON`, records every command, and answers the commands the
 * metadata store sends from in-memory collections (insert with unique indexes, find with sort/skip/limit and
 * simple operators, update with `$set`/replacement/upsert, delete, count aggregation, createIndexes, collMod of an
 * index's TTL). createIndexes behaves as MongoDB's does for what the store relies on: an index that exists with the
 * same name, key and options is a no-op; the same name or key with other options fails the whole command with
 * IndexOptionsConflict (code 85), creating nothing.
 * It is not MongoDB: it lets the official driver run its real code path over a real socket, so the commands,
 * filters and index specs the adapter sends are checked, and the adapter's logic is exercised end to end.
 */
import { createServer } from 'node:net';
import type { AddressInfo, Socket } from 'node:net';
import { BSON } from 'mongodb';
import type { Document } from 'mongodb';

const OP_REPLY = 1;
const OP_QUERY = 2004;
const OP_MSG = 2013;

/** A command the driver sent (sections of kind 1 merged in as arrays). */
export interface RecordedCommand {
  name: string;
  db: string;
  body: Document;
}

type Doc = Record<string, unknown>;

const cmp = (a: unknown, b: unknown): number => {
  if (a instanceof Date) a = a.getTime();
  if (b instanceof Date) b = b.getTime();
  if (a === b) return 0;
  if (a === undefined || a === null) return -1;
  if (b === undefined || b === null) return 1;
  return (a as number) < (b as number) ? -1 : 1;
};

/** Same document, whatever the key order (index specs as the driver sends them). */
function sameJson(a: unknown, b: unknown): boolean {
  const canonical = (value: unknown): unknown =>
    value && typeof value === 'object' && !Array.isArray(value)
      ? Object.fromEntries(
          Object.entries(value as Doc)
            .sort(([x], [y]) => (x < y ? -1 : 1))
            .map(([k, v]) => [k, canonical(v)]),
        )
      : value;
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

function matches(doc: Doc, filter: Doc): boolean {
  return Object.entries(filter).every(([field, condition]) => {
    const value = doc[field];
    if (condition && typeof condition === 'object' && !(condition instanceof Date) && !Array.isArray(condition)) {
      return Object.entries(condition as Doc).every(([op, arg]) => {
        switch (op) {
          case '$gt':
            return value !== undefined && cmp(value, arg) > 0;
          case '$gte':
            return value !== undefined && cmp(value, arg) >= 0;
          case '$lt':
            return value !== undefined && cmp(value, arg) < 0;
          case '$lte':
            return value !== undefined && cmp(value, arg) <= 0;
          case '$in':
            return (arg as unknown[]).some((x) => cmp(x, value) === 0);
          case '$eq':
            return cmp(value, arg) === 0;
          default:
            throw new Error(`mongo-wire: unsupported operator ${op}`);
        }
      });
    }
    return cmp(value, condition) === 0;
  });
}

/** An in-memory MongoDB answering on 127.0.0.1; `url` is ready once `start()` resolves. */
export function createMongoWireServer() {
  const commands: RecordedCommand[] = [];
  const data = new Map<string, Doc[]>();
  const uniques = new Map<string, string[][]>();
  const indexSpecs = new Map<string, Document[]>();
  const coll = (db: string, name: string): Doc[] => {
    const key = `${db}.${name}`;
    if (!data.has(key)) data.set(key, []);
    return data.get(key)!;
  };
  const violates = (db: string, name: string, doc: Doc, except?: Doc): string | undefined => {
    const key = `${db}.${name}`;
    for (const fields of [['_id'], ...(uniques.get(key) ?? [])]) {
      if (coll(db, name).some((other) => other !== except && fields.every((f) => cmp(other[f], doc[f]) === 0)))
        return fields.join(',');
    }
    return undefined;
  };
  const sortDocs = (docs: Doc[], sort: Doc | undefined): Doc[] => {
    if (!sort) return docs;
    return [...docs].sort((a, b) => {
      for (const [field, dir] of Object.entries(sort)) {
        const c = cmp(a[field], b[field]);
        if (c !== 0) return c * (dir as number);
      }
      return 0;
    });
  };

  const handle = (db: string, body: Document): Document => {
    const name = Object.keys(body)[0]!;
    commands.push({ name, db, body });
    const target = String(body[name]);
    switch (name.toLowerCase()) {
      case 'hello':
      case 'ismaster':
        return {
          helloOk: true,
          isWritablePrimary: true,
          ismaster: true,
          maxBsonObjectSize: 16_777_216,
          maxMessageSizeBytes: 48_000_000,
          maxWriteBatchSize: 100_000,
          localTime: new Date(),
          logicalSessionTimeoutMinutes: 30,
          connectionId: 1,
          minWireVersion: 0,
          maxWireVersion: 21,
          readOnly: false,
          ok: 1,
        };
      case 'ping':
      case 'endsessions':
      case 'buildinfo':
        return { ok: 1, version: '8.0.0' };
      case 'createindexes': {
        const ns = `${db}.${target}`;
        const existing = indexSpecs.get(ns) ?? [];
        const fresh: Document[] = [];
        for (const spec of body['indexes'] as Document[]) {
          const same = existing.find((e) => e['name'] === spec['name'] || sameJson(e['key'], spec['key']));
          if (!same) fresh.push(spec);
          else if (!sameJson(same, spec)) {
            return {
              ok: 0,
              code: 85,
              codeName: 'IndexOptionsConflict',
              errmsg: `An existing index has the same name or key as the requested index. Requested index: ${JSON.stringify(spec)}, existing index: ${JSON.stringify(same)}`,
            };
          }
        }
        indexSpecs.set(ns, [...existing, ...fresh]);
        for (const spec of fresh)
          if (spec['unique']) uniques.set(ns, [...(uniques.get(ns) ?? []), Object.keys(spec['key'])]);
        return {
          ok: 1,
          createdCollectionAutomatically: false,
          numIndexesBefore: 1 + existing.length,
          numIndexesAfter: 1 + existing.length + fresh.length,
        };
      }
      case 'collmod': {
        // Only what the store sends: a TTL change of a named index.
        const change = body['index'] as Document | undefined;
        const spec = (indexSpecs.get(`${db}.${target}`) ?? []).find((e) => e['name'] === change?.['name']);
        if (!change || Object.keys(change).some((k) => k !== 'name' && k !== 'expireAfterSeconds'))
          throw new Error('mongo-wire: unsupported collMod');
        if (!spec)
          return {
            ok: 0,
            code: 27,
            codeName: 'IndexNotFound',
            errmsg: `cannot find index ${String(change['name'])} for ns ${db}.${target}`,
          };
        if (spec['expireAfterSeconds'] === undefined)
          return { ok: 0, code: 72, codeName: 'InvalidOptions', errmsg: 'no expireAfterSeconds field to update' };
        const old = spec['expireAfterSeconds'];
        spec['expireAfterSeconds'] = change['expireAfterSeconds'];
        return { expireAfterSeconds_old: old, expireAfterSeconds_new: change['expireAfterSeconds'], ok: 1 };
      }
      case 'insert': {
        const writeErrors: Document[] = [];
        let n = 0;
        (body['documents'] as Doc[]).forEach((doc, index) => {
          const clash = violates(db, target, doc);
          if (clash)
            writeErrors.push({
              index,
              code: 11000,
              errmsg: `E11000 duplicate key error collection: ${db}.${target} index: ${clash}`,
            });
          else {
            coll(db, target).push(structuredClone(doc));
            n += 1;
          }
        });
        return { n, ok: 1, ...(writeErrors.length ? { writeErrors } : {}) };
      }
      case 'find': {
        let docs = sortDocs(
          coll(db, target).filter((d) => matches(d, (body['filter'] as Doc) ?? {})),
          body['sort'] as Doc | undefined,
        );
        docs = docs.slice((body['skip'] as number) ?? 0);
        if (body['limit']) docs = docs.slice(0, Math.abs(body['limit'] as number));
        const projection = body['projection'] as Doc | undefined;
        if (projection) docs = docs.map((d) => Object.fromEntries(Object.keys(projection).map((k) => [k, d[k]])));
        return { cursor: { id: BSON.Long.fromNumber(0), ns: `${db}.${target}`, firstBatch: docs }, ok: 1 };
      }
      case 'update': {
        let n = 0;
        let nModified = 0;
        const upserted: Document[] = [];
        (body['updates'] as Document[]).forEach((spec, index) => {
          const found = coll(db, target)
            .filter((d) => matches(d, spec['q'] as Doc))
            .slice(0, spec['multi'] ? undefined : 1);
          const u = spec['u'] as Doc;
          const operator = Object.keys(u).some((k) => k.startsWith('$'));
          if (found.length === 0 && spec['upsert']) {
            coll(db, target).push({ ...(spec['q'] as Doc), ...(operator ? (u['$set'] as Doc) : u) });
            upserted.push({ index, _id: (spec['q'] as Doc)['_id'] });
            n += 1;
          }
          for (const doc of found) {
            if (operator) Object.assign(doc, u['$set'] as Doc);
            else {
              for (const k of Object.keys(doc)) if (k !== '_id') delete doc[k];
              Object.assign(doc, u);
            }
            n += 1;
            nModified += 1;
          }
        });
        return { n, nModified, ok: 1, ...(upserted.length ? { upserted } : {}) };
      }
      case 'delete': {
        let n = 0;
        for (const spec of body['deletes'] as Document[]) {
          const docs = coll(db, target);
          const hits = docs.filter((d) => matches(d, spec['q'] as Doc)).slice(0, spec['limit'] === 1 ? 1 : undefined);
          for (const hit of hits) docs.splice(docs.indexOf(hit), 1);
          n += hits.length;
        }
        return { n, ok: 1 };
      }
      case 'aggregate': {
        // countDocuments: [{ $match }, { $group: { _id: 1, n: { $sum: 1 } } }] (optionally $skip/$limit).
        let docs = coll(db, target);
        for (const stage of body['pipeline'] as Document[]) {
          if (stage['$match']) docs = docs.filter((d) => matches(d, stage['$match']));
          else if (stage['$skip'] !== undefined) docs = docs.slice(stage['$skip']);
          else if (stage['$limit'] !== undefined) docs = docs.slice(0, stage['$limit']);
          else if (stage['$group']) docs = docs.length ? [{ _id: 1, n: docs.length }] : [];
          else throw new Error(`mongo-wire: unsupported stage ${Object.keys(stage)[0]}`);
        }
        return { cursor: { id: BSON.Long.fromNumber(0), ns: `${db}.${target}`, firstBatch: docs }, ok: 1 };
      }
      default:
        return { ok: 0, errmsg: `mongo-wire: unsupported command ${name}`, code: 59, codeName: 'CommandNotFound' };
    }
  };

  const reply = (socket: Socket, requestId: number, opCode: number, doc: Document): void => {
    const bson = BSON.serialize(doc);
    const header = Buffer.alloc(16);
    const body =
      opCode === OP_MSG
        ? Buffer.concat([Buffer.alloc(4), Buffer.from([0]), bson])
        : Buffer.concat([Buffer.alloc(20), bson]);
    if (opCode === OP_REPLY) body.writeInt32LE(1, 16); // numberReturned
    header.writeInt32LE(16 + body.length, 0);
    header.writeInt32LE(Math.floor(Math.random() * 2 ** 31), 4);
    header.writeInt32LE(requestId, 8);
    header.writeInt32LE(opCode, 12);
    socket.write(Buffer.concat([header, body]));
  };

  const onMessage = (socket: Socket, message: Buffer): void => {
    const requestId = message.readInt32LE(4);
    const opCode = message.readInt32LE(12);
    if (opCode === OP_QUERY) {
      let at = 20;
      while (message[at] !== 0) at++;
      const collection = message.subarray(20, at).toString();
      const query = BSON.deserialize(message.subarray(at + 9), { promoteLongs: true });
      reply(socket, requestId, OP_REPLY, handle(collection.split('.')[0]!, (query['$query'] as Document) ?? query));
      return;
    }
    if (opCode !== OP_MSG) throw new Error(`mongo-wire: unsupported opCode ${opCode}`);
    let body: Document = {};
    const end = message.readUInt32LE(16) & 1 ? message.length - 4 : message.length;
    for (let at = 20; at < end;) {
      const kind = message[at]!;
      if (kind === 0) {
        const size = message.readInt32LE(at + 1);
        body = { ...BSON.deserialize(message.subarray(at + 1, at + 1 + size)), ...body };
        at += 1 + size;
      } else {
        const size = message.readInt32LE(at + 1);
        let p = at + 5;
        while (message[p] !== 0) p++;
        const id = message.subarray(at + 5, p).toString();
        const docs: Document[] = [];
        for (let q = p + 1; q < at + 1 + size;) {
          const docSize = message.readInt32LE(q);
          docs.push(BSON.deserialize(message.subarray(q, q + docSize)));
          q += docSize;
        }
        body[id] = docs;
        at += 1 + size;
      }
    }
    reply(socket, requestId, OP_MSG, handle(String(body['$db'] ?? 'admin'), body));
  };

  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    let buffer = Buffer.alloc(0);
    socket.on('data', (chunk) => {
      buffer = Buffer.concat([buffer, chunk]);
      while (buffer.length >= 4 && buffer.length >= buffer.readInt32LE(0)) {
        const size = buffer.readInt32LE(0);
        onMessage(socket, buffer.subarray(0, size));
        buffer = buffer.subarray(size);
      }
    });
    socket.on('error', () => {});
  });
  let url = '';
  return {
    commands,
    indexSpecs,
    data,
    get url() {
      return url;
    },
    async start(): Promise<string> {
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      url = `mongodb://127.0.0.1:${(server.address() as AddressInfo).port}/shoplog?directConnection=true`;
      return url;
    },
    async stop(): Promise<void> {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
