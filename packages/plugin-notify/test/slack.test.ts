import { describe, expect, it } from 'vitest';
import {
  createManualClock,
  createNotificationDispatcher,
  createSlackNotifier,
  type DeliveryResult,
} from '@shoplog/plugin-notify';
import { note } from './notes.js';
import { startHttpReceiver } from './receivers.js';

interface SlackBody {
  text: string;
  blocks: { type: string; text?: { type: string; text: string }; elements?: { text: string }[] }[];
  username?: string;
  icon_emoji?: string;
}

/** Every text a Slack client would render from the payload. */
const textsOf = (body: SlackBody): string[] => [
  body.text,
  ...body.blocks.flatMap((b) => [b.text?.text ?? '', ...(b.elements ?? []).map((e) => e.text)]),
];

describe('Slack-compatible incoming webhook', () => {
  it('sends text and blocks, with the link and the optional name and icon', async () => {
    const receiver = await startHttpReceiver();
    try {
      const notifier = createSlackNotifier({
        url: `${receiver.url}/services/T000/B000/XXXX`,
        username: 'Shoplog',
        iconEmoji: ':bell:',
      });
      await notifier.notify(note({ link: 'https://shoplog.example/#/alerts' }));
      const got = await receiver.next();
      expect(got.path).toBe('/services/T000/B000/XXXX');
      const body = JSON.parse(got.body) as SlackBody;
      expect(body.text).toBe('Firing: checkout errors: error_rate is 12.5 (threshold 5) over the last 5m');
      expect(body.blocks.map((b) => b.type)).toEqual(['section', 'context', 'section']);
      expect(body.blocks[0]?.text).toEqual({
        type: 'mrkdwn',
        text: ':warning: *Firing: checkout errors*\nerror_rate is 12.5 (threshold 5) over the last 5m',
      });
      expect(body.blocks[2]?.text?.text).toBe('<https://shoplog.example/#/alerts|Open in Shoplog>');
      expect(body).toMatchObject({ username: 'Shoplog', icon_emoji: ':bell:' });
    } finally {
      await receiver.stop();
    }
  });

  it('escapes &, < and > everywhere, so a title or text cannot mention @channel or hide a link', async () => {
    const receiver = await startHttpReceiver();
    try {
      const notifier = createSlackNotifier({ url: receiver.url });
      await notifier.notify(
        note({
          title: 'Rule <!channel> & <https://evil.example|click here>',
          text: 'AT&T said <@U123> > 5 &amp;',
          link: 'https://ok.example/x|<b>',
        }),
      );
      const body = JSON.parse((await receiver.next()).body) as SlackBody;
      const texts = textsOf(body).join('\n');
      expect(texts).toContain('Rule &lt;!channel&gt; &amp; &lt;https://evil.example|click here&gt;');
      expect(texts).toContain('AT&amp;T said &lt;@U123&gt; &gt; 5 &amp;amp;');
      // The only control sequence left is the link block, whose target cannot close it early.
      const controls = texts.match(/<[^>]*>/g);
      expect(controls).toEqual(['<https://ok.example/x%7C%3Cb%3E|Open in Shoplog>']);
    } finally {
      await receiver.stop();
    }
  });

  it('truncates a long text to a section Slack accepts', async () => {
    const receiver = await startHttpReceiver();
    try {
      await createSlackNotifier({ url: receiver.url }).notify(note({ text: 'x'.repeat(10_000) }));
      const body = JSON.parse((await receiver.next()).body) as SlackBody;
      expect(body.blocks[0]?.text?.text.length).toBe(3000);
      expect(body.text.length).toBe(3000);
    } finally {
      await receiver.stop();
    }
  });

  it('honours 429 Retry-After: no new attempt before it, one after; the URL token never appears in results or metrics', async () => {
    const receiver = await startHttpReceiver((_r, index) =>
      index === 0
        ? { status: 429, headers: { 'retry-after': '120' }, body: 'rate_limited' }
        : { status: 200, body: 'ok' },
    );
    const clock = createManualClock(1_700_000_000_000);
    const results: DeliveryResult[] = [];
    const token = 'T0001/B0002/abcdefSECRET';
    const dispatcher = createNotificationDispatcher({
      channels: { slack: createSlackNotifier({ url: `${receiver.url}/services/${token}` }) },
      groupWindowMs: 0,
      clock,
      random: () => 0.5,
      onResult: (r) => results.push(r),
    });
    try {
      dispatcher.dispatch(note());
      await receiver.next();
      await clock.whenTimer();
      expect(dispatcher.metrics().slack).toMatchObject({ retried: 1, sent: 0, queued: 1 });
      expect(dispatcher.metrics().slack?.lastError?.message).toBe(
        `slack: 127.0.0.1:${receiver.port} answered 429: rate_limited`,
      );
      clock.advance(119_999);
      expect(receiver.received).toHaveLength(1);
      clock.advance(1);
      await receiver.next();
      await dispatcher.flush();
      expect(results.map((r) => [r.outcome, r.attempts])).toEqual([['sent', 2]]);
      expect(JSON.stringify({ results, metrics: dispatcher.metrics() })).not.toContain('SECRET');
    } finally {
      await dispatcher.close();
      await receiver.stop();
    }
  });

  it('refuses a bad URL or icon by name', () => {
    expect(() => createSlackNotifier({ url: 'not a url', iconEmoji: 'bell' })).toThrow(
      /createSlackNotifier: invalid options: url: .*; iconEmoji: must be an emoji name/,
    );
  });
});
