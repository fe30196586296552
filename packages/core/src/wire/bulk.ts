import { z } from 'zod';

/** A problem with one field of a rejected line: `path` as `formatPath` renders it, and what is wrong. */
export const BulkIssueSchema = z.object({ path: z.string(), message: z.string() });

/** What became of one line of a `_bulk` body. */
export const BULK_RESULTS = ['created', 'duplicate', 'error'] as const;

/**
 * An item of the Shoplog `_bulk` reply: one line, 1-based (blank lines counted), its id when it had one, its status
 * and result, and for a rejected line (400: retrying it cannot help) the issues.
 */
export const BulkItemSchema = z.object({
  line: z.int().positive().describe('1-based line of the body (blank lines counted)'),
  id: z.string().nullable().describe('event.id of the line, when it had one'),
  status: z.int().describe('201 created, 200 duplicate, 400 rejected'),
  result: z.enum(BULK_RESULTS),
  issues: z.array(BulkIssueSchema).optional(),
});

/**
 * The reply of the reference server's `POST /api/logs/_bulk` (NDJSON, one event per line): the counts
 * (created + duplicates + failed = the non-blank lines), then the items. The server lists the rejected lines only
 * (the errors-only form): a line not listed was stored now or already was; the full form lists every line. Keys may
 * come in any order.
 */
export const BulkReplySchema = z.object({
  took: z.int().nonnegative().describe('Milliseconds spent'),
  errors: z.boolean().describe('Some line was rejected (`failed` > 0)'),
  created: z.int().nonnegative().describe('Lines stored now'),
  duplicates: z.int().nonnegative().describe('Lines whose event.id was already stored (not an error)'),
  failed: z.int().nonnegative().describe('Lines rejected (see their items)'),
  items: z.array(BulkItemSchema).describe('The rejected lines, in line order (every line in the full form)'),
});

/** The reply of `POST /api/logs/_bulk`. */
export type BulkReply = z.infer<typeof BulkReplySchema>;
/** An item of `BulkReply`. */
export type BulkItem = z.infer<typeof BulkItemSchema>;

/** The actions of the Elasticsearch bulk API. */
export const ES_BULK_ACTIONS = ['index', 'create', 'update', 'delete'] as const;
/** One of `ES_BULK_ACTIONS`. */
export type EsBulkAction = (typeof ES_BULK_ACTIONS)[number];

/**
 * The metadata of an Elasticsearch bulk action line (`{"create": {"_index": …, "_id": …}}`). Other keys are kept
 * and ignored (winston-elasticsearch sends its retry count there); `_index` and `_id` of another type are ignored
 * rather than refused, as before: an `_id` number is read as its decimal string.
 */
export const EsBulkActionMetaSchema = z.looseObject({
  _index: z.string().optional().catch(undefined),
  _id: z
    .union([z.string(), z.number().transform(String)])
    .optional()
    .catch(undefined),
  op_type: z.string().optional().catch(undefined),
});

/** An Elasticsearch bulk action line: one of `ES_BULK_ACTIONS` as a key, with its metadata. */
export const EsBulkActionLineSchema = z.looseObject(
  Object.fromEntries(ES_BULK_ACTIONS.map((action) => [action, EsBulkActionMetaSchema.optional()])) as Record<
    EsBulkAction,
    z.ZodOptional<typeof EsBulkActionMetaSchema>
  >,
);

/** The error of a refused Elasticsearch bulk item. */
export const EsBulkItemErrorSchema = z.looseObject({
  type: z.string(),
  reason: z.string(),
  index: z.string().optional(),
});

/** The result of one Elasticsearch bulk operation: `_index`, `_id`, `status` and either `result` or `error`. */
export const EsBulkItemResultSchema = z.looseObject({
  _index: z.string(),
  _id: z.string(),
  status: z.int(),
  _version: z.int().optional(),
  result: z.string().optional(),
  _shards: z.object({ total: z.int(), successful: z.int(), failed: z.int() }).optional(),
  error: EsBulkItemErrorSchema.optional(),
});

/**
 * The Elasticsearch bulk reply the Elasticsearch-compatible `POST /_bulk` emits: one item per operation, in order,
 * each keyed by its action.
 */
export const EsBulkReplySchema = z.object({
  took: z.int().nonnegative(),
  errors: z.boolean(),
  items: z.array(z.partialRecord(z.enum(ES_BULK_ACTIONS), EsBulkItemResultSchema)),
});

/** The reply of the Elasticsearch-compatible bulk API. */
export type EsBulkReply = z.infer<typeof EsBulkReplySchema>;
/** An item of `EsBulkReply`. */
export type EsBulkItemResult = z.infer<typeof EsBulkItemResultSchema>;
