import type { estypes } from '@elastic/elasticsearch';
import { DATASETS, EVENT_KINDS, parseOptions } from '@shoplog/core';
import type { EventKind } from '@shoplog/core';
import { z } from 'zod';
import { EVENT_MAPPINGS } from './mappings.js';

/** How often the data streams make new documents searchable (the index setting `refresh_interval`). */
export const REFRESH_INTERVAL_MS = 1000;

/**
 * Version of the shipped templates and policy. Bump it whenever a resource changes: the installer replaces a
 * resource only when the installed `version` differs, so restarts cost one GET per resource and no writes.
 */
export const ES_RESOURCES_VERSION = 2;

/** Options of the Elasticsearch resources (templates, policy, data stream names). */
export interface EsResourceOptions {
  /** Data stream namespace: `logs-shoplog.<type>-<namespace>`. @default 'default' */
  namespace?: string;
  /** Days before backing indices are deleted by the ILM policy (0: never). @default 30 */
  retentionDays?: number;
  /**
   * Per-kind retention in days overriding `retentionDays` (0: never): such a kind's template names a policy of its
   * own, `shoplog-logs.<kind>`. @default {}
   */
  retentionByKind?: Partial<Record<EventKind, number>>;
  /** Replicas per primary shard; `0-1` lets a single node stay green and a cluster keep one copy. @default '0-1' */
  replicas?: string;
}

const OptionsSchema = z.strictObject({
  // Elasticsearch data stream naming scheme: lower case, no `-`, `\`, `/`, `*`, `?`, `"`, `<`, `>`, `|`, ` `, `,`, `#`.
  namespace: z
    .string()
    .regex(/^[a-z0-9_.]{1,100}$/, 'must be 1 to 100 characters of a-z, 0-9, `_` and `.` (no `-`)')
    .default('default'),
  retentionDays: z.int().min(0).max(36_500).default(30),
  retentionByKind: z.partialRecord(z.enum(EVENT_KINDS), z.int().min(0).max(36_500)).default({}),
  replicas: z
    .string()
    .regex(/^\d+(?:-(?:\d+|all))?$/, "must be like '1' or '0-1'")
    .default('0-1'),
});

/** Parsed resource options. */
export type ResolvedEsResourceOptions = z.output<typeof OptionsSchema>;

/** Parses resource options once; throws one error naming the bad option. */
export function parseEsResourceOptions(options: EsResourceOptions = {}): ResolvedEsResourceOptions {
  return parseOptions('installEsResources', OptionsSchema, options);
}

/** Name of the ILM policy shared by every Shoplog data stream. */
export const ILM_POLICY_NAME = 'shoplog-logs';
/** Name of the settings component template. */
export const SETTINGS_COMPONENT_NAME = 'shoplog@settings';
/** Name of the mappings component template. */
export const MAPPINGS_COMPONENT_NAME = 'shoplog@mappings';

/** The data stream that holds events of a kind: `logs-shoplog.transaction-default`, … */
export function dataStreamName(kind: EventKind, namespace = 'default'): string {
  return `logs-${DATASETS[kind]}-${namespace}`;
}

/** Index pattern matching every Shoplog data stream of a namespace (for searches across kinds). */
export function dataStreamPattern(namespace = 'default'): string {
  return `logs-shoplog.*-${namespace}`;
}

/** Name of the index template of a kind. */
export function indexTemplateName(kind: EventKind): string {
  return `logs-${DATASETS[kind]}`;
}

const meta = { managed_by: 'shoplog', description: 'Installed by @shoplog/server; edits are replaced on upgrade.' };

/** The ILM policy of a kind with its own retention (`retentionByKind`). */
export function kindPolicyName(kind: EventKind): string {
  return `${ILM_POLICY_NAME}.${kind}`;
}

/** The kinds whose retention differs from the default, with their days. */
function overriddenKinds(options: ResolvedEsResourceOptions): [EventKind, number][] {
  return EVENT_KINDS.flatMap((kind) => {
    const days = options.retentionByKind[kind];
    return days === undefined || days === options.retentionDays ? [] : [[kind, days] as [EventKind, number]];
  });
}

