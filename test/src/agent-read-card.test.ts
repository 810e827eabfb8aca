import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import {
  externalAuthCryptogram,
  fromHex,
  makeCitizenId,
  parseReadCardBas,
  ssseCardKey,
} from '@sscard/card-core';
import { VpcdSlot } from '@sscard/card-emulator/bridge/vpcd-client';
import {
  type CardAlteration,
  type CardDocument,
  createAlteredCard,
  createCard,
  createPsam,
  generateKeyset,
  type IssuerKeyset,
  personalise,
} from '@sscard/card-emulator/cards/index';
import { CardWithFaults } from '@sscard/card-emulator/faults';
import { waitFor } from '@sscard/test-harness';
import { CardOperations } from '@sscard/terminal-agent/card-operations';
import { PinEntryError } from '@sscard/terminal-agent/pinpad/errors';
import { type AgentStack, caKeysOf, demoCardsByGeneration, startAgentStack } from './agent-stack.js';

describe('reading and verifying social security cards through the agent', () => {
  let stack: AgentStack;
  let user: VpcdSlot;
  let psamSlot: VpcdSlot;
  let ops: CardOperations;
  const keyset = generateKeyset();
  const { gen2, gen3 } = demoCardsByGeneration();

  // Cards of the same issuer as the demo cards, personalised for other people: the chips a forger
  // would rewrite with a victim's data.
  const [forgerGen2, forgerGen3] = personalise(
    [
      { ssn: makeCitizenId('330302', '19700101', 511), name: '王五', generation: 2, serial: 900 },
      { ssn: makeCitizenId('320205', '19700101', 513), name: '赵六', generation: 3, serial: 901 },
    ],
    { issueDate: '20240315' },
  ) as [CardDocument, CardDocument];

  async function insert(
    doc: CardDocument,
    issuer: IssuerKeyset = keyset,
    alteration?: CardAlteration,
  ): Promise<void> {
    if (user.card) {
      user.remove();
      await waitFor('the previous card gone', () => !stack.manager.get(stack.userReader())?.card);
    }
    const card = alteration ? createAlteredCard(doc, issuer, alteration) : createCard(doc, issuer);
    user.insert(new CardWithFaults(card));
    await waitFor('the card seen', () => stack.manager.get(stack.userReader())?.card);
  }

  /** The victim's data, as a forger writes it onto a chip of their own. */
  function copiedFrom(victim: CardDocument): CardAlteration {
    return {
      fields: {
        cardIdCode: victim.card.cardIdCode,
        cardNumber: victim.card.cardNumber,
        ssn: victim.holder.ssn,
        name: victim.holder.name,
        gender: victim.holder.gender,
        birthDate: victim.holder.birthDate,
        birthplace: victim.holder.birthplace,
      },
    };
  }

  before(async () => {
    stack = await startAgentStack({ readers: 1 });
    user = new VpcdSlot({ port: stack.pcscd.vpcdPorts[0]!, backoff: { initialMs: 50, maxMs: 300 } });
    psamSlot = new VpcdSlot({ port: stack.pcscd.vpcdPorts[1]!, backoff: { initialMs: 50, maxMs: 300 } });
    psamSlot.insert(new CardWithFaults(createPsam(keyset)));
    await waitFor('the PSAM seen', () => stack.manager.get(stack.psamReader())?.card);
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

  it('reads only the records iReadCardBas returns: 8 APDUs on generation 2, 10 on generation 3', async () => {
    await insert(gen2);
    const basRead = await ops.readCard({ verify: false, fields: 'readCardBas' });
    // SELECT, card id code, version, issue date, expiry, card number, SSN, name.
    assert.equal(basRead.apduCount, 8);
    const full = await ops.readCard({ verify: false });
    assert.equal(basRead.readCardBas, full.readCardBas, 'the same iReadCardBas string as a full read');
    assert.equal(full.info.birthDate, gen2.holder.birthDate, 'the full read keeps every field');
    assert.equal(full.info.initOrg, gen2.card.initOrg);
    const bas = await ops.readCardBas(1);
    assert.equal(bas.code, 0);
    // The read, INTERNAL AUTHENTICATE (the PSAM's own APDUs are not the card's), and, with CA keys
    // configured, the look for a debit application: SELECT PPSE and the three debit AIDs.
    assert.equal(bas.apduCount, 8 + 1 + 4);

    await insert(gen3);
    // ... plus GET CHALLENGE and EXTERNAL AUTHENTICATE before EF06.
    const gen3Bas = await ops.readCard({ verify: false, fields: 'readCardBas' });
    assert.equal(gen3Bas.apduCount, 10);
    assert.equal(parseReadCardBas(gen3Bas.readCardBas).name, gen3.holder.name);
    // SELECT, 7 EF05 records, GET CHALLENGE, EXTERNAL AUTHENTICATE, 6 EF06 records.
    assert.equal((await ops.readCard({ verify: false })).apduCount, 16);
  });

  it("reports a card carrying another card's data under its own keys as not genuine, and stops there", async () => {
    await insert(forgerGen2, keyset, copiedFrom(gen2));
    const result = await ops.readCard();
    assert.equal(result.info.cardIdCode, gen2.card.cardIdCode, 'the copied data were read');
    assert.equal(result.verification?.genuine, false);
    assert.deepEqual(
      result.verification?.failed.map((f) => f.check),
      ['card-authentication'],
    );
    assert.ok(result.verification?.passed.includes('region-consistency'), 'the data and ATR agree');
    // The read (14) and INTERNAL AUTHENTICATE: nothing after the failed proof.
    assert.equal(result.apduCount, 15);
    assert.deepEqual(await ops.readCardBas(1), { code: -21, output: '', apduCount: 9 });
  });

  it('refuses a generation 3 card whose keys do not match its copied identification code (-21)', async () => {
    await insert(forgerGen3, keyset, copiedFrom(gen3));
    const bas = await ops.readCardBas(1);
    assert.equal(bas.code, -21);
    assert.equal(bas.output, '');
  });

  it('fails the holder-data check for an SSN with a wrong check character (-22)', async () => {
    const ssn = gen2.holder.ssn;
    const wrong = ssn.slice(0, 17) + (ssn[17] === '0' ? '1' : '0');
    await insert(gen2, keyset, { fields: { ssn: wrong } });
    const result = await ops.readCard();
    assert.equal(result.verification?.genuine, false);
    assert.deepEqual(
      result.verification?.failed.map((f) => f.check),
      ['holder-data-consistency'],
    );
    assert.match(result.verification?.failed[0]?.reason ?? '', /not valid/);
    assert.deepEqual(await ops.readCardBas(1), { code: -22, output: '', apduCount: 8 });
  });

  it('fails the region check for an identification code whose region is not the ATR one (-22)', async () => {
    // Only the region changes: the diversification data (the issuer bytes) and so the keys still fit.
    const moved = `320200${gen2.card.cardIdCode.slice(6)}`;
    await insert(gen2, keyset, { fields: { cardIdCode: moved }, atr: 'personalised' });
    const result = await ops.readCard();
    assert.equal(result.verification?.genuine, false);
    assert.deepEqual(
      result.verification?.failed.map((f) => f.check),
      ['region-consistency'],
    );
    assert.match(result.verification?.failed[0]?.reason ?? '', /region 3303/);
    assert.equal((await ops.readCardBas(1)).code, -22);
  });

  it('changes the PIN with the right current PIN; the new one then passes VERIFY', async () => {
    await insert(gen2);
    const changed = await ops.changePin(Buffer.from(gen2.pin.value), Buffer.from('270419'));
    assert.deepEqual(changed.status, { state: 'ok' });
    assert.deepEqual((await ops.verifyPin(Buffer.from('270419'))).status, { state: 'ok' });
    assert.deepEqual((await ops.verifyPin(Buffer.from(gen2.pin.value))).status, {
      state: 'wrong',
      triesLeft: 2,
    });
  });

  it('keeps the PIN and counts a try when the current PIN given is wrong', async () => {
    await insert(gen2);
    const wrong = gen2.pin.value === '000000' ? '111111' : '000000';
    const changed = await ops.changePin(Buffer.from(wrong), Buffer.from('270419'));
    assert.deepEqual(changed.status, { state: 'wrong', triesLeft: 2 });
    // The retry counter is reset by the right PIN, so the new PIN being refused proves it was kept.
    assert.deepEqual((await ops.verifyPin(Buffer.from(gen2.pin.value))).status, { state: 'ok' });
    assert.deepEqual((await ops.verifyPin(Buffer.from('270419'))).status, { state: 'wrong', triesLeft: 2 });
  });

  it('refuses the initial PIN (-36) and a trivial PIN (-35) as the new PIN without touching the card', async () => {
    await insert(gen2);
    await assert.rejects(
      ops.changePin(Buffer.from(gen2.pin.value), Buffer.from('123456')),
      (e) => e instanceof PinEntryError && e.returnCode === -36,
    );
    const newPin = Buffer.from('888888');
    await assert.rejects(
      ops.changePin(Buffer.from(gen2.pin.value), newPin),
      (e) => e instanceof PinEntryError && e.returnCode === -35,
    );
    assert.ok(
      newPin.every((b) => b === 0),
      'the refused PIN is wiped',
    );
    // A wrong current PIN would have cost a try: all three are still there.
    const wrong = gen2.pin.value === '000000' ? '111111' : '000000';
    assert.deepEqual((await ops.verifyPin(Buffer.from(wrong))).status, { state: 'wrong', triesLeft: 2 });
  });

  it('reads a generation 3 card without a PSAM: public fields only, as iReadCardBas does', async () => {
    psamSlot.remove();
    await waitFor('the PSAM gone', () => !stack.manager.get(stack.psamReader())?.card);
    await insert(gen3);
    const bas = await ops.readCardBas(1);
    assert.equal(bas.code, 0);
    const fields = parseReadCardBas(bas.output);
    assert.equal(fields.ssn, '');
    assert.equal(fields.name, '');
    assert.equal(fields.cardNumber, gen3.card.cardNumber);
  });

  it('reads a generation 3 card without a PSAM through a remote external authenticator, and without it when that has no answer', async () => {
    // The PSAM is out (the test before); the authenticator stands in for card-service's HSM module,
    // which holds the issuer's external-authentication master key.
    await insert(gen3);
    const challenges: Buffer[] = [];
    let answers = true;
    const remote = new CardOperations({
      readers: stack.manager,
      terminal: { terminalNumber: '410100813475', deviceNumber: 'DEV0001' },
      remoteExternalAuth:
        () =>
        async ({ cardIdCode, algorithm, challenge }) => {
          const value = await challenge;
          challenges.push(value);
          if (!answers) return undefined;
          const master = fromHex(keyset.ssse[algorithm].externalAuth);
          return externalAuthCryptogram(
            algorithm,
            ssseCardKey(algorithm, master, fromHex(cardIdCode)),
            value,
          );
        },
    });
    const read = await remote.readCard({ verify: false });
    assert.equal(read.info.ssn, gen3.holder.ssn);
    assert.equal(read.info.name, gen3.holder.name);
    assert.equal(challenges.length, 1);
    assert.equal(challenges[0]!.length, 8, "the card's GET CHALLENGE value");

    answers = false;
    const bas = await remote.readCardBas(1);
    assert.equal(bas.code, 0);
    const fields = parseReadCardBas(bas.output);
    assert.deepEqual([fields.ssn, fields.name], ['', ''], 'public fields only');
    assert.equal(fields.cardNumber, gen3.card.cardNumber);
    assert.equal(challenges.length, 2);
  });

  it('answers -2 when no card is in the reader', async () => {
    user.remove();
    await waitFor('the card gone', () => !stack.manager.get(stack.userReader())?.card);
    assert.equal((await ops.readCardBas(1)).code, -2);
  });
});
