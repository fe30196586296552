/**
 * The generated files of infra/: Elasticsearch resources as the JSON bodies of their PUT requests (from the
 * server's typed module, the single source) and the Kibana saved objects. `pnpm infra:generate` writes them;
 * `pnpm infra:check` fails when a committed file differs from what this produces.
 */
import { esResources } from '../../packages/server/src/adapters/elasticsearch/resources.js';
import { kibanaSavedObjects } from './kibana-objects.js';

const json = (value: unknown): string => `${JSON.stringify(value, null, 2)}\n`;

/** Path (relative to infra/) → file content. */
export function generatedFiles(): Map<string, string> {
  const files = new Map<string, string>();
  const { ilmPolicy, componentTemplates, indexTemplates } = esResources();
  const { name: policyName, ...policyBody } = ilmPolicy;
  files.set(`elasticsearch/ilm/${policyName}.json`, json(policyBody));
  for (const { name, ...body } of componentTemplates)
    files.set(`elasticsearch/component-templates/${name}.json`, json(body));
  for (const { name, ...body } of indexTemplates) files.set(`elasticsearch/index-templates/${name}.json`, json(body));
  files.set(
    'kibana/saved-objects.ndjson',
    kibanaSavedObjects()
      .map((object) => JSON.stringify(object))
      .join('\n') + '\n',
  );
  return files;
}