/** The ILM policy: roll over daily or at 50 GB per primary shard, delete after the retention (kept forever at 0). */
export function ilmPolicy(
  options: ResolvedEsResourceOptions,
  name = ILM_POLICY_NAME,
  retentionDays = options.retentionDays,
): estypes.IlmPutLifecycleRequest {
  return {
    name,
    policy: {
      _meta: { ...meta, version: ES_RESOURCES_VERSION },
      phases: {
        hot: {
          min_age: '0ms',
          actions: { rollover: { max_age: '1d', max_primary_shard_size: '50gb' }, set_priority: { priority: 100 } },
        },
        warm: { min_age: '7d', actions: { forcemerge: { max_num_segments: 1 }, set_priority: { priority: 50 } } },
        ...(retentionDays > 0 ? { delete: { min_age: `${retentionDays}d`, actions: { delete: {} } } } : {}),
      },
    },
  };
}

/** Component templates: index settings (ILM, codec, replicas) and the event mappings. */
export function componentTemplates(options: ResolvedEsResourceOptions): estypes.ClusterPutComponentTemplateRequest[] {
  return [
    {
      name: SETTINGS_COMPONENT_NAME,
      version: ES_RESOURCES_VERSION,
      _meta: meta,
      template: {
        settings: {
          index: {
            lifecycle: { name: ILM_POLICY_NAME },
            codec: 'best_compression',
            auto_expand_replicas: options.replicas,
            refresh_interval: '1s', // = REFRESH_INTERVAL_MS
            mapping: { total_fields: { limit: 2000 } },
            // Full-text search without a field goes to the fields people search by default.
            query: { default_field: ['message', 'error.message', 'shop.search.query', 'shop.product.name'] },
          },
        },
      },
    },
    {
      name: MAPPINGS_COMPONENT_NAME,
      version: ES_RESOURCES_VERSION,
      _meta: meta,
      template: { mappings: EVENT_MAPPINGS },
    },
  ];
}

/**
 * One index template per kind, for `logs-shoplog.<kind>-*`: priority 200 beats the built-in `logs` template
 * (100). `event.dataset` becomes a `constant_keyword`, so filtering by kind costs nothing per document.
 */
export function indexTemplates(
  options: ResolvedEsResourceOptions = parseEsResourceOptions(),
): estypes.IndicesPutIndexTemplateRequest[] {
  const own = new Map(overriddenKinds(options));
  return EVENT_KINDS.map((kind) => ({
    name: indexTemplateName(kind),
    index_patterns: [`logs-${DATASETS[kind]}-*`],
    data_stream: {},
    priority: 200,
    version: ES_RESOURCES_VERSION,
    _meta: { ...meta, kind },
    composed_of: [SETTINGS_COMPONENT_NAME, MAPPINGS_COMPONENT_NAME],
    template: {
      // A kind with its own retention names its own policy (over the settings component's default).
      ...(own.has(kind) ? { settings: { index: { lifecycle: { name: kindPolicyName(kind) } } } } : {}),
      mappings: {
        properties: {
          event: { type: 'object', properties: { dataset: { type: 'constant_keyword', value: DATASETS[kind] } } },
        },
      },
    },
  }));
}

/** Everything the server installs at start, in dependency order. */
export interface EsResources {
  /** The ILM policy. */
  ilmPolicy: estypes.IlmPutLifecycleRequest;
  /** The policies of the kinds with a retention of their own (`retentionByKind`), `shoplog-logs.<kind>`. */
  kindPolicies: estypes.IlmPutLifecycleRequest[];
  /** The component templates (before the index templates that compose them). */
  componentTemplates: estypes.ClusterPutComponentTemplateRequest[];
  /** The index templates, one per kind. */
  indexTemplates: estypes.IndicesPutIndexTemplateRequest[];
}

/** Builds every resource for the given options. */
export function esResources(options: EsResourceOptions = {}): EsResources {
  const resolved = parseEsResourceOptions(options);
  return {
    ilmPolicy: ilmPolicy(resolved),
    kindPolicies: overriddenKinds(resolved).map(([kind, days]) => ilmPolicy(resolved, kindPolicyName(kind), days)),
    componentTemplates: componentTemplates(resolved),
    indexTemplates: indexTemplates(resolved),
  };
}
