import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ShoplogEvent } from '@shoplog/core';
import { openUpload } from '../src/ingest/file-records.js';
import { startTestServer, uploadFile, type TestServer } from './helpers.js';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => {
  await t.close();
});

const HEADER = 'user_id,log_type,timestamp,level,service,error_message';
const quote = (text: string): string => `"${text.replaceAll('"', '""')}"`;
const row = (user: string, message: string, minute = 0): string =>
  `${user},error,2026-02-01T10:${String(minute % 60).padStart(2, '0')}:00Z,ERROR,shop,${message}\r\n`;

async function storedMessage(user: string): Promise<string | undefined> {
  const body = await t.read<{ data: { total: number; results: { source: ShoplogEvent }[] } }>(
    `/api/search/?range=all&user_id=${user}`,
  );
  expect(body.data.total).toBe(1);
  return (body.data.results[0]?.source as { error?: { message?: string } }).error?.message;
}

describe('CSV uploads (RFC 4180, streamed)', () => {
  it('reads quoted newlines, doubled quotes, quoted commas, CRLF and a BOM; stores good records beside bad ones', async () => {
    const csv = [
      `\uFEFF${HEADER}\r\n`, // line 1 (the BOM must not become part of the first column's name)
      row('csv-u1', quote('a "quoted" value\r\nwith a newline')), // record 1, lines 2-3
      row('csv-u2', quote('db down, retrying')), // record 2, line 4
      'csv-u3,error,2026-02-01T10:02:00Z,ERROR,shop\r\n', // record 3, line 5: a field short
      '\r\n', // line 6: blank, skipped
      row('csv-u4', quote('x\r\ny\r\nz')), // record 4, lines 7-9
      row('csv-u6', 'too,many'), // record 5, line 10: a field too many
      'csv-u5,error,2026-02-01T10:04:00Z,ERROR,shop,"never closed\r\n', // record 6, line 11: the quote stays open to the end
      row('csv-u7', 'swallowed by the open quote'),
    ].join('');
    const { job } = await uploadFile(t, csv, 'quoted.csv');
    expect(job).toMatchObject({ status: 'completed', file_type: 'csv', accepted: 3, rejected: 3, total_lines: 6 });
    expect(job?.errors.map((e) => [e.line, e.issues[0]?.message])).toEqual([
      [5, 'CSV record 3 (line 5): 5 fields, the header has 6'],
      [10, 'CSV record 5 (line 10): 7 fields, the header has 6'],
      [11, 'CSV record 6 (line 11): unterminated quoted field: the file ends inside quotes'],
    ]);
    expect(await storedMessage('csv-u1')).toBe('a "quoted" value\r\nwith a newline');
    expect(await storedMessage('csv-u2')).toBe('db down, retrying');
    expect(await storedMessage('csv-u4')).toBe('x\r\ny\r\nz');
  });

  it('rejects a record longer than 1 Mi characters (a stray quote) without holding it, and goes on after it', async () => {
    const csv = `${HEADER}\r\n${row('long-u1', `"${'y'.repeat(1_100_000)}"`)}${row('long-u2', 'after the long one')}`;
    const { job } = await uploadFile(t, csv, 'long.csv');
    expect(job).toMatchObject({ status: 'completed', accepted: 1, rejected: 1 });
    expect(job?.errors.map((e) => [e.line, e.issues[0]?.message])).toEqual([
      [2, 'CSV record 1 (line 2): record longer than 1048576 characters (an unterminated quote?)'],
    ]);
    expect(await storedMessage('long-u2')).toBe('after the long one');
  });

  // Uploads are read in 64 KiB chunks from disk and inflated in 16 KiB chunks, so a record that straddles a
  // multiple of the chunk size is cut between two chunks; the test checks that its file really is cut there.
  it.each([
    ['plain', 'split.csv', false, 65_536],
    ['gzip', 'split.csv.gz', true, 16_384],
  ] as const)('reads records split across two stream chunks (%s)', async (variant, filename, gzip, chunkSize) => {
    const message = (k: number): string => `chunk "${k}" é\r\nnext, line`;
    // Where the chunk boundary falls inside the tricky record: the index of a character of the row.
    const cuts: ((r: string) => number)[] = [
      (r) => r.indexOf('\r\nnext'), // between CR and LF inside the quotes
      (r) => r.indexOf('""') + 1, // between the two quotes of a doubled quote
      (r) => r.indexOf('é'), // before the two bytes of é (the byte cut is added below)
      (r) => r.length - 1, // between the record's own CR and LF
      (r) => r.indexOf(',"') + 2, // just after the opening quote
    ];
    const parts = [`${HEADER}\r\n`];
    let size = Buffer.byteLength(parts[0]!);
    let fillers = 0;
    const splits: number[] = [];
    const filler = (bytes: number): string => {
      fillers++;
      const base = row(`${variant}-f${fillers}`, '', fillers);
      return row(`${variant}-f${fillers}`, 'x'.repeat(bytes - base.length), fillers);
    };
    for (let k = 1; k <= cuts.length; k++) {
      const boundary = k * chunkSize;
      const tricky = row(`${variant}-s${k}`, quote(message(k)), k);
      const cutChar = cuts[k - 1]!(tricky);
      // Inside é the cut is after its first byte, so the character itself is split between chunks.
      const cut = Buffer.byteLength(tricky.slice(0, cutChar)) + (tricky[cutChar] === 'é' ? 1 : 0);
      let gap = boundary - cut - size;
      while (gap > 400) {
        parts.push(filler(200));
        gap -= 200;
        size += 200;
      }
      parts.push(filler(gap));
      size += gap;
      splits.push(size + cut);
      parts.push(tricky);
      size += Buffer.byteLength(tricky);
    }
    const text = parts.join('');
    const body = gzip ? gzipSync(text) : Buffer.from(text);
    // The same bytes, read the way the server reads its stored upload, end chunks at the cut points.
    const path = join(t.dir, `chunks-${variant}`);
    writeFileSync(path, body);
    const ends: number[] = [];
    let offset = 0;
    for await (const chunk of await openUpload(path)) ends.push((offset += (chunk as Buffer).length));
    expect(splits.filter((s) => !ends.includes(s))).toEqual([]);

    const { job } = await uploadFile(t, body, filename, !gzip);
    // `failure` in the comparison: a failed job shows why.
    expect(job).toMatchObject({
      status: 'completed',
      failure: null,
      rejected: 0,
      accepted: fillers + cuts.length,
      errors: [],
    });
    for (let k = 1; k <= cuts.length; k++) expect(await storedMessage(`${variant}-s${k}`)).toBe(message(k));
  });
});
