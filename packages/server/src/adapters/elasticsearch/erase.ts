import type { Client, estypes } from '@elastic/elasticsearch';
import type { ErasureResult, ErasureSubject } from '../../ports.js';
import { toStoreError } from './bulk.js';

/** Most user ids (and e-mails) of one person looked up before the deletion. */
const LINKED_LIMIT = 1_000;

/**
 * Erases a person's events with `_delete_by_query` over every Shoplog data stream (GDPR art. 17): by `user.id`, or by
 * e-mail — `user.email` (case-insensitive) or the address in the message — together with the events of the user ids
 * seen with that address. The user ids and e-mails found are returned for the fraud state. `refresh` makes the
 * deletion visible to the next search; conflicts (a document written meanwhile) do not abort the rest.
 */
export async function eraseFromElasticsearch(
  client: Client,
  index: string,
  subject: ErasureSubject,
): Promise<ErasureResult> {
  const own: estypes.QueryDslQueryContainer =
    'userId' in subject
      ? { term: { 'user.id': subject.userId } }
      : {
          bool: {
            should: [
              { term: { 'user.email': { value: subject.email, case_insensitive: true } } },
              { match_phrase: { message: subject.email } },
            ],
            minimum_should_match: 1,
          },
        };
  try {
    const found = await client.search({
      index,
      size: 0,
      query: own,
      aggs: {
        users: { terms: { field: 'user.id', size: LINKED_LIMIT } },
        emails: { terms: { field: 'user.email', size: LINKED_LIMIT } },
      },
      ignore_unavailable: true,
      allow_no_indices: true,
    });
    const keys = (name: string): string[] =>
      (
        (found.aggregations?.[name] as estypes.AggregationsStringTermsAggregate | undefined)?.buckets as
          estypes.AggregationsStringTermsBucket[] | undefined
      )?.map((b) => String(b.key)) ?? [];
    const userIds = [
      ...new Set(
        ['userId' in subject ? subject.userId : undefined, ...keys('users')].filter(
          (id): id is string => id !== undefined,
        ),
      ),
    ];
    const emails = [
      ...new Set(
        ['email' in subject ? subject.email : undefined, ...keys('emails').map((e) => e.toLowerCase())].filter(
          (e): e is string => e !== undefined,
        ),
      ),
    ];
    const query: estypes.QueryDslQueryContainer =
      'userId' in subject
        ? own
        : {
            bool: {
              should: [own, ...(userIds.length > 0 ? [{ terms: { 'user.id': userIds } }] : [])],
              minimum_should_match: 1,
            },
          };
    const deleted = await client.deleteByQuery({
      index,
      query,
      conflicts: 'proceed',
      refresh: true,
      ignore_unavailable: true,
      allow_no_indices: true,
    });
    return { events: deleted.deleted ?? 0, userIds, emails };
  } catch (error) {
    throw toStoreError(error, 'erasure');
  }
}
