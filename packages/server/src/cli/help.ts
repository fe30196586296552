import { SETTINGS } from '../config.js';

/** The commands of `shoplog`, in the order the usage lists them. */
export const COMMANDS = ['serve', 'generate', 'keys', 'import', 'erase', 'backup', 'restore', 'vacuum'] as const;
/** A command name. */
export type Command = (typeof COMMANDS)[number];

const DATA_DIR = `  --data-dir DIR   the data folder (default: SHOPLOG_DATA_DIR, else ./.shoplog-data)`;

/** What `shoplog <command> --help` prints. */
export const COMMAND_HELP: Record<Command, string> = {
  serve: `usage: shoplog serve [--demo] [--data-dir DIR]

Starts the server: HTTP API and dashboard, TCP/UDP JSON-lines ingest. On the first start in a data folder it
creates the user admin and an admin API key and prints both once. One server at a time per data folder.

  --demo           load 5 000 generated sample events (7 days, all five kinds) once
${DATA_DIR}

settings (environment variables; SHOPLOG_CONFIG=file.json for a config file):
${SETTINGS.map((s) => `  ${s.env.padEnd(32)} ${s.default.padEnd(18)} ${s.description}`).join('\n')}
scale-out (each needs its client package installed beside @shoplog/server):
  SHOPLOG_STORE=elasticsearch + ELASTICSEARCH_URL    events in Elasticsearch  (npm install @elastic/elasticsearch)
  REDIS_URL                                          cache, velocity, limits  (npm install ioredis)
  MONGODB_URL                                        users, keys, metadata    (npm install mongodb)`,
  generate: `usage: shoplog generate [-n N] [-o FILE] [--rate R] [--days D]

Writes realistic NDJSON traffic: sessions, carts, checkouts, latencies, errors, and the payments of
@shoplog/core's labelled traffic generator (customers with habits, fraud scenarios such as card testing,
account takeover, stolen cards), each with the verdict of core's default fraud scorer and its scenario in
labels.scenario.

  -n N        number of events (default 1000)
  -o FILE     write to FILE (default: stdout)
  --rate R    at most R events per second (default: as fast as possible)
  --days D    spread the timestamps over the last D days (default 7)`,
  keys: `usage: shoplog keys create --scope ingest|read|metrics|admin [--name NAME] [--data-dir DIR]

Creates an API key in the server's metadata store and prints it once on stdout (nothing else goes to stdout,
so KEY=$(shoplog keys create --scope ingest) works). The data folder must be one a server has already started
in (it holds meta.db); with MONGODB_URL set the key is created in MongoDB.

  --scope S        ingest (send events), read (search, dashboards), metrics (GET /metrics) or admin (everything)
  --name NAME      a label shown in the key list (default: cli)
${DATA_DIR}`,
  import: `usage: shoplog import FILE [--data-dir DIR]

Ingests a JSON array, NDJSON or CSV file (gzip accepted) into the data folder, through the same path as HTTP
ingest (transactions are scored unless SHOPLOG_FRAUD_SCORING=off). Each rejected line is reported on stderr with
its reason. Exits 1 when nothing was imported. While a server runs on the folder, upload through it instead
(POST /api/logs/upload).

${DATA_DIR}`,
  erase: `usage: shoplog erase --user ID | --email ADDR [--server URL] [--data-dir DIR]

Erases a person's events (GDPR art. 17) and records an audit entry (a keyed hash of the identifier, never the
identifier). Without --server, in the data folder, refused while a server runs on it; with --server, through
that running server (POST /api/admin/erase, an admin key in SHOPLOG_API_KEY).

  --user ID        every event whose user.id is ID
  --email ADDR     every event that holds the address, and every event of the user ids seen with it
  --server URL     erase through the server at URL
${DATA_DIR}`,
  backup: `usage: shoplog backup DIR [--data-dir DIR]

Copies the data folder's databases (events.db, its two index files, meta.db) into the empty folder DIR with
SQLite's online backup, also while the server runs and ingests, and writes manifest.json (sizes, SHA-256).

${DATA_DIR}`,
  restore: `usage: shoplog restore DIR [--force] [--data-dir DIR]

Checks a backup against its manifest and restores it into the data folder. Refused while a server runs on the
folder.

  --force          replace the databases the data folder already holds
${DATA_DIR}`,
  vacuum: `usage: shoplog vacuum [--data-dir DIR]

Compacts the data folder's databases and turns on incremental vacuum for files created before it (each file's
size must be free on the disk). Refused while a server runs on the folder.

${DATA_DIR}`,
};

/** What `shoplog --help` prints. */
export const USAGE = `usage: shoplog <command> [options]

commands:
  serve      start the server (API, dashboard, ingest)
  generate   write realistic NDJSON traffic
  keys       create an API key (keys create --scope ingest|read|metrics|admin)
  import     ingest a JSON, NDJSON or CSV file into the data folder
  erase      erase a person's events (GDPR art. 17)
  backup     copy the data folder's databases, also while the server runs
  restore    restore a backup into the data folder
  vacuum     compact the data folder's databases

  shoplog <command> --help   options of a command
  shoplog --version          the version of @shoplog/server`;
