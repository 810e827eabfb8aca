/**
 * PC/SC part 10 secure PIN entry against the real stack: the agent reads each reader's feature
 * list (CM_IOCTL_GET_FEATURE_REQUEST) at its first card session. vpcd answers every SCardControl
 * with SCARD_E_UNSUPPORTED_FEATURE, so a plain vpcd reader has no PIN pad: the agent reads and
 * verifies through it as before and asks for PINs at the PIN pad or on screen. A reader with a
 * pad: agent-pcsc-pinpad-driver.test.ts.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { VpcdSlot } from '@sscard/card-emulator/bridge/vpcd-client';
import { createCard, generateKeyset } from '@sscard/card-emulator/cards/index';
import { CardWithFaults } from '@sscard/card-emulator/faults';
import { type Pcscd, startPcscd, waitFor } from '@sscard/test-harness';
import { PcscBackend } from '@sscard/terminal-agent/readers/pcsc-backend';
import { PcscChannel } from '@sscard/terminal-agent/readers/pcsc-channel';
import { ReaderManager } from '@sscard/terminal-agent/readers/reader-manager';
import { openCardSession } from '@sscard/terminal-agent/session/card-session';
import { verifyPin } from '@sscard/terminal-agent/apps/pin';
import { demoCardsByGeneration } from './agent-stack.js';

describe('PC/SC part 10 PIN pads behind pcscd and vpcd', () => {
  const keyset = generateKeyset();
  const { gen2 } = demoCardsByGeneration();
  let pcscd: Pcscd;
  let backend: PcscBackend;
  let manager: ReaderManager;
  let slot: VpcdSlot;

  before(async () => {
    pcscd = await startPcscd({ readers: 1 });
    process.env.PCSCLITE_CSOCK_NAME = pcscd.env.PCSCLITE_CSOCK_NAME;
    backend = new PcscBackend({ backoff: { initialMs: 50, maxMs: 500 }, deadlineMs: 5_000 });
    manager = new ReaderManager({
      backends: [backend],
      roles: (name) => ({ role: name.endsWith(' 01') ? 'psam' : 'user' }),
    });
    manager.start();
    slot = new VpcdSlot({ port: pcscd.vpcdPorts[0]!, backoff: { initialMs: 50, maxMs: 300 } });
    slot.insert(new CardWithFaults(createCard(gen2, keyset)));
    await waitFor('the card', () => manager.list().find((r) => r.role === 'user')?.card);
  });

  after(async () => {
    slot?.close();
    await manager?.stop();
    await pcscd?.stop();
  });

  it('finds no PIN pad on a vpcd reader, whose SCardControl answers "unsupported feature"', async () => {
    const reader = manager.list().find((r) => r.role === 'user')!;
    const channel = await backend.connect(reader.name);
    try {
      assert.ok(channel instanceof PcscChannel);
      assert.deepEqual([...(await channel.features()).entries()], []);
      assert.equal(channel.keypad, undefined);
    } finally {
      await channel.close();
    }
    // Read once: the reader is known to have no PIN pad, and says so.
    assert.equal(backend.slots().find((s) => s.name === reader.name)?.keypad, undefined);
    assert.equal(manager.list().find((r) => r.name === reader.name)?.pinEntry, undefined);
  });

  it('verifies a PIN from the host on the same reader after the feature request', async () => {
    const session = await openCardSession(manager, undefined, { roles: ['user'] });
    try {
      assert.equal(session.hasKeypad, false);
      const status = await verifyPin(session, Buffer.from(gen2.pin.value, 'ascii'));
      assert.deepEqual(status, { state: 'ok' });
    } finally {
      await session.close();
    }
  });
});
