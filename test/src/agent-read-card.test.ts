import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { type CaPublicKey, fromHex, parseReadCardBas } from '@sscard/card-core';
import { VpcdSlot } from '@sscard/card-emulator/bridge/vpcd-client';
import {
  type CardDocument,
  createCard,
  createPsam,
  demoCardDocuments,
  generateKeyset,
  type IssuerKeyset,
  publicKeyset,
} from '@sscard/card-emulator/cards/index';
import { CardWithFaults } from '@sscard/card-emulator/faults';
import { waitFor } from '@sscard/test-harness';
import { CardOperations } from '@sscard/terminal-agent/card-service';
import { type AgentStack, startAgentStack } from './agent-stack.js';

function caKeysOf(keyset: IssuerKeyset): CaPublicKey[] {
  return publicKeyset(keyset).caPublicKeys.map((k) => ({
    rid: fromHex(k.rid),
    index: Number.parseInt(k.index, 16),
    modulus: fromHex(k.modulus),
    exponent: fromHex(k.exponent),
  }));
}

describe('reading and verifying social security cards through the agent', () => {
  let stack: AgentStack;
  let user: VpcdSlot;
  let psamSlot: VpcdSlot;
  let ops: CardOperations;
  const keyset = generateKeyset();
  const docs = demoCardDocuments();
  const gen2 = docs.find((d) => d.card.specVersion === '2.00')!;
  const gen3 = docs.find((d) => d.card.specVersion === '3.00')!;
  const userReader = () => stack.pcscd.readerNames[0]!;
  const psamReader = () => stack.pcscd.readerNames[1]!;

  async function insert(doc: CardDocument, issuer: IssuerKeyset = keyset): Promise<void> {
    if (user.card) {
      user.remove();
      await waitFor('the previous card gone', () => !stack.manager.get(userReader())?.card);
    }
    user.insert(new CardWithFaults(createCard(doc, issuer)));
    await waitFor('the card seen', () => stack.manager.get(userReader())?.card);
  }

  before(async () => {
    stack = await startAgentStack({ readers: 1 });
    user = new VpcdSlot({ port: stack.pcscd.vpcdPorts[0]!, backoff: { initialMs: 50, maxMs: 300 } });
    psamSlot = new VpcdSlot({ port: stack.pcscd.vpcdPorts[1]!, backoff: { initialMs: 50, maxMs: 300 } });
    psamSlot.insert(new CardWithFaults(createPsam(keyset)));
    await waitFor('the PSAM seen', () => stack.manager.get(psamReader())?.card);
    ops = new CardOperations({
      readers: stack.manager,
      terminal: { terminalNumber: '410100813475', deviceNumber: 'DEV0001' },
      caKeys: caKeysOf(keyset),
    });
  });
  after(async () => {
    user.close();
    psamSlot.close();
    await stack.stop();
  });

  it('reads a generation 2 card with the fewest APDUs and proves it genuine with the PSAM', async () => {
    await insert(gen2);
    const result = await ops.readCard({ verify: false });
    assert.equal(result.info.generation, 2);
    assert.equal(result.info.cardNumber, gen2.card.cardNumber);
    assert.equal(result.info.ssn, gen2.holder.ssn);
    assert.equal(result.info.name, gen2.holder.name);
    // SELECT, 7 EF05 records, 6 EF06 records.
    assert.equal(result.apduCount, 14);
    const verified = await ops.readCard();
    assert.equal(verified.verification?.genuine, true, JSON.stringify(verified.verification?.failed));
    assert.ok(verified.verification?.passed.includes('card-authentication'));
    const fields = parseReadCardBas(verified.readCardBas);
    assert.equal(fields.region, gen2.card.cardIdCode.slice(0, 6));
    assert.equal(fields.terminalNumber, '410100813475');
    assert.equal(fields.version, '2.00');
  });

  it('releases a generation 3 card holder data with EXTERNAL AUTHENTICATE and checks DDA', async () => {
    await insert(gen3);
    const result = await ops.readCard();
    assert.equal(result.info.generation, 3);
    assert.equal(result.info.ssn, gen3.holder.ssn);
    assert.equal(result.verification?.genuine, true, JSON.stringify(result.verification?.failed));
    assert.ok(result.verification?.passed.includes('card-authentication'));
    if (gen3.applications.debit)
      assert.ok(result.verification?.passed.includes('offline-data-authentication'));
    const bas = await ops.readCardBas(3);
    assert.equal(bas.code, 0);
    assert.equal(parseReadCardBas(bas.output).ssn, gen3.holder.ssn);
  });

  it('reports a card with keys the issuer does not know as not genuine (-21)', async () => {
    await insert({ ...gen2, keyOverride: { internalAuth: randomBytes(16).toString('hex').toUpperCase() } });
    const result = await ops.readCard();
    assert.equal(result.verification?.genuine, false);
    assert.deepEqual(
      result.verification?.failed.map((f) => f.check),
      ['card-authentication'],
    );
    assert.equal((await ops.readCardBas(1)).code, -21);
  });

  it('fails DDA for a debit application certified by another CA', async () => {
    await insert(gen3, { ...generateKeyset(), ssse: keyset.ssse });
    const result = await ops.readCard();
    assert.equal(result.verification?.genuine, false);
    assert.deepEqual(
      result.verification?.failed.map((f) => f.check),
      ['offline-data-authentication'],
    );
  });

  it('tells right, wrong (with tries left) and blocked PINs apart', async () => {
    await insert(gen2);
    const pin = gen2.pin.value;
    assert.equal((await ops.verifyPin(Buffer.from(pin))).status.state, 'ok');
    const wrong = pin === '000000' ? '111111' : '000000';
    const first = await ops.verifyPin(Buffer.from(wrong));
    assert.deepEqual(first.status, { state: 'wrong', triesLeft: 2 });
    assert.match(first.message.zh, /2 次/);
    await ops.verifyPin(Buffer.from(wrong));
    const third = await ops.verifyPin(Buffer.from(wrong));
    assert.notEqual(third.status.state, 'ok');
    assert.equal((await ops.verifyPin(Buffer.from(pin))).status.state, 'blocked');
  });

  it('wipes the PIN buffer it was given', async () => {
    await insert(gen2);
    const pin = Buffer.from(gen2.pin.value);
    await ops.verifyPin(pin);
    assert.ok(pin.every((b) => b === 0));
  });

  it('reads a generation 3 card without a PSAM: public fields only, as iReadCardBas does', async () => {
    psamSlot.remove();
    await waitFor('the PSAM gone', () => !stack.manager.get(psamReader())?.card);
    await insert(gen3);
    const bas = await ops.readCardBas(1);
    assert.equal(bas.code, 0);
    const fields = parseReadCardBas(bas.output);
    assert.equal(fields.ssn, '');
    assert.equal(fields.name, '');
    assert.equal(fields.cardNumber, gen3.card.cardNumber);
  });

  it('answers -2 when no card is in the reader', async () => {
    user.remove();
    await waitFor('the card gone', () => !stack.manager.get(userReader())?.card);
    assert.equal((await ops.readCardBas(1)).code, -2);
  });
});
