import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, txEvent, uploadFile, type TestServer } from './helpers.js';

// Every record of an upload is accounted for (accepted, duplicate or rejected with its number), and no record is
// held in memory past maxLineLength.
let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => {
  await t.close();
});

const tx = (user: string): string => JSON.stringify(txEvent({ user }));
const errorsOf = (job: { errors: { line: number; issues: { message: string }[] }[] } | undefined) =>
  job?.errors.map((e) => [e.line, e.issues[0]?.message]);

describe('JSON-array uploads', () => {
  it('reports an item broken by stray closing braces instead of dropping it: [{good1}}}},{good2}]', async () => {
    const { job } = await uploadFile(t, `[${tx('arr-1')}}}},${tx('arr-2')}]`, 'broken.json');
    expect(job).toMatchObject({ status: 'completed', total_lines: 2, accepted: 1, rejected: 1 });
    expect(errorsOf(job)).toEqual([[1, 'not JSON: unexpected "}" after the end of a value']]);
  });

  it('reads brackets and quotes inside strings as text, and reports text outside the array', async () => {
    const odd = JSON.stringify({ ...txEvent({ user: 'arr-odd' }), message: 'a ] } [ { , \\" " \\\\ value' });
    const { job } = await uploadFile(t, `\n [ ${odd} ,\n${tx('arr-3')} ] trailing`, 'odd.json');
    expect(job).toMatchObject({ status: 'completed', accepted: 2, rejected: 1 });
    expect(errorsOf(job)).toEqual([[3, '8 characters outside the JSON array: not read']]);
  });

  it('skips an item over maxLineLength without holding it, and stores the items around it', async () => {
    const big = JSON.stringify({ ...txEvent(), message: 'x'.repeat(5 * 1024 * 1024) });
    const { job } = await uploadFile(t, `[${tx('arr-before')},${big},${tx('arr-after')}]`, 'big.json');
    expect(job).toMatchObject({ status: 'completed', accepted: 2, rejected: 1 });
    expect(errorsOf(job)).toEqual([[2, `item longer than 1048576 characters (${big.length}): not parsed`]]);
  });

  it('reads an item cut by the end of the file as what it is', async () => {
    const { job } = await uploadFile(t, `[${tx('arr-cut-1')},${tx('arr-cut-2').slice(0, 40)}`, 'cut.json');
    expect(job).toMatchObject({ status: 'completed', accepted: 1, rejected: 1 });
    expect(errorsOf(job)?.[0]?.[0]).toBe(2);
  });
});

describe('NDJSON uploads', () => {
  it('skips a line over maxLineLength to its newline without holding it, and numbers the lines after it right', async () => {
    const lines = [tx('nd-1'), `{"message":"${'y'.repeat(3 * 1024 * 1024)}"}`, tx('nd-2'), '', tx('nd-3')];
    const { job } = await uploadFile(t, lines.join('\n'), 'long.ndjson');
    expect(job).toMatchObject({ status: 'completed', accepted: 3, rejected: 1 });
    expect(errorsOf(job)).toEqual([
      [2, `line longer than 1048576 characters (${(lines[1] as string).length}): not parsed`],
    ]);
  });
});
