import { describe, expect, it } from 'vitest';
import {
  anonymizeIp,
  createIpAnonymizer,
  createMemoryExporter,
  createPipeline,
  createUserAgentEnricher,
  parseIpAddress,
  parseUserAgent,
  userBehavior,
  validate,
} from '@shoplog/core';

const UA = {
  chromeWin:
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
  edge: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.2903.70',
  safariIphone:
    'Mozilla/5.0 (iPhone; CPU iPhone OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Mobile/15E148 Safari/604.1',
  firefoxLinux: 'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0',
  chromeAndroid:
    'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.6778.81 Mobile Safari/537.36',
  samsungTablet:
    'Mozilla/5.0 (Linux; Android 13; SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/25.0 Chrome/121.0.0.0 Safari/537.36',
  safariMac:
    'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15',
  googlebot: 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)',
  curl: 'curl/8.5.0',
};

describe('parseUserAgent', () => {
  it.each([
    ['chromeWin', 'Chrome', '131.0.0.0', 'Windows', 'Desktop', false],
    ['edge', 'Edge', '131.0.2903.70', 'Windows', 'Desktop', false],
    ['safariIphone', 'Safari', '17.6', 'iOS', 'Mobile', false],
    ['firefoxLinux', 'Firefox', '133.0', 'Linux', 'Desktop', false],
    ['chromeAndroid', 'Chrome', '131.0.6778.81', 'Android', 'Mobile', false],
    ['samsungTablet', 'Samsung Internet', '25.0', 'Android', 'Tablet', false],
    ['safariMac', 'Safari', '18.1', 'macOS', 'Desktop', false],
    ['googlebot', 'Other', undefined, 'Other', 'Spider', true],
    ['curl', 'curl', '8.5.0', 'Other', 'Spider', true],
  ] as const)('%s', (key, name, version, os, device, bot) => {
    const p = parseUserAgent(UA[key]);
    expect({ name: p.name, version: p.version, os: p.os.name, device: p.device.name, bot: p.bot }).toEqual({
      name,
      version,
      os,
      device,
      bot,
    });
  });

  it('reads OS versions', () => {
    expect(parseUserAgent(UA.safariIphone).os).toEqual({ name: 'iOS', version: '17.6' });
    expect(parseUserAgent(UA.safariMac).os).toEqual({ name: 'macOS', version: '10.15.7' });
  });
});

describe('createUserAgentEnricher', () => {
  it('fills user_agent fields and the bot flag, keeping fields already set, and the event stays valid', () => {
    const exporter = createMemoryExporter();
    const pipeline = createPipeline({ plugins: [createUserAgentEnricher(), exporter] });
    const base = { shop: { action: 'page_view' as const, session: { id: 's-1' } } };
    void pipeline.process(userBehavior({ ...base, user_agent: { original: UA.googlebot } }));
    void pipeline.process(userBehavior({ ...base, user_agent: { original: UA.safariIphone, name: 'Mobile Safari' } }));
    void pipeline.process(userBehavior(base));
    const [bot, phone, none] = exporter.events;
    expect(bot?.user_agent).toEqual({
      original: UA.googlebot,
      name: 'Other',
      os: { name: 'Other' },
      device: { name: 'Spider' },
      bot: true,
    });
    expect(phone?.user_agent).toMatchObject({
      name: 'Mobile Safari',
      version: '17.6',
      os: { name: 'iOS' },
      device: { name: 'Mobile' },
      bot: false,
    });
    expect(none?.user_agent).toBeUndefined();
    for (const e of exporter.events) expect(validate(e).ok).toBe(true);
  });
});

describe('IP anonymisation', () => {
  it.each([
    ['203.0.113.77', '203.0.113.0'],
    ['203.0.113.77:51234', '203.0.113.0'],
    ['2001:db8:85a3:8d3:1319:8a2e:370:7348', '2001:db8:85a3::'],
    ['2001:0db8:85a3:0000:0000:8a2e:0370:7334', '2001:db8:85a3::'],
    ['[2001:db8:1:2::1]:443', '2001:db8:1::'],
    ['fe80::1%eth0', 'fe80::'],
    ['::1', '::'],
    ['::ffff:198.51.100.23', '::ffff:198.51.100.0'],
  ])('%s → %s', (ip, expected) => {
    expect(anonymizeIp(ip)).toBe(expected);
  });

  it('takes the number of bits to keep, and rejects what is not an address', () => {
    expect(anonymizeIp('203.0.113.77', 16, 32)).toBe('203.0.0.0');
    expect(anonymizeIp('203.0.113.77', 20)).toBe('203.0.112.0');
    expect(anonymizeIp('2001:db8:85a3::7348', 24, 32)).toBe('2001:db8::');
    for (const bad of ['unknown', '1.2.3', '256.1.1.1', '1:2:3', '1::2::3', '12345::'])
      expect(anonymizeIp(bad)).toBeUndefined();
  });

  it('parses addresses to bytes, tolerating brackets, ports and zones, and keeps IPv4-mapped addresses IPv6', () => {
    expect(parseIpAddress(' 203.0.113.77:8080 ')).toEqual({ version: 4, bytes: [203, 0, 113, 77] });
    expect(parseIpAddress('[2001:db8::1]:443')).toEqual({
      version: 6,
      bytes: [0x20, 0x01, 0x0d, 0xb8, ...Array<number>(11).fill(0), 1],
    });
    expect(parseIpAddress('fe80::1%eth0')?.bytes.slice(0, 2)).toEqual([0xfe, 0x80]);
    expect(parseIpAddress('::ffff:198.51.100.23')).toEqual({
      version: 6,
      bytes: [...Array<number>(10).fill(0), 0xff, 0xff, 198, 51, 100, 23],
    });
    for (const bad of ['', 'unknown', '1.2.3.4.5', '01.2.3.1234', '1::2::3', 'g::1', '1:2:3:4:5:6:7:8:9'])
      expect(parseIpAddress(bad)).toBeUndefined();
  });

  it('anonymises client.ip in the pipeline and blanks values that are not addresses', () => {
    const exporter = createMemoryExporter();
    const pipeline = createPipeline({ plugins: [createIpAnonymizer({ ipv4Bits: 24, ipv6Bits: 48 }), exporter] });
    const base = { shop: { action: 'page_view' as const, session: { id: 's-1' } } };
    const original = userBehavior({ ...base, client: { ip: '198.51.100.23', geo: { country_iso_code: 'FR' } } });
    void pipeline.process(original);
    void pipeline.process(userBehavior({ ...base, client: { ip: 'not-an-ip' } }));
    expect(exporter.events.map((e) => e.client)).toEqual([
      { ip: '198.51.100.0', geo: { country_iso_code: 'FR' } },
      { ip: '0.0.0.0' },
    ]);
    expect(original.client?.ip).toBe('198.51.100.23');
    expect(() => createIpAnonymizer({ ipv4Bits: 33 })).toThrow(/createIpAnonymizer: invalid options: ipv4Bits/);
  });
});
