// A local bulk endpoint for the transport benchmarks, run as its own process (its CPU is not the logger's).
// It answers both protocols on one port, so Shoplog and the peers write to the same server:
//   POST /_bulk, /<index>/_bulk   Elasticsearch bulk (action + source line pairs)    → ES-shaped reply
//   POST /api/logs/_bulk          Shoplog bulk ingest (one event per line, gzip ok)  → Shoplog reply
//   GET|HEAD /, /_cluster/health, /_index_template/*, …  plausible ES answers (peers probe them at start)
//   GET /_fake/stats, POST /_fake/reset                   counters: docs, unique ids, duplicates, order
// Usage: node fake-bulk.mjs [port=0] → prints `listening <port>`.
import { createServer } from 'node:http';
import { gunzipSync } from 'node:zlib';

const ES_HEADERS = { 'content-type': 'application/json', 'x-elastic-product': 'Elasticsearch' };
let stats;
function reset() {
  stats = { docs: 0, unique: 0, dupes: 0, outOfOrder: 0, requests: 0, bytes: 0, lastDocAt: 0, firstDocAt: 0 };
  ids.clear();
  lastSeq.clear();
}
const ids = new Set();
const lastSeq = new Map();
reset();

const ID = /"(?:_id|id)":"([0-9a-f-]{36})"/;
// A sequence number: `labels.seq` of the transaction records (per producer), or the `ord_<n>` order id of the peer
// survey's record `{ orderId, amount, userId }`.
const SEQ = /"producer":"([^"]*)","seq":"?(\d+)|"seq":"?(\d+)|"orderId":"ord_(\d+)"/;

/** Counts one document: duplicates by id (when it has one), order by its sequence number (per producer). */
function count(line) {
  stats.docs++;
  const id = ID.exec(line)?.[1];
  if (id) {
    if (ids.has(id)) stats.dupes++;
    else {
      ids.add(id);
      stats.unique++;
    }
  } else stats.unique++;
  const m = SEQ.exec(line);
  if (m) {
    const producer = m[1] ?? '';
    const seq = Number(m[2] ?? m[3] ?? m[4]);
    const prev = lastSeq.get(producer);
    if (prev !== undefined && seq < prev) stats.outOfOrder++;
    lastSeq.set(producer, seq);
  }
}

function json(res, status, body, headers = ES_HEADERS) {
  const text = JSON.stringify(body);
  res.writeHead(status, { ...headers, 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

const server = createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    let body = Buffer.concat(chunks);
    const path = req.url.split('?')[0];
    if (path === '/_fake/stats') return json(res, 200, { ...stats, cpuMs: process.cpuUsage().user / 1000 });
    if (path === '/_fake/reset') {
      reset();
      return json(res, 200, { ok: true });
    }
    if (req.method === 'POST' && (path === '/api/logs/_bulk' || /^(\/[^/_][^/]*)?\/_bulk$/.test(path))) {
      stats.requests++;
      stats.bytes += body.length;
      if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
      const lines = body.toString('utf8').split('\n');
      const now = Date.now();
      if (path === '/api/logs/_bulk') {
        const items = [];
        let duplicates = 0;
        for (const line of lines) {
          if (!line) continue;
          const before = stats.dupes;
          count(line);
          const id = ID.exec(line)?.[1] ?? null;
          if (stats.dupes > before) duplicates++;
          items.push(
            stats.dupes > before
              ? { line: items.length + 1, id, status: 200, result: 'duplicate' }
              : { line: items.length + 1, id, status: 201, result: 'created' },
          );
        }
        stats.firstDocAt ||= now;
        stats.lastDocAt = now;
        // The reference server's reply: the counts, then the rejected lines only (none here). FAKE_BULK_REPLY=full lists
        // every line after the counts (the server's reply before it listed rejected lines only); =items, every line
        // without counts (the reply before the counts).
        const form = process.env.FAKE_BULK_REPLY ?? 'errors';
        const counts = form === 'items' ? {} : { created: items.length - duplicates, duplicates, failed: 0 };
        const listed = form === 'errors' ? [] : items;
        return json(
          res,
          200,
          { took: 1, errors: false, ...counts, items: listed },
          { 'content-type': 'application/json' },
        );
      }
      const items = [];
      for (let i = 0; i < lines.length; i++) {
        const action = lines[i];
        if (!action) continue;
        const op = action.startsWith('{"create"') ? 'create' : 'index';
        const doc = lines[++i] ?? '';
        count(doc);
        items.push({
          [op]: { _index: 'bench', _id: ID.exec(action)?.[1] ?? String(stats.docs), status: 201, result: 'created' },
        });
      }
      stats.firstDocAt ||= now;
      stats.lastDocAt = now;
      return json(res, 200, { took: 1, errors: false, items });
    }
    if (path === '/' || path === '')
      return json(res, 200, {
        name: 'fake',
        cluster_name: 'bench',
        version: { number: '9.1.0', build_flavor: 'default' },
        tagline: 'You Know, for Search',
      });
    if (path === '/_cluster/health') return json(res, 200, { status: 'green' });
    if (path.startsWith('/_index_template/') && req.method === 'GET') return json(res, 200, { index_templates: [] });
    return json(res, 200, { acknowledged: true });
  });
});
server.keepAliveTimeout = 60_000;
server.listen(Number(process.argv[2] ?? 0), '127.0.0.1', () => console.log(`listening ${server.address().port}`));
