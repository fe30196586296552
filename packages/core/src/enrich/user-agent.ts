import { isbot } from 'isbot';
import { z } from 'zod';
import { parseOptions } from '../options.js';
import type { ShoplogPlugin } from '../plugin.js';
import type { ShoplogEvent } from '../schema/kinds.js';

/** What `parseUserAgent` finds in a User-Agent string (ECS `user_agent.*` names, plus `bot`). */
export interface ParsedUserAgent {
  /** Browser or client family: Chrome, Firefox, Safari, Edge, Opera, Samsung Internet, IE, curl, … or `Other`. */
  name: string;
  version?: string;
  os: { name: string; version?: string };
  /** `Desktop`, `Mobile`, `Tablet`, `Spider` (a bot, as ECS does) or `Other`. */
  device: { name: string };
  /** Whether the maintained `isbot` list recognises a crawler, monitor or script. */
  bot: boolean;
}

// Order matters: Edge, Opera and Samsung Internet also say "Chrome"; Chrome also says "Safari".
const BROWSERS: [RegExp, string][] = [
  [/\bEdg(?:e|A|iOS)?\/([\d.]+)/, 'Edge'],
  [/\bOPR\/([\d.]+)/, 'Opera'],
  [/\bOpera\/.*Version\/([\d.]+)/, 'Opera'],
  [/\bSamsungBrowser\/([\d.]+)/, 'Samsung Internet'],
  [/\bYaBrowser\/([\d.]+)/, 'Yandex'],
  [/\b(?:Firefox|FxiOS)\/([\d.]+)/, 'Firefox'],
  [/\b(?:Chrome|CriOS)\/([\d.]+)/, 'Chrome'],
  [/\bVersion\/([\d.]+).*\bSafari\//, 'Safari'],
  [/\bMSIE ([\d.]+)/, 'IE'],
  [/\bTrident\/.*\brv:([\d.]+)/, 'IE'],
  [/^curl\/([\d.]+)/i, 'curl'],
  [/^Wget\/([\d.]+)/i, 'Wget'],
  [/^python-requests\/([\d.]+)/i, 'Python Requests'],
  [/^okhttp\/([\d.]+)/i, 'OkHttp'],
  [/^axios\/([\d.]+)/i, 'axios'],
  [/^node-fetch\/([\d.]+)/i, 'node-fetch'],
  [/^undici/i, 'undici'],
  [/^Go-http-client\/([\d.]+)/, 'Go HTTP client'],
  [/^PostmanRuntime\/([\d.]+)/, 'Postman'],
];
const SYSTEMS: [RegExp, string][] = [
  [/\bWindows NT ([\d.]+)/, 'Windows'],
  [/\b(?:iPhone|iPad|iPod)\b.*? OS ([\d_]+)/, 'iOS'],
  [/\bAndroid(?: ([\d.]+))?/, 'Android'],
  [/\bCrOS\b/, 'Chrome OS'],
  [/\bMac OS X(?: ([\d_.]+))?/, 'macOS'],
  [/\bLinux\b/, 'Linux'],
];

/** Parses a User-Agent string: family and version, OS, device class, and bot detection (the `isbot` list). */
export function parseUserAgent(ua: string): ParsedUserAgent {
  const bot = isbot(ua);
  let name = 'Other';
  let version: string | undefined;
  for (const [re, family] of BROWSERS) {
    const m = re.exec(ua);
    if (m) {
      name = family;
      version = m[1];
      break;
    }
  }
  const os: ParsedUserAgent['os'] = { name: 'Other' };
  for (const [re, family] of SYSTEMS) {
    const m = re.exec(ua);
    if (m) {
      os.name = family;
      if (m[1]) os.version = m[1].replace(/_/g, '.');
      break;
    }
  }
  const device = bot
    ? 'Spider'
    : /\biPad\b|\bTablet\b/.test(ua) || (os.name === 'Android' && !/\bMobile\b/.test(ua))
      ? 'Tablet'
      : /\bMobile\b|\biPhone\b|\biPod\b/.test(ua)
        ? 'Mobile'
        : os.name === 'Windows' || os.name === 'macOS' || os.name === 'Linux' || os.name === 'Chrome OS'
          ? 'Desktop'
          : 'Other';
  return version === undefined
    ? { name, os, device: { name: device }, bot }
    : { name, version, os, device: { name: device }, bot };
}

/** Options of `createUserAgentEnricher()`. */
export interface UserAgentEnricherOptions {
  /** How many distinct User-Agent strings to remember parsed (they repeat a lot). @default 1000 */
  cacheSize?: number;
  /** Plugin name. @default 'user-agent' */
  name?: string;
}

const OptionsSchema = z.strictObject({
  cacheSize: z.int().min(0).max(1_000_000).optional(),
  name: z.string().min(1).optional(),
});

/**
 * Creates an enricher that fills `user_agent.name`, `.version`, `.os.name/.version`, `.device.name` (`Spider` for
 * bots, as ECS does) and the boolean `user_agent.bot` from `user_agent.original`. Fields already set are kept.
 */
export function createUserAgentEnricher(options: UserAgentEnricherOptions = {}): ShoplogPlugin {
  const opts = parseOptions('createUserAgentEnricher', OptionsSchema, options);
  const cacheSize = opts.cacheSize ?? 1000;
  const cache = new Map<string, ParsedUserAgent>();
  function parse(ua: string): ParsedUserAgent {
    let parsed = cache.get(ua);
    if (!parsed) {
      parsed = parseUserAgent(ua);
      if (cache.size >= cacheSize) cache.delete(cache.keys().next().value as string);
      if (cacheSize > 0) cache.set(ua, parsed);
    }
    return parsed;
  }
  return {
    name: opts.name ?? 'user-agent',
    process(event: ShoplogEvent): ShoplogEvent {
      const current = event.user_agent;
      const ua = current?.original;
      if (!current || typeof ua !== 'string' || ua === '') return event;
      const p = parse(ua);
      return {
        ...event,
        user_agent: {
          ...current,
          name: current.name ?? p.name,
          ...(current.version === undefined && p.version !== undefined ? { version: p.version } : {}),
          os: { ...p.os, ...current.os },
          device: { ...p.device, ...current.device },
          bot: typeof current.bot === 'boolean' ? current.bot : p.bot,
        },
      };
    },
  };
}
