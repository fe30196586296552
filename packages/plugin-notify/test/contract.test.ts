import { afterAll, describe, expect, it } from 'vitest';
import { runPluginContract } from '@shoplog/core/testing';
import { emailNotifier, logNotifier, slackNotifier, webhookNotifier } from '../src/index.js';
import { startHttpReceiver, startSmtpReceiver, type HttpReceiver } from './receivers.js';

// Each channel against a real local receiver: the suite's delivery check waits until the receiver saw it.
const hooks: HttpReceiver = await startHttpReceiver();
const slack: HttpReceiver = await startHttpReceiver();
const smtp = await startSmtpReceiver({ disabledCommands: ['STARTTLS'] });
afterAll(async () => {
  await hooks.stop();
  await slack.stop();
  await smtp.stop();
});

runPluginContract(
  {
    plugin: webhookNotifier,
    options: { url: `${hooks.url}/hook`, secret: 'a-contract-secret-of-32-characters' },
    badOptions: { options: { url: 'ftp://example.com', secret: 'a-contract-secret-of-32-characters' }, path: 'url' },
    received: async (notification) => {
      const request = await hooks.next();
      expect(JSON.parse(request.body)).toMatchObject({ id: notification.id });
    },
  },
  { describe, it },
);

runPluginContract(
  {
    plugin: slackNotifier,
    options: { url: `${slack.url}/services/T0/B0/x` },
    badOptions: { options: { url: 42 }, path: 'url' },
    received: async (notification) => {
      expect((await slack.next()).body).toContain(notification.title);
    },
  },
  { describe, it },
);

runPluginContract(
  {
    plugin: emailNotifier,
    options: {
      host: '127.0.0.1',
      port: smtp.port,
      requireTLS: false,
      from: 'alerts@shop.example',
      to: ['ops@shop.example'],
    },
    badOptions: {
      options: { host: '127.0.0.1', port: smtp.port, from: 'alerts@shop.example', to: ['not-an-address'] },
      path: 'to[0]',
    },
    received: async (notification) => {
      expect((await smtp.next()).parsed.subject).toContain(notification.title);
    },
  },
  { describe, it },
);

// The log channel (the demo's) writes to the process's stream: the lines it writes there are caught, the rest pass on.
const logged: string[] = [];
const stderrWrite = process.stderr.write.bind(process.stderr);
process.stderr.write = ((chunk: string | Uint8Array, ...rest: never[]) => {
  if (String(chunk).startsWith('shoplog notify: ')) return logged.push(String(chunk)) > 0;
  return stderrWrite(chunk, ...rest);
}) as typeof process.stderr.write;
afterAll(() => {
  process.stderr.write = stderrWrite;
});
runPluginContract(
  {
    plugin: logNotifier,
    options: { stream: 'stderr' },
    badOptions: { options: { stream: 'file' }, path: 'stream' },
    received: async (notification) => {
      expect(logged.find((line) => line.includes(`(${notification.id})`))).toMatch(/^shoplog notify: \[\w+\] .*\n$/);
    },
  },
  { describe, it },
);
