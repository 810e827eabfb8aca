import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import { readCsv } from './csv.js';

async function all(chunks: string[]) {
  const out = [];
  for await (const r of readCsv(Readable.from(chunks))) out.push(r);
  return out;
}

test('reads quoted fields with commas, doubled quotes and line breaks, and counts lines', async () => {
  const records = await all(['\ufeffa,b\r\n"x, y","say ""hi""', '"\n"two\nlines",z\n\nlast,row']);
  assert.deepEqual(records, [
    { line: 1, fields: ['a', 'b'] },
    { line: 2, fields: ['x, y', 'say "hi"'] },
    { line: 3, fields: ['two\nlines', 'z'] },
    { line: 6, fields: ['last', 'row'] },
  ]);
});

test('a doubled quote split across chunks stays one quote', async () => {
  const records = await all(['"a"', '"b",c\n']);
  assert.deepEqual(records, [{ line: 1, fields: ['a"b', 'c'] }]);
});

test('records split anywhere across chunks read the same as in one chunk', async () => {
  const text = 'h1,h2\r\nplain,row\n"q,1","a""b"\rlone,cr\n\n"multi\nline",x\r\nend,"quoted"';
  const whole = await all([text]);
  for (let cut = 1; cut < text.length; cut++) {
    assert.deepEqual(await all([text.slice(0, cut), text.slice(cut)]), whole, `cut at ${cut}`);
  }
  assert.deepEqual(
    whole.map((r) => r.line),
    [1, 2, 3, 4, 6, 8],
  );
});

test('a quote never closed stops the reading instead of swallowing the file', async () => {
  const chunks = ['a,b\n"open', ...Array.from({ length: 20 }, () => 'x'.repeat(1 << 16))];
  await assert.rejects(all(chunks), { code: 'IMPORT_RECORD_TOO_LONG' });
});
