/**
 * The bank PIN at a bank counter, enciphered from the PIN pad on: the pad holds the terminal PIN
 * key that `sscard-hsm terminal-pin-key` made for this terminal, enciphers the ISO 9564 block in
 * it, the agent passes the block on unread, and card-service's HSM re-enciphers it under the zone
 * PIN key. Real parts throughout: card-service and its HSM process, the agent, pcscd and vpcd with a
 * generation 3 card carrying the debit application, and the serial PIN pad on a socat pty pair.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { decipherPinBlock } from '@sscard/card-core';
import { createCard } from '@sscard/card-emulator/cards/index';
import { demoCardDocuments } from '@sscard/card-emulator/cards/personalise';
import { CardWithFaults } from '@sscard/card-emulator/faults';
import { SerialPinPadFirmware } from '@sscard/card-emulator/serial/index';
import { openKeyFile, readMasterKey } from '@sscard/card-service/hsm/key-file';
import { hsmPaths } from '@sscard/card-service/hsm/hsm-paths';
import { defaultProfiles } from '@sscard/firmware-profiles';
import { type Pcscd, type PtyPair, startPcscd, startPtyPair, tempDir } from '@sscard/test-harness';
import { type BankCounter, startBankCounter } from './bank-counter.js';
import { type RegistryUnderTest, startRegistry } from './registry-fixture.js';

const HSM_MAIN = fileURLToPath(new URL('../../card-service/dist/hsm/hsm-main.js', import.meta.url));

describe('bank PIN blocks enciphered from the PIN pad to the HSM', () => {
  const TERMINAL = 'B-330300-0077';
  const BANK_PIN = '802316';
  const doc = demoCardDocuments().find((d) => d.card.specVersion === '3.00' && d.applications.debit)!;
  let registry: RegistryUnderTest;
  let pcscd: Pcscd;
  let padPair: PtyPair;
  let pad: SerialPinPadFirmware;
  let counter: BankCounter;
  let dataDir: string;

  /** The key-loading facility: the terminal PIN key for the pad, from the HSM's own tool. */
  async function terminalPinKey(format: 0 | 4): Promise<Buffer> {
    const out = join(dataDir, `tpk-${format}`);
    await promisify(execFile)(
      process.execPath,
      [
        HSM_MAIN,
        'terminal-pin-key',
        '--terminal-id',
        TERMINAL,
        '--format',
        String(format),
        '--out',
        out,
        '--dir',
        registry.hsm.dir,
      ],
      { env: { ...process.env, ...registry.hsm.env } },
    );
    return Buffer.from((await readFile(out, 'utf8')).trim(), 'hex');
  }

  before(async () => {
    registry = await startRegistry();
    dataDir = await tempDir('sscard-bank-counter-');
    pcscd = await startPcscd({ readers: 1 });
    process.env.PCSCLITE_CSOCK_NAME = pcscd.env.PCSCLITE_CSOCK_NAME;
    padPair = await startPtyPair();
    pad = await SerialPinPadFirmware.open({
      path: padPair.a,
      profile: defaultProfiles().pinPad('sscard-serial-pinpad'),
      // Format 0 only: the pad holds no format 4 key.
      terminalPinKeys: { 0: await terminalPinKey(0) },
    });
    counter = await startBankCounter({
      registry,
      terminalId: TERMINAL,
      dataDir,
      pcscd,
      card: new CardWithFaults(createCard(doc, registry.keyset)),
      config: { pin: { entry: 'pinpad', pinpad: { profile: 'sscard-serial-pinpad', path: padPair.b } } },
    });
  });

  after(async () => {
    await counter?.stop();
    await pad?.close();
    await padPair?.close();
    await pcscd?.stop();
    await registry?.close();
  });

  const bankPin = (body: unknown) => counter.post('/v1/card/pin/bank-block', body);

  it('gives the PIN under the zone key, having crossed the line and the agent only enciphered', async () => {
    pad.enterPin(BANK_PIN);
    const answer = await bankPin({});
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    const pan = doc.applications.debit!.pan;
    assert.equal(answer.body.pan, `${'*'.repeat(pan.length - 4)}${pan.slice(-4)}`);
    assert.equal(answer.body.format, 0);
    // The zone PIN key, as the HSM holds it: the block carries the PIN the cardholder typed.
    const keyset = await openKeyFile(
      hsmPaths(registry.hsm.dir).keyFile,
      await readMasterKey(registry.hsm.masterKeyPath),
    );
    const zpk = Buffer.from(keyset.pin.zoneKey, 'hex');
    assert.equal(decipherPinBlock(0, zpk, Buffer.from(answer.body.pinBlock as string, 'hex'), pan), BANK_PIN);
    // What the host asked the pad: the enciphered entry with the account number, never a PIN.
    const started = pad.received.find((f) => f.code === 0x52);
    assert.ok(started);
    assert.ok(started.data.toString('latin1').includes(pan));
    const audit = await registry.operator<{
      entries: { action: string; result: string; terminalId: string | null }[];
    }>('GET', '/v1/audit?limit=1000');
    assert.ok(
      audit.body.entries.some(
        (e) => e.action === 'pin.translate' && e.result === 'ok' && e.terminalId === TERMINAL,
      ),
    );
  });

  it('refuses a format the pad holds no key for, and the cardholder cancelling at the pad', async () => {
    const noKey = await bankPin({ format: 4 });
    assert.ok(noKey.status >= 400, JSON.stringify(noKey.body));
    pad.cancel();
    const cancelled = await bankPin({});
    assert.ok(
      cancelled.status >= 400 || cancelled.body.code === 'PIN_CANCELLED',
      JSON.stringify(cancelled.body),
    );
    assert.equal(cancelled.body.code, 'PIN_CANCELLED');
  });
});
