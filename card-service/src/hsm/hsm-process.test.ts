import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { stat } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  computeArpc,
  computeArqc,
  deriveSessionKey,
  deriveUdk,
  encipherPinBlock,
  internalAuthCryptogram,
  makeCitizenId,
  parseCardIdCode,
  ssseCardKey,
} from '@sscard/card-core';
import { tempDir } from '@sscard/test-harness';
import {
  type IssuedCardData,
  type TestService,
  type TlsIdentity,
  issueActiveCard,
  startTestService,
} from '../testing/api-fixture.js';
import { HsmClient } from './hsm-client.js';
import { terminalPinKey } from './hsm-core.js';
import { hsmPaths } from './hsm-paths.js';
import { openKeyFile, readMasterKey } from './key-file.js';
import { encodeFrame } from './protocol.js';

const HSM_MAIN = fileURLToPath(new URL('./hsm-main.js', import.meta.url));

describe('the HSM as a process of its own', () => {
  let t: TestService;
  let kiosk: TlsIdentity;
  let card: IssuedCardData;

  before(async () => {
    const dir = await tempDir('sscard-hsm-process-');
    t = await startTestService(join(dir, 'registry.db'), dir, undefined, undefined, {
      hsm: { timeoutMs: 400 },
    });
    kiosk = await t.enrolTerminal('kiosk-h1', 'kiosk');
    card = await issueActiveCard(t, {
      ssn: makeCitizenId('330302', '19700101', 11),
      name: '周杰',
      schemeCode: '310',
      startDate: '2015-01-01',
    });
  });
  after(() => t.service.close());

  const challenge = async () => {
    const a = await t.call('POST', '/v1/challenges', {
      identity: kiosk,
      body: { cardIdCode: card.cardIdCode },
    });
    assert.equal(a.status, 201, JSON.stringify(a.body));
    return a.body as { challengeId: string; challenge: string };
  };
  const answer = (challengeHex: string) =>
    internalAuthCryptogram(
      card.algorithm,
      ssseCardKey(
        card.algorithm,
        t.keys.internalAuth[card.algorithm],
        parseCardIdCode(card.cardIdCode).bytes,
      ),
      Buffer.from(challengeHex, 'hex'),
    ).toString('hex');
  const verify = (ch: { challengeId: string; challenge: string }) =>
    t.call('POST', '/v1/card-auth/verify', {
      identity: kiosk,
      body: { challengeId: ch.challengeId, cardIdCode: card.cardIdCode, cryptogram: answer(ch.challenge) },
    });

  test('keeps its socket in a directory of its own (0700), the socket 0600', async () => {
    assert.equal((await stat(t.hsm.dir)).mode & 0o777, 0o700);
    assert.equal((await stat(t.hsm.socketPath)).mode & 0o777, 0o600);
    assert.equal((await verify(await challenge())).body.verified, true);
  });

  test('a killed HSM makes the service answer HSM_UNAVAILABLE at once; the challenge is not spent and works after a restart', async () => {
    const ch = await challenge();
    t.hsm.process().kill('SIGKILL');
    await new Promise((resolve) => t.hsm.process().once('exit', resolve));
    const down = await verify(ch);
    assert.equal(down.status, 503);
    assert.equal(down.body.code, 'HSM_UNAVAILABLE');
    const external = await t.call('POST', '/v1/card-auth/external', {
      identity: kiosk,
      body: { cardIdCode: card.cardIdCode, challenge: '0102030405060708' },
    });
    assert.equal(external.status, 503);
    // The dead process left its socket file behind: the new one clears it and serves.
    await t.hsm.start();
    const up = await verify(ch);
    assert.equal(up.status, 200, JSON.stringify(up.body));
    assert.equal(up.body.verified, true);
  });

  test('an HSM that stops answering is HSM_UNAVAILABLE after the command timeout, not a hang', async () => {
    const ch = await challenge();
    t.hsm.pause();
    try {
      const stalled = await verify(ch);
      assert.equal(stalled.status, 503);
      assert.equal(stalled.body.code, 'HSM_UNAVAILABLE');
      assert.match(stalled.body.message, /no answer/);
    } finally {
      t.hsm.resume();
    }
    assert.equal((await verify(ch)).body.verified, true);
  });

  test('a peer that breaks the framing is cut off; the HSM goes on serving others', async () => {
    const socket = connect(t.hsm.socketPath);
    await new Promise((resolve) => socket.once('connect', resolve));
    const closed = new Promise((resolve) => socket.once('close', resolve));
    const huge = Buffer.alloc(4);
    huge.writeUInt32BE(0x7fffffff);
    socket.write(huge);
    await closed;
    const other = connect(t.hsm.socketPath);
    await new Promise((resolve) => other.once('connect', resolve));
    const closedToo = new Promise((resolve) => other.once('close', resolve));
    other.write(encodeFrame(['not', 'a', 'request']));
    await closedToo;
    const client = new HsmClient({ socketPath: t.hsm.socketPath });
    try {
      await assert.rejects(
        client.call('status', { extra: 1 } as never),
        (e: Error & { code?: string }) => e.code === 'HSM_BAD_REQUEST',
      );
      assert.ok((await client.status()).keysetCreatedAt);
    } finally {
      await client.close();
    }
  });

  test('domain code reaches ARQC/ARPC and PIN block commands through the one typed client', async () => {
    const client = new HsmClient({ socketPath: t.hsm.socketPath });
    try {
      const pan = '6231234567890123456';
      const sk = deriveSessionKey('3des', deriveUdk('3des', t.keys.acMasterKeys['3des'], pan, '00'), 0x21);
      const data = Buffer.from(
        '000000010000000000000000015600000000000156261207011122334455667C00002103A00000',
        'hex',
      );
      const arqc = computeArqc('3des', sk, data);
      const answer = await client.verifyArqc({
        algorithm: '3des',
        pan,
        psn: '00',
        atc: '0021',
        data: data.toString('hex'),
        arqc: arqc.toString('hex'),
        arc: '3030',
      });
      assert.deepEqual(answer, {
        verified: true,
        arpc: computeArpc('3des', sk, arqc, Buffer.from('3030', 'hex')).toString('hex').toUpperCase(),
      });
      const keyset = await openKeyFile(hsmPaths(t.hsm.dir).keyFile, await readMasterKey(t.hsm.masterKeyPath));
      const tpk = terminalPinKey(Buffer.from(keyset.pin.terminalMasterKey, 'hex'), 'bank-7', 4);
      const pinBlock = encipherPinBlock(4, tpk, '864209', pan).toString('hex');
      const { pvv } = await client.makePvv({ terminalId: 'bank-7', format: 4, pinBlock, pan, pvki: 1 });
      assert.deepEqual(
        await client.verifyPin({ terminalId: 'bank-7', format: 4, pinBlock, pan, pvki: 1, pvv }),
        {
          verified: true,
        },
      );
      await assert.rejects(
        client.verifyPin({ terminalId: 'bank-8', format: 4, pinBlock, pan, pvki: 1, pvv }),
        (e: Error & { code?: string }) => e.code === 'PIN_BLOCK_INVALID',
      );
    } finally {
      await client.close();
    }
  });

  test('a second HSM process on the same directory refuses to start', () => {
    const second = spawnSync(process.execPath, [HSM_MAIN, 'serve', '--dir', t.hsm.dir], {
      env: { PATH: process.env.PATH ?? '', ...t.hsm.env },
      encoding: 'utf8',
      timeout: 20_000,
    });
    assert.equal(second.status, 1);
    assert.match(second.stderr, /another HSM process is serving/);
  });
});
