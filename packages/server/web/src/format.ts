const nf = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });
const nf1 = new Intl.NumberFormat(undefined, { maximumFractionDigits: 1 });
const money = new Intl.NumberFormat(undefined, { minimumFractionDigits: 2, maximumFractionDigits: 2 });

/** Formats a count with grouping. */
export function fmtInt(n: number | null | undefined): string {
  return typeof n === 'number' && Number.isFinite(n) ? nf.format(n) : '—';
}

/** Formats a number with one decimal. */
export function fmt1(n: number | null | undefined): string {
  return typeof n === 'number' && Number.isFinite(n) ? nf1.format(n) : '—';
}

/** Formats an amount in the major unit. */
export function fmtMoney(n: number | null | undefined, currency?: string | null): string {
  if (typeof n !== 'number' || !Number.isFinite(n)) return '—';
  return currency ? `${money.format(n)} ${currency}` : money.format(n);
}

/** Formats a ratio (0..1) or a percentage (0..100) as a percentage; the API documents error_rate as a percentage. */
export function fmtPct(n: number | null | undefined): string {
  return typeof n === 'number' && Number.isFinite(n) ? `${nf1.format(n)} %` : '—';
}

/** Formats milliseconds. */
export function fmtMs(n: number | null | undefined): string {
  if (typeof n !== 'number' || !Number.isFinite(n)) return '—';
  return n >= 1000 ? `${nf1.format(n / 1000)} s` : `${nf1.format(n)} ms`;
}

/** Formats a timestamp for tables. */
export function fmtTime(ts: string | number | null | undefined): string {
  if (ts === null || ts === undefined || ts === '') return '—';
  const d = new Date(ts);
  if (Number.isNaN(d.getTime())) return String(ts);
  return d.toLocaleString(undefined, {
    month: 'short',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  });
}

/** Formats bytes. */
export function fmtBytes(n: number | null | undefined): string {
  if (typeof n !== 'number' || !Number.isFinite(n)) return '—';
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${nf1.format(n / 1024)} KB`;
  return `${nf1.format(n / 1024 / 1024)} MB`;
}
