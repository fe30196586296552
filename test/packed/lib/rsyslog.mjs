// Runs the README's rsyslog configuration with a real rsyslogd (Debian: rsyslog + rsyslog-elasticsearch), as a user
// would after replacing its placeholders: syslog lines in over TCP, out through omelasticsearch to the suite server.
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { startProcess } from './processes.mjs';

const RSYSLOGD = process.env.RSYSLOGD_PATH ?? '/usr/sbin/rsyslogd';
const MODULE_DIRS = ['/usr/lib/x86_64-linux-gnu/rsyslog', '/usr/lib/aarch64-linux-gnu/rsyslog', '/usr/lib/rsyslog'];

/** The README's placeholders and what the suite puts in their place (each must be in the block). */
function placeholders(ctx, dir) {
  return [
    [/server="shoplog"/, 'server="127.0.0.1"'],
    [/serverport="5001"/, `serverport="${new URL(ctx.server.url).port}"`],
    [/SHOPLOG_API_KEY/g, ctx.server.ingestKey],
    [/errorFile="[^"]*"/, `errorFile="${join(dir, 'es-errors.json')}"`],
  ];
}

/**
 * Runs one `rsyslog` block: rsyslogd with a TCP input in front of the block's configuration, one syslog line sent,
 * `waitForDelivery` (of the caller) awaited. Resolves with `{ ok, detail }`.
 */
export async function runRsyslogBlock(block, ctx, waitForDelivery) {
  const moduleDir = MODULE_DIRS.find((d) => existsSync(join(d, 'omelasticsearch.so')));
  if (!existsSync(RSYSLOGD) || !moduleDir)
    return {
      ok: false,
      detail: `${RSYSLOGD} or omelasticsearch.so not found (apt-get install rsyslog rsyslog-elasticsearch)`,
    };
  const dir = mkdtempSync(join(ctx.app, 'rsyslog-'));
  let config = block.code;
  for (const [pattern, value] of placeholders(ctx, dir)) {
    if (!pattern.test(config))
      return { ok: false, detail: `the configuration has no ${pattern} placeholder to replace` };
    pattern.lastIndex = 0;
    config = config.replace(pattern, value);
  }
  const portFile = join(dir, 'tcp-port');
  // rsyslogd's own messages stay out of the configuration's action: the only event it ships is the line sent below.
  const input = `global(workDirectory="${dir}" processInternalMessages="off")\nmodule(load="imtcp")\ninput(type="imtcp" port="0" listenPortFileName="${portFile}")\n`;
  writeFileSync(join(dir, 'rsyslog.conf'), `${input}${config}`);
  const before = await ctx.server.settled();
  const proc = startProcess(
    RSYSLOGD,
    ['-n', '-f', join(dir, 'rsyslog.conf'), '-i', join(dir, 'rsyslogd.pid'), '-M', moduleDir],
    { cwd: dir, env: ctx.env },
  );
  try {
    const deadline = Date.now() + 15_000;
    while (!(existsSync(portFile) && readFileSync(portFile, 'utf8').trim() !== '')) {
      if (!proc.running()) throw new Error('rsyslogd ended before it listened');
      if (Date.now() > deadline) throw new Error('rsyslogd did not listen within 15 s');
      await new Promise((r) => setTimeout(r, 100));
    }
    const port = Number(readFileSync(portFile, 'utf8').trim());
    const line = `<11>1 ${new Date().toISOString()} shop-host shop-api 4242 - - checkout failed: payment provider down\n`; // RFC 5424, severity err
    await new Promise((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => socket.end(line));
      socket.once('close', resolve);
      socket.once('error', reject);
    });
    await waitForDelivery(ctx.server, before);
  } catch (error) {
    const out = await proc.stop();
    const errors = existsSync(join(dir, 'es-errors.json')) ? readFileSync(join(dir, 'es-errors.json'), 'utf8') : '';
    const tail = `${out.stdout}${out.stderr}${errors}`
      .trim()
      .split('\n')
      .slice(-5)
      .map((l) => l.slice(0, 600));
    return { ok: false, detail: [error.message, ...tail].join('\n') };
  }
  await proc.stop();
  return { ok: true, detail: '' };
}
