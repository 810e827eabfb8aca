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
