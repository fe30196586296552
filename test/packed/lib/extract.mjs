// Reads the code blocks of the READMEs that users follow. A block runs unless its info string says otherwise; the
// words after the language are tags (GitHub shows the language only):
//   fragment      not a program (a config or output excerpt): not run, only parsed when it is YAML or JSON; should
//                 be rare (the shipper configurations for tools the machine cannot install)
//   ci            a repository command .ci/run already runs itself (the test command): not run here
//   install       `npm install …` lines: every package named must be one the test app has (from the packed tarballs)
//   server        gets SHOPLOG_URL, SHOPLOG_API_KEY (an ingest key) and SHOPLOG_DATA_DIR of a real Shoplog server
//   delivers      (with server) the server must hold more events after the block than before
//   long-running  a process that keeps running: started with PORT (and SHOPLOG_PORT) set to a free port, probed once
//                 it answers, then stopped with SIGTERM
//   repo          runs in the repository checkout with the machine's PATH (the README's "two commands")
//   webhooks      gets OPS_WEBHOOK_URL, OPS_WEBHOOK_SECRET and SLACK_WEBHOOK_URL of a local receiver, which must get
//                 a correctly signed webhook and a Slack message
//   rsyslog       an rsyslog configuration: run by a real rsyslogd with the README's placeholders replaced (host
//                 `shoplog`, port 5001, key `SHOPLOG_API_KEY`) by the suite server's, fed one syslog line over TCP
// An HTML comment right before a block may list requests for a long-running block, one per line:
//   <!-- probes:
//   POST /checkout {"orderId":"o-1","total":"49.90"}
//   -->
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';

/** The READMEs the suite runs, relative to the repository root: the repository's, every package's, the adapters'. */
export function readmes(root) {
  const packages = readdirSync(join(root, 'packages'))
    .filter((d) => existsSync(join(root, 'packages', d, 'README.md')))
    .sort();
  return ['README.md', ...packages.map((d) => `packages/${d}/README.md`), 'packages/server/src/adapters/README.md'];
}

const TAGS = new Set([
  'fragment',
  'ci',
  'install',
  'server',
  'delivers',
  'long-running',
  'repo',
  'rsyslog',
  'webhooks',
]);
const LANGS = new Set(['js', 'mjs', 'ts', 'mts', 'sh', 'bash', 'shell']);

/** Parses one README into its blocks: `{ id, file, line, lang, tags, code, probes }`. */
export function blocksOf(root, file) {
  const text = readFileSync(`${root}/${file}`, 'utf8');
  const lines = text.split('\n');
  const blocks = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\S*)\s*(.*)$/.exec(lines[i]);
    if (!open) continue;
    const start = i;
    const body = [];
    for (i++; i < lines.length && !/^```\s*$/.test(lines[i]); i++) body.push(lines[i]);
    const lang = open[1];
    const tags = open[2].split(/\s+/).filter(Boolean);
    const unknown = tags.filter((t) => !TAGS.has(t));
    if (!LANGS.has(lang) && !tags.includes('fragment') && !tags.includes('rsyslog')) {
      throw new Error(
        `${file}:${start + 1}: a block in \`${lang || '(no language)'}\` cannot run: give it js, ts or sh, or tag it rsyslog or fragment`,
      );
    }
    if (unknown.length > 0)
      throw new Error(`${file}:${start + 1}: unknown tag(s) ${unknown.join(', ')} (known: ${[...TAGS].join(', ')})`);
    blocks.push({
      id: `${relative('.', file)
        .replace(/[^A-Za-z0-9]+/g, '-')
        .replace(/-md$/, '')}-L${start + 1}`,
      file,
      line: start + 1,
      lang: lang === 'mjs' ? 'js' : lang === 'mts' ? 'ts' : lang === 'bash' || lang === 'shell' ? 'sh' : lang,
      tags: new Set(tags),
      code: `${body.join('\n')}\n`,
      probes: probesBefore(lines, start),
    });
  }
  return blocks;
}

// `<!-- probes: … -->` ending on the line just before the block (blank lines allowed in between).
function probesBefore(lines, start) {
  let end = start - 1;
  while (end >= 0 && lines[end].trim() === '') end--;
  if (end < 0 || !lines[end].trim().endsWith('-->')) return [];
  let begin = end;
  while (begin >= 0 && !lines[begin].includes('<!--')) begin--;
  const comment = lines.slice(begin, end + 1).join('\n');
  const match = /<!--\s*probes:([\s\S]*?)-->/.exec(comment);
  if (!match) return [];
  return match[1]
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .map((l) => {
      const probe = /^(GET|POST|PUT|DELETE) (\/\S*)(?: (.+))?$/.exec(l);
      if (!probe) throw new Error(`bad probe line: ${l}`);
      return { method: probe[1], path: probe[2], body: probe[3] };
    });
}

/** Every block of every README, in reading order. */
export function allBlocks(root) {
  return readmes(root).flatMap((file) => blocksOf(root, file));
}
