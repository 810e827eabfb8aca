import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { makeCitizenId } from '@sscard/card-core';
import { systemClock } from '../clock.js';
import { testRegistry } from '../testing/registry-fixture.js';
import { forEachEngine } from '../testing/engines-fixture.js';
import { importHolders } from './holder-import.js';

const HEADER = 'id_number,name,ethnicity,region,relations';

function goodRows(n: number, birth = '19900101'): string[] {
  return Array.from(
    { length: n },
    (_, i) => `${makeCitizenId('330302', birth, i)},"林,${i}",01,330300,310:330300:2015-01-01`,
  );
}

const count = async (store: { get<T>(sql: string): Promise<T | undefined> }, table: string) =>
  Number((await store.get<{ n: number }>(`SELECT COUNT(*) AS n FROM ${table}`))!.n);

forEachEngine('holder CSV import', ({ open, dataDir }) => {
  test('a file with bad rows reports each with its line and imports nothing', async () => {
    const store = await open();
    const rows = goodRows(5);
    const badCheck = `${rows[1]!.slice(0, 17)}${rows[1]![17] === '0' ? '1' : '0'}${rows[1]!.slice(18)}`;
    const file = join(dataDir(), 'bad.csv');
    await writeFile(
      file,
      [HEADER, rows[0], badCheck, rows[2], `${rows[3]!.replace(',01,', ',77,')}`, rows[4], rows[0], ''].join(
        '\n',
      ),
    );
    const report = await importHolders(store, systemClock, file, { batchSize: 2 });
    assert.equal(report.imported, 0);
    assert.deepEqual(
      report.errors.map((e) => [e.line, e.reason.split(':')[0]]),
      [
        [3, 'idNumber'],
        [5, 'ethnicity'],
        [7, 'idNumber'],
      ],
    );
    assert.match(report.errors[2]!.reason, /repeats line 2/);
    assert.equal(await count(store, 'holders'), 0);
  });

  test('a clean file imports in batches with relations, history and audit', async () => {
    const store = await open();
    const file = join(dataDir(), 'good.csv');
    await writeFile(file, [HEADER, ...goodRows(7, '19850505')].join('\r\n'));
    const report = await importHolders(store, systemClock, file, { batchSize: 3 });
    assert.deepEqual([report.errors, report.imported, report.rows], [[], 7, 7]);
    assert.equal(await count(store, 'holders'), 7);
    assert.equal(await count(store, 'insurance_relations'), 7);
    assert.equal(
      Number(
        (await store.get<{ n: number }>(
          "SELECT COUNT(*) AS n FROM audit_log WHERE action = 'holder.import'",
        ))!.n,
      ),
      3,
    );
    const again = await importHolders(store, systemClock, file, { batchSize: 3 });
    assert.equal(again.imported, 0, 'a completed file is not imported twice');
  });

  test('an interrupted import resumes after the last committed batch', async () => {
    const store = await open();
    const file = join(dataDir(), 'resume.csv');
    await writeFile(file, [HEADER, ...goodRows(10, '19700707')].join('\n'));
    const first = await importHolders(store, systemClock, file, {
      batchSize: 4,
      stopAfterBatches: 1,
    });
    assert.equal(first.imported, 4);
    assert.equal(await count(store, 'holders'), 4);
    const second = await importHolders(store, systemClock, file, { batchSize: 4 });
    assert.deepEqual([second.errors, second.resumedFrom, second.imported], [[], 4, 6]);
    assert.equal(await count(store, 'holders'), 10);
  });

  test('a row whose ID number is registered already is reported', async () => {
    const store = await open();
    const registry = testRegistry(store);
    const rows = goodRows(2, '19660606');
    await registry.createHolder(
      { idNumber: rows[1]!.split(',')[0]!, name: '周', ethnicity: '01', region: '330300' },
      [],
      { kind: 'operator', id: 'op' },
    );
    const file = join(dataDir(), 'existing.csv');
    await writeFile(file, [HEADER, ...rows].join('\n'));
    const report = await importHolders(store, systemClock, file);
    assert.deepEqual(report.errors, [{ line: 3, reason: 'idNumber: already registered' }]);
  });

  test('repeats found across spilled key runs are reported, person numbers included, and nothing is written', async () => {
    const store = await open();
    const rows = goodRows(9, '19771111');
    const file = join(dataDir(), 'spill.csv');
    const header = 'id_number,name,ethnicity,region,person_no';
    const line = (row: string, personNo: string) => `${row.split(',"')[0]},"林",01,330300,${personNo}`;
    await writeFile(
      file,
      [
        header,
        ...rows.map((r, i) => line(r, `PN${1000 + i}`)),
        line(rows[2]!, 'PN2000'),
        line(goodRows(1, '19881212')[0]!, 'PN1004'),
      ].join('\n'),
    );
    const report = await importHolders(store, systemClock, file, {
      duplicateRunKeys: 2,
    });
    assert.deepEqual(report.errors, [
      { line: 11, reason: 'idNumber: repeats line 4' },
      { line: 12, reason: 'person_no: repeats line 6' },
    ]);
    assert.equal(report.imported, 0);
    assert.equal(await count(store, 'holders'), 0);
    assert.equal(await count(store, 'import_checkpoints'), 0);
  });

  test('a resumed import still reports rows registered since, and keeps relation ids stable', async () => {
    const store = await open();
    const registry = testRegistry(store);
    const rows = goodRows(6, '19690909');
    const file = join(dataDir(), 'resume-conflict.csv');
    await writeFile(file, [HEADER, ...rows].join('\n'));
    await importHolders(store, systemClock, file, { batchSize: 2, stopAfterBatches: 1 });
    const firstIds = await store.all<{ relation_id: string }>('SELECT relation_id FROM insurance_relations');
    await registry.createHolder(
      { idNumber: rows[4]!.split(',')[0]!, name: '周', ethnicity: '01', region: '330300' },
      [],
      { kind: 'operator', id: 'op' },
    );
    const blocked = await importHolders(store, systemClock, file, { batchSize: 2 });
    assert.deepEqual(blocked.errors, [{ line: 6, reason: 'idNumber: already registered' }]);
    assert.equal(await count(store, 'holders'), 3, 'nothing beyond the committed batch was written');
    assert.deepEqual(
      await store.all<{ relation_id: string }>('SELECT relation_id FROM insurance_relations'),
      firstIds,
    );
  });

  test('batches are committed in file order with one history row per holder', async () => {
    const store = await open();
    const file = join(dataDir(), 'order.csv');
    await writeFile(file, [HEADER, ...goodRows(25, '19950303')].join('\n'));
    const report = await importHolders(store, systemClock, file, { batchSize: 4 });
    assert.equal(report.imported, 25);
    const history = await store.all<{ entity_id: string }>(
      "SELECT entity_id FROM registry_history WHERE action = 'import' ORDER BY id",
    );
    const holders = await store.all<{ person_no: string }>(
      `SELECT h.person_no FROM holders h JOIN insurance_relations r ON r.person_no = h.person_no ORDER BY r.relation_id`,
    );
    assert.equal(history.length, 25);
    assert.deepEqual(
      history.map((h) => h.entity_id),
      holders.map((h) => h.person_no),
      'relation ids and history ids both follow the file',
    );
    const checkpoint = await store.get<{ committed_rows: number; completed_at: string | null }>(
      'SELECT committed_rows, completed_at FROM import_checkpoints',
    );
    assert.equal(Number(checkpoint!.committed_rows), 25);
    assert.ok(checkpoint!.completed_at);
  });
});
