import type { LogEvent } from './types.js';

/** Reads a dotted path from an event, accepting both nested (`event.id` in `event`) and flat (`"event.id"`) keys. */
export function field(ev: LogEvent, path: string): unknown {
  if (path in ev) return ev[path];
  let cur: unknown = ev;
  for (const part of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

/** A field as display text. */
export function text(ev: LogEvent, ...paths: string[]): string {
  for (const p of paths) {
    const v = field(ev, p);
    if (v !== undefined && v !== null && v !== '') return typeof v === 'object' ? JSON.stringify(v) : String(v);
  }
  return '';
}

/** The event id (`event.id`). */
export function eventId(ev: LogEvent): string {
  return text(ev, 'event.id', 'id', '_id');
}

/** The event level, lower-case. */
export function level(ev: LogEvent): string {
  return text(ev, 'log.level', 'level').toLowerCase() || 'info';
}

/** The event type: the dataset without its `shoplog.` prefix. */
export function logType(ev: LogEvent): string {
  return text(ev, 'event.dataset', 'log_type').replace(/^shoplog\./, '');
}

/** A one-line message for lists. */
export function message(ev: LogEvent): string {
  return text(ev, 'message', 'error.message', 'event.action') || `${logType(ev)} event`;
}

/** Flattens an event into sorted `[path, value]` rows for the detail view and CSV export. */
export function flatten(ev: LogEvent): [string, unknown][] {
  const rows: [string, unknown][] = [];
  const walk = (v: unknown, prefix: string): void => {
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
      const entries = Object.entries(v as Record<string, unknown>);
      if (entries.length === 0 && prefix) rows.push([prefix, v]);
      for (const [k, child] of entries) walk(child, prefix ? `${prefix}.${k}` : k);
    } else if (prefix) {
      rows.push([prefix, v]);
    }
  };
  walk(ev, '');
  return rows.sort((a, b) => a[0].localeCompare(b[0]));
}
