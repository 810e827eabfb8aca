import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { makeCitizenId } from '@sscard/card-core';
import { tempDir, waitFor } from '@sscard/test-harness';
import { type TestService, issueActiveCard, startTestService } from '../testing/api-fixture.js';
import { readCheckpointLog } from '../hsm/checkpoint-log.js';
import { HsmClient } from '../hsm/hsm-client.js';
import { hsmPaths } from '../hsm/hsm-paths.js';
import { openStore } from '../store/open-store.js';
import type { Store } from '../store/store.js';
import { listCheckpoints } from './audit-checkpoints.js';
import { type AuditVerification, entryHash, listAudit, verifyAuditChain } from './audit-log.js';
import { bypassAppendOnly } from '../testing/tamper-fixture.js';

const CLI = fileURLToPath(new URL('../cli.js', import.meta.url));

/**
 * Someone who can write the database (the sqlite3 file here) tampers with audit history; the
 * HSM's checkpoints, in the database and in the HSM's own log file, must give them away.
 */
describe('audit chain against a database writer', () => {
  let t: TestService | undefined;
  let dir: string;
  let holders = 0;
  afterEach(async () => {
    await t?.service.close();
    t = undefined;
  });

  /** A service with history: an enrolment, a card issued, identity checks, two checkpoints. */
  async function serviceWithHistory(): Promise<{ t: TestService; dbPath: string }> {
    dir = await tempDir('sscard-audit-tamper-');
    const dbPath = join(dir, 'registry.db');
    t = await startTestService(dbPath, dir);
    // The checkpoint the service makes at start (of its bootstrap entries) is done before the history.
    await t.service.checkpointAudit();
    await activity(t, 3);
    await t.service.checkpointAudit();
    await activity(t, 2);
    await t.service.checkpointAudit();
    return { t, dbPath };
  }

  async function activity(s: TestService, checks: number): Promise<void> {
    const hospital = await s.enrolTerminal(`hosp-${++holders}`, 'hospital');
    const c = await issueActiveCard(s, {
      ssn: makeCitizenId('330302', '19800101', 300 + holders),
      name: '孙丽',
      schemeCode: '310',
      startDate: '2015-01-01',
    });
    for (let i = 0; i < checks; i++) {
      const a = await s.call('POST', '/v1/identity/check', {
        identity: hospital,
        body: { cardIdCode: c.cardIdCode, cardNumber: c.cardNumber, ssn: c.ssn, name: c.name },
      });
      assert.equal(a.status, 200);
    }
  }

  async function verify(store: Store, s: TestService): Promise<AuditVerification> {
    const hsm = new HsmClient({ socketPath: s.hsm.socketPath });
    try {
      return await verifyAuditChain(store, 7, { hsm, checkpointLogPath: hsmPaths(s.hsm.dir).checkpointLog });
    } finally {
      await hsm.close();
    }
  }

  /** Re-hashes every entry from `fromSeq` on and moves the head: a chain that verifies on its own. */
  async function rehashFrom(store: Store, fromSeq: number): Promise<void> {
    const entries = await listAudit(store, 0, 1000);
    let prevHash = entries.find((e) => e.seq === fromSeq - 1)?.hash ?? '0'.repeat(64);
    for (const e of entries.filter((x) => x.seq >= fromSeq)) {
      const hash = entryHash({ ...e, prevHash });
      await store.run('UPDATE audit_log SET prev_hash = ?, hash = ? WHERE seq = ?', [prevHash, hash, e.seq]);
      prevHash = hash;
    }
    const last = entries[entries.length - 1]!;
    await store.run('UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1', [last.seq, prevHash]);
  }

  /** The seqs of the checkpoints in the HSM's log, the last two being those of `serviceWithHistory`. */
  const checkpointSeqs = async (s: TestService) =>
    (await readCheckpointLog(hsmPaths(s.hsm.dir).checkpointLog)).checkpoints.map((c) => c.seq).slice(-2);

  test('an intact chain verifies against its checkpoints, which are in the database and in the HSM’s log file', async () => {
    const { t, dbPath } = await serviceWithHistory();
    const store = await openStore({ databaseUrl: dbPath, dataDir: dir });
    try {
      const log = await readCheckpointLog(hsmPaths(t.hsm.dir).checkpointLog);
      const inFile = log.checkpoints.map((c) => c.seq);
      // The one made at start, then the two of the history.
      assert.equal(inFile.length, 3);
      assert.deepEqual(
        (await listCheckpoints(store)).map((c) => c.seq),
        inFile,
      );
      const verdict = await verify(store, t);
      assert.equal(verdict.ok, true, JSON.stringify(verdict));
      if (verdict.ok) {
        assert.equal(verdict.checkpoints, 3);
        assert.equal(verdict.certifiedSeq, inFile[2]);
      }
    } finally {
      await store.close();
    }
  });

  test('an edited entry: the database refuses the UPDATE, and an edit behind its back is named', async () => {
    const { t, dbPath } = await serviceWithHistory();
    const store = await openStore({ databaseUrl: dbPath, dataDir: dir });
    try {
      await assert.rejects(store.run("UPDATE audit_log SET result = 'ok' WHERE seq = 4"), /append-only/);
      await bypassAppendOnly(store);
      await store.run("UPDATE audit_log SET subject = 'card A0000000X' WHERE seq = 4");
      const verdict = await verify(store, t);
      assert.deepEqual(verdict.ok ? verdict : [verdict.firstBadSeq, verdict.reason], [4, 'altered']);
    } finally {
      await store.close();
    }
  });

  test('a deleted tail with the head moved back is caught by the checkpoints beyond it', async () => {
    const { t, dbPath } = await serviceWithHistory();
    const [first] = await checkpointSeqs(t);
    const store = await openStore({ databaseUrl: dbPath, dataDir: dir });
    try {
      await assert.rejects(store.run('DELETE FROM audit_log WHERE seq > ?', [first!]), /append-only/);
      await bypassAppendOnly(store);
      const keep = first! - 2;
      const last = (await listAudit(store, keep - 1, 1))[0]!;
      await store.run('DELETE FROM audit_log WHERE seq > ?', [keep]);
      await store.run('DELETE FROM audit_checkpoints WHERE seq > ?', [keep]);
      await store.run('UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1', [last.seq, last.hash]);
      // On the hash chain and the database alone this is a consistent, shorter history.
      assert.equal((await verifyAuditChain(store)).ok, true);
      const verdict = await verify(store, t);
      assert.deepEqual(verdict.ok ? verdict : [verdict.firstBadSeq, verdict.reason], [keep + 1, 'truncated']);
    } finally {
      await store.close();
    }
  });

  test('a deleted middle entry, the rest renumbered and re-hashed, is caught at the next certified seq', async () => {
    const { t, dbPath } = await serviceWithHistory();
    const [first] = await checkpointSeqs(t);
    const store = await openStore({ databaseUrl: dbPath, dataDir: dir });
    try {
      await bypassAppendOnly(store);
      const gone = 3;
      await store.run('DELETE FROM audit_log WHERE seq = ?', [gone]);
      const after = (await listAudit(store, gone, 1000)).map((e) => e.seq);
      for (const seq of after) await store.run('UPDATE audit_log SET seq = ? WHERE seq = ?', [seq - 1, seq]);
      await rehashFrom(store, gone);
      assert.equal((await verifyAuditChain(store)).ok, true);
      const verdict = await verify(store, t);
      assert.deepEqual(verdict.ok ? verdict : [verdict.firstBadSeq, verdict.reason], [
        first,
        'checkpoint-mismatch',
      ]);
    } finally {
      await store.close();
    }
  });

  test('a re-hashed chain is caught by the checkpoint hashes, and re-made checkpoints by their MACs', async () => {
    const { t, dbPath } = await serviceWithHistory();
    const [first, second] = await checkpointSeqs(t);
    const store = await openStore({ databaseUrl: dbPath, dataDir: dir });
    try {
      await bypassAppendOnly(store);
      const edited = first! + 1;
      await store.run("UPDATE audit_log SET result = 'CARD_UNKNOWN' WHERE seq = ?", [edited]);
      await rehashFrom(store, edited);
      assert.equal((await verifyAuditChain(store)).ok, true);
      let verdict = await verify(store, t);
      assert.deepEqual(verdict.ok ? verdict : [verdict.firstBadSeq, verdict.reason], [
        second,
        'checkpoint-mismatch',
      ]);
      // The writer also rewrites the database's copy of the checkpoint, with a MAC they cannot make.
      const newHash = (await listAudit(store, second! - 1, 1))[0]!.hash;
      await store.run('UPDATE audit_checkpoints SET hash = ? WHERE seq = ?', [newHash, second!]);
      verdict = await verify(store, t);
      assert.deepEqual(verdict.ok ? verdict : [verdict.firstBadSeq, verdict.reason], [
        second,
        'checkpoint-forged',
      ]);
    } finally {
      await store.close();
    }
  });

  test('a database file rolled back to an older copy is caught by the checkpoint log outside it', async () => {
    const { t, dbPath } = await serviceWithHistory();
    // A consistent copy of the database as it is now, taken beside the running service.
    const copy = join(dir, 'older.db');
    const side = await openStore({ databaseUrl: dbPath, dataDir: dir });
    await side.run(`VACUUM INTO '${copy}'`);
    const copiedHead = (await side.get<{ seq: number }>('SELECT seq FROM audit_head'))!.seq;
    await side.close();
    await activity(t, 2);
    await t.service.checkpointAudit();
    await t.service.close();
    await rm(`${dbPath}-wal`, { force: true });
    await rm(`${dbPath}-shm`, { force: true });
    await copyFile(copy, dbPath);
    await t.hsm.start();
    const store = await openStore({ databaseUrl: dbPath, dataDir: dir });
    try {
      // Whole and consistent in itself: only the log outside the database knows it is old.
      assert.equal((await verifyAuditChain(store)).ok, true);
      const verdict = await verify(store, t);
      assert.deepEqual(verdict.ok ? verdict : [verdict.firstBadSeq, verdict.reason], [
        Number(copiedHead) + 1,
        'truncated',
      ]);
    } finally {
      await store.close();
    }
    const cli = spawnSync(process.execPath, [CLI, 'audit', 'verify'], {
      encoding: 'utf8',
      env: {
        PATH: process.env.PATH ?? '',
        SSCARD_DATA_DIR: dir,
        SSCARD_HSM_DIR: t.hsm.dir,
        SSCARD_LOG_LEVEL: 'silent',
      },
    });
    assert.equal(cli.status, 1, cli.stderr);
    assert.match(cli.stderr, /broken at seq \d+ \(truncated\)/);
    await t.hsm.stop();
  });

  test('checkpoints come every N entries and every interval on their own', async () => {
    dir = await tempDir('sscard-audit-schedule-');
    t = await startTestService(join(dir, 'registry.db'), dir, undefined, undefined, {
      audit: { checkpointEvery: 5, checkpointIntervalSeconds: 1 },
    });
    const s = t;
    const log = hsmPaths(s.hsm.dir).checkpointLog;
    // Registry changes write their entries in their own transactions: the interval certifies them.
    await activity(s, 0);
    await waitFor(
      'an interval checkpoint',
      async () => (await readCheckpointLog(log)).checkpoints.length >= 1 || undefined,
      10_000,
      50,
    );
    const before = (await readCheckpointLog(log)).checkpoints.length;
    // Identity checks go through the group-commit writer, which asks for one every 5 entries.
    await activity(s, 12);
    await waitFor(
      'checkpoints after identity checks',
      async () => (await readCheckpointLog(log)).checkpoints.length >= before + 2 || undefined,
      10_000,
      50,
    );
    const { checkpoints } = await readCheckpointLog(log);
    for (let i = 1; i < checkpoints.length; i++)
      assert.equal(checkpoints[i]!.prevMac, checkpoints[i - 1]!.mac);
  });
});
