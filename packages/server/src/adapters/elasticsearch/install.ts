import type { Client, estypes } from '@elastic/elasticsearch';
import { errors } from '@elastic/elasticsearch';
import { ES_RESOURCES_VERSION, esResources } from './resources.js';
import type { EsResourceOptions } from './resources.js';

/** What the installer did with one resource. */
export interface EsInstallStep {
  kind: 'ilm_policy' | 'component_template' | 'index_template';
  name: string;
  /** `unchanged` when the installed version already matches, so nothing was written. */
  action: 'created' | 'updated' | 'unchanged';
}

/** Thrown when a resource cannot be read or written: names the resource and carries Elasticsearch's reason. */
export class EsInstallError extends Error {
  /** Creates the error for one resource. */
  constructor(
    readonly resource: string,
    readonly statusCode: number | undefined,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(`Elasticsearch setup failed at ${resource}${statusCode ? ` (HTTP ${statusCode})` : ''}: ${reason}`, options);
    this.name = 'EsInstallError';
  }
}

function failure(resource: string, error: unknown): EsInstallError {
  if (error instanceof errors.ResponseError) {
    const body: unknown = error.body;
    const reason =
      typeof body === 'object' && body !== null && 'error' in body
        ? JSON.stringify((body as { error: unknown }).error)
        : error.message;
    return new EsInstallError(resource, error.statusCode, reason, { cause: error });
  }
  return new EsInstallError(resource, undefined, error instanceof Error ? error.message : String(error), {
    cause: error,
  });
}

const isNotFound = (error: unknown): boolean => error instanceof errors.ResponseError && error.statusCode === 404;

/**
 * Installs the ILM policy, component templates and index templates, idempotently: each resource is read first
 * and written only when missing or of another `version`. Any other failure (auth, a rejected mapping, a cluster
 * that is down) throws an `EsInstallError` naming the resource, so the server refuses to start rather than
 * writing events into indices with guessed mappings.
 */
export async function installEsResources(client: Client, options: EsResourceOptions = {}): Promise<EsInstallStep[]> {
  const resources = esResources(options);
  const steps: EsInstallStep[] = [];

  for (const policy of [resources.ilmPolicy, ...resources.kindPolicies]) {
    const policyName = `ILM policy ${policy.name}`;
    let installed: estypes.IlmPolicy | undefined;
    let policyExists = true;
    try {
      const got = await client.ilm.getLifecycle({ name: policy.name });
      installed = got[policy.name]?.policy;
    } catch (error) {
      if (!isNotFound(error)) throw failure(policyName, error);
      policyExists = false;
    }
    // The retention is a setting: a changed one rewrites the policy (ILM applies it to the existing indices too).
    const sameRetention = installed?.phases.delete?.min_age === policy.policy?.phases.delete?.min_age;
    if (policyExists && installed?._meta?.['version'] === ES_RESOURCES_VERSION && sameRetention) {
      steps.push({ kind: 'ilm_policy', name: policy.name, action: 'unchanged' });
      continue;
    }
    try {
      await client.ilm.putLifecycle(policy);
    } catch (error) {
      throw failure(policyName, error);
    }
    steps.push({ kind: 'ilm_policy', name: policy.name, action: policyExists ? 'updated' : 'created' });
  }

  for (const template of resources.componentTemplates) {
    const label = `component template ${template.name}`;
    let installed: number | undefined;
    let exists = true;
    try {
      const got = await client.cluster.getComponentTemplate({ name: template.name });
      installed = got.component_templates[0]?.component_template.version;
    } catch (error) {
      if (!isNotFound(error)) throw failure(label, error);
      exists = false;
    }
    if (exists && installed === template.version) {
      steps.push({ kind: 'component_template', name: template.name, action: 'unchanged' });
      continue;
    }
    try {
      await client.cluster.putComponentTemplate(template);
    } catch (error) {
      throw failure(label, error);
    }
    steps.push({ kind: 'component_template', name: template.name, action: exists ? 'updated' : 'created' });
  }

  for (const template of resources.indexTemplates) {
    const label = `index template ${template.name}`;
    let installed: number | undefined;
    let lifecycle: string | undefined;
    let exists = true;
    try {
      const got = await client.indices.getIndexTemplate({ name: template.name });
      installed = got.index_templates[0]?.index_template.version;
      lifecycle = got.index_templates[0]?.index_template.template?.settings?.index?.lifecycle?.name;
    } catch (error) {
      if (!isNotFound(error)) throw failure(label, error);
      exists = false;
    }
    // A kind's own retention policy (or its removal) is a template change too; new backing indices follow it.
    if (exists && installed === template.version && lifecycle === template.template?.settings?.index?.lifecycle?.name) {
      steps.push({ kind: 'index_template', name: template.name, action: 'unchanged' });
      continue;
    }
    try {
      await client.indices.putIndexTemplate(template);
    } catch (error) {
      throw failure(label, error);
    }
    steps.push({ kind: 'index_template', name: template.name, action: exists ? 'updated' : 'created' });
  }
  return steps;
}
