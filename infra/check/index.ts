/**
 * `pnpm infra:check`: validates infra/ without a Docker engine. `pnpm infra:generate` (`--write`) rewrites the
 * generated files. Steps: generated files up to date, the TypeScript types (the templates and policy are typed
 * against the official client's request types), Compose schema, Kibana saved objects, Logstash, and a dry run
 * printing the requests the server sends to Elasticsearch at start.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { dryRunEsInstall } from '../../packages/server/src/adapters/elasticsearch/dry-run.js';
import { generatedFiles } from './generated.js';
import { checkCompose, checkEsResources, checkKibana, checkLogstash } from './validate.js';

const infraDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const write = process.argv.includes('--write');
let failed = 0;

function report(name: string, problems: string[]): void {
  if (problems.length === 0) {
    console.log(`ok   ${name}`);
    return;
  }
  failed += 1;
  console.log(`FAIL ${name}`);
  for (const problem of problems) console.log(`     ${problem}`);
}

const stale: string[] = [];
for (const [path, content] of generatedFiles()) {
  const file = join(infraDir, path);
  if (write) {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, content);
  } else if (!existsSync(file) || readFileSync(file, 'utf8') !== content) {
    stale.push(`${path} differs from the server's resources module: run pnpm infra:generate`);
  }
}
report(write ? 'generated files written' : 'generated files up to date', stale);

try {
  execFileSync(
    process.execPath,
    [join(infraDir, '../node_modules/typescript/bin/tsc'), '-p', join(infraDir, 'tsconfig.json')],
    {
      stdio: 'pipe',
    },
  );
  report('types: templates and ILM policy against @elastic/elasticsearch request types', []);
} catch (error) {
  const output = (error as { stdout?: Buffer }).stdout?.toString() ?? String(error);
  report('types: templates and ILM policy against @elastic/elasticsearch request types', output.trim().split('\n'));
}

report('Elasticsearch resources reference each other', checkEsResources());
report(
  'compose.yaml against the Compose specification schema (+ healthchecks, mounts, .env.example)',
  checkCompose(infraDir),
);
report('Kibana saved objects (NDJSON, types, references, mapped fields)', checkKibana(infraDir));
report('Logstash settings and pipeline', checkLogstash(infraDir));

const requests = await dryRunEsInstall();
console.log('\nDry run: requests the server sends to an empty cluster at start');
for (const request of requests) {
  const size = request.body === undefined ? '' : ` (${JSON.stringify(request.body).length} bytes)`;
  console.log(`  ${request.method.padEnd(4)} ${decodeURIComponent(request.path)}${size}`);
}
if (process.argv.includes('--verbose')) console.log(JSON.stringify(requests, null, 2));

console.log(failed === 0 ? '\ninfra:check passed' : `\ninfra:check: ${failed} check(s) failed`);
process.exitCode = failed === 0 ? 0 : 1;
