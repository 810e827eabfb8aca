/**
 * A PC/SC reader with a PIN pad, against the real stack: local-stack's PIN pad driver in front of
 * vpcd, loaded by pcscd as a reader driver. Its SCardControl answers the feature request with
 * FEATURE_VERIFY_PIN_DIRECT and FEATURE_MODIFY_PIN_DIRECT, takes the agent's PIN_VERIFY_STRUCTURE
 * and PIN_MODIFY_STRUCTURE as pcsc-lite's reader.h lays them out, takes the keys the test presses
 * and sends the card the VERIFY or CHANGE PIN itself: the PIN never reaches the agent. (pcsclite
 * keeps the first daemon's socket for the process, so this is a file of its own.)
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { VpcdSlot } from '@sscard/card-emulator/bridge/vpcd-client';
import { createCard, generateKeyset } from '@sscard/card-emulator/cards/index';
import { CardWithFaults } from '@sscard/card-emulator/faults';
import { type Pcscd, startPcscd, waitFor } from '@sscard/test-harness';
import { PcscBackend } from '@sscard/terminal-agent/readers/pcsc-backend';
import { ReaderManager } from '@sscard/terminal-agent/readers/reader-manager';
import { type CardSession, openCardSession } from '@sscard/terminal-agent/session/card-session';
import { changePinOnKeypad, verifyPin, verifyPinOnKeypad } from '@sscard/terminal-agent/apps/pin';
import { PinEntryError } from '@sscard/terminal-agent/pinpad/errors';
import { demoCardsByGeneration } from './agent-stack.js';

describe('a PC/SC reader with a part 10 PIN pad, behind pcscd', () => {
  const keyset = generateKeyset();
  const { gen2 } = demoCardsByGeneration();
  const pin = gen2.pin.value;
  let pcscd: Pcscd;
  let backend: PcscBackend;
  let manager: ReaderManager;
  let slot: VpcdSlot;

  before(async () => {
    pcscd = await startPcscd({ readers: 1, pinPads: [0] });
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

  async function onPad<T>(keys: string[] | 'cancel', run: (session: CardSession) => Promise<T>): Promise<T> {
    await pcscd.pressPinPad(0, keys);
    const session = await openCardSession(manager, undefined, { roles: ['user'] });
    try {
      return await run(session);
    } finally {
      await session.close();
    }
  }

  const entryFailure = (code: string) => (e: unknown) => e instanceof PinEntryError && e.code === code;

  it('finds the pad in the feature list and offers verify and change on it', async () => {
    const session = await openCardSession(manager, undefined, { roles: ['user'] });
    await session.close();
    const state = manager.list().find((r) => r.role === 'user')!;
    assert.equal(state.pinEntry, 'keypad');
    assert.equal(state.pinChangeEntry, 'keypad');
    assert.equal(backend.slots().find((s) => s.name === state.name)?.keypadChange, true);
  });

  it('verifies the PIN typed on the pad, and counts a wrong one on the card', async () => {
    assert.deepEqual(await onPad([pin], verifyPinOnKeypad), { state: 'ok' });
    const wrong = pin === '000000' ? '111111' : '000000';
    const status = await onPad([wrong], verifyPinOnKeypad);
    assert.equal(status.state, 'wrong');
    // The right PIN resets the card's counter again.
    assert.deepEqual(await onPad([pin], verifyPinOnKeypad), { state: 'ok' });
  });

  it('reports Cancel and a PIN of the wrong length from the pad without the card spending a try', async () => {
    await assert.rejects(onPad('cancel', verifyPinOnKeypad), entryFailure('PIN_CANCELLED'));
    await assert.rejects(onPad(['1234'], verifyPinOnKeypad), entryFailure('PIN_BAD_LENGTH'));
    const session = await openCardSession(manager, undefined, { roles: ['user'] });
    try {
      // A try spent would show here as tries left below the card's maximum; the host's VERIFY is right.
      assert.deepEqual(await verifyPin(session, Buffer.from(pin, 'ascii')), { state: 'ok' });
    } finally {
      await session.close();
    }
  });

  it('changes the PIN on the pad with MODIFY_PIN_DIRECT: the new PIN works, the old one no longer', async () => {
    const next = '802416';
    await assert.rejects(onPad([pin, next, '802417'], changePinOnKeypad), entryFailure('PIN_ENTRIES_DIFFER'));
    assert.deepEqual(await onPad([pin, next, next], changePinOnKeypad), { state: 'ok' });
    assert.deepEqual(await onPad([next], verifyPinOnKeypad), { state: 'ok' });
    assert.equal((await onPad([pin], verifyPinOnKeypad)).state, 'wrong');
    // Back to the document's PIN, the change's old PIN checked by the card.
    assert.equal((await onPad(['111111', pin, pin], changePinOnKeypad)).state, 'wrong');
    assert.deepEqual(await onPad([next, pin, pin], changePinOnKeypad), { state: 'ok' });
  });
});
