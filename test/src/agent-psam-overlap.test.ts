import assert from 'node:assert/strict';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { after, before, beforeEach, describe, it } from 'node:test';
import {
  authBlockSize,
  type CardAlgorithm,
  challengeBlock,
  encrypt,
  fromHex,
  parseReadCardBas,
  ssseCardKey,
} from '@sscard/card-core';
import { VpcdSlot } from '@sscard/card-emulator/bridge/vpcd-client';
import { createCard, createPsam, generateKeyset } from '@sscard/card-emulator/cards/index';
import { CardWithFaults } from '@sscard/card-emulator/faults';
import { waitFor } from '@sscard/test-harness';
import { Psam } from '@sscard/terminal-agent/apps/psam';
import { CardOperations } from '@sscard/terminal-agent/card-operations';
import { ReaderError } from '@sscard/terminal-agent/readers/errors';
import { type AgentStack, demoCardsByGeneration, startAgentStack } from './agent-stack.js';
import { ApduLog, LoggedCard } from './apdu-log.js';

const isCardRemoved = (e: unknown) => e instanceof ReaderError && e.code === 'CardRemoved';
const ins = (command: string) => command.slice(0, 4);
const isPrepareKey = (command: string, keyId: number) =>
  ins(command) === '801A' && command.slice(4, 6) === keyId.toString(16).padStart(2, '0').toUpperCase();

/**
 * The PSAM working while the citizen's card answers: the card authentication's PSAM work runs
 * beside the card's reads, the PSAM keeps each key diversification with its own encryption, and
 * a card pulled while the PSAM is busy leaves nothing behind for the next read.
 */
describe('the PSAM alongside the card', () => {
  let stack: AgentStack;
  let user: VpcdSlot;
  let psamSlot: VpcdSlot;
  let ops: CardOperations;
  let card: LoggedCard;
  let psam: LoggedCard;
  const log = new ApduLog();
  const keyset = generateKeyset();
  const { gen2, gen3 } = demoCardsByGeneration();
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);

  async function insertCard(): Promise<void> {
    if (user.card) {
      user.remove();
      await waitFor('the previous card gone', () => !stack.manager.get(stack.userReader())?.card);
    }
    card = new LoggedCard(new CardWithFaults(createCard(gen3, keyset)), 'card', log);
    user.insert(card);
    await waitFor('the card seen', () => stack.manager.get(stack.userReader())?.card);
  }

  /** What the PSAM computes for a card: E(K, block), K diversified from the issuer's master key. */
  function expected(
    usage: 'internalAuth' | 'externalAuth',
    algorithm: CardAlgorithm,
    id: string,
    block: Buffer,
  ) {
    const master = fromHex(keyset.ssse[algorithm][usage]);
    return encrypt(algorithm, ssseCardKey(algorithm, master, fromHex(id)), block, { mode: 'ecb' });
  }

  before(async () => {
    process.on('unhandledRejection', onUnhandled);
    stack = await startAgentStack({ readers: 1 });
    user = new VpcdSlot({ port: stack.pcscd.vpcdPorts[0]!, backoff: { initialMs: 50, maxMs: 300 } });
    psamSlot = new VpcdSlot({ port: stack.pcscd.vpcdPorts[1]!, backoff: { initialMs: 50, maxMs: 300 } });
    psam = new LoggedCard(new CardWithFaults(createPsam(keyset)), 'psam', log);
    psamSlot.insert(psam);
    await waitFor('the PSAM seen', () => stack.manager.get(stack.psamReader())?.card);
    ops = new CardOperations({
      readers: stack.manager,
      terminal: { terminalNumber: '410100813475', deviceNumber: 'DEV0001' },
    });
    await insertCard();
  });

  beforeEach(() => {
    psam.inner.fault = { kind: 'none' };
    card.inner.fault = { kind: 'none' };
    card.onCommand = undefined;
    log.clear();
  });

  after(async () => {
    process.off('unhandledRejection', onUnhandled);
    user.close();
    psamSlot.close();
    await stack.stop();
  });

  it('keeps each 801A with its own 80FA when cryptograms are asked for at once, and answers each right', async () => {
    // A slow PSAM, so that requests would meet in the middle if the PSAM did not take them in turn.
    psam.inner.fault = { kind: 'slow', delayMs: 15 };
    // Held and selected (the first time in this process) before the log starts.
    const held = await Psam.open(stack.manager);
    log.clear();
    try {
      let deliver!: (challenge: Buffer) => void;
      const challenge = new Promise<Buffer>((resolve) => {
        deliver = resolve;
      });
      const late = Buffer.from('0102030405060708', 'hex');
      const requests = [
        { usage: 'externalAuth', algorithm: 'sm4', id: gen3.card.cardIdCode },
        { usage: 'internalAuth', algorithm: 'sm4', id: gen3.card.cardIdCode },
        { usage: 'internalAuth', algorithm: '3des', id: gen2.card.cardIdCode },
        { usage: 'externalAuth', algorithm: '3des', id: gen2.card.cardIdCode },
      ] as const;
      const blocks = requests.map((r, i) => Buffer.alloc(authBlockSize(r.algorithm), 0x11 * (i + 1)));
      const answers = Promise.all([
        // The first waits for its block (a card's GET CHALLENGE) while the others queue behind it.
        held.externalAuthCryptogram('sm4', gen3.card.cardIdCode, challenge),
        ...requests.slice(1).map((r, i) => held.cryptogram(r.usage, r.algorithm, r.id, blocks[i + 1]!)),
      ]);
      await waitFor(
        'the first key diversified',
        () =>
          log.indexOf((e) => e.card === 'psam' && e.kind === 'answered' && ins(e.command) === '801A') >= 0,
      );
      deliver(late);
      const [first, ...rest] = await answers;
      assert.deepEqual(
        first,
        expected('externalAuth', 'sm4', gen3.card.cardIdCode, challengeBlock('sm4', late)),
      );
      rest.forEach((answer, i) => {
        const r = requests[i + 1]!;
        assert.deepEqual(answer, expected(r.usage, r.algorithm, r.id, blocks[i + 1]!), `request ${i + 2}`);
      });
      // One operation at a time, in the order asked: 801A, its 80FA, the next 801A.
      const commands = log.commands('psam');
      assert.deepEqual(commands.map(ins), ['801A', '80FA', '801A', '80FA', '801A', '80FA', '801A', '80FA']);
      requests.forEach((r, i) => {
        assert.ok(isPrepareKey(commands[2 * i]!, r.usage === 'internalAuth' ? 1 : 2), `801A ${i + 1}`);
      });
      const psamEvents = log.events.filter((e) => e.card === 'psam');
      for (let i = 0; i < psamEvents.length; i += 2) {
        assert.equal(
          psamEvents[i]!.kind,
          'received',
          'the PSAM gets a command only once it answered the last',
        );
        assert.equal(psamEvents[i + 1]!.kind, 'answered');
      }
    } finally {
      await held.close();
    }
  });

  it('drops the 80FA of an operation whose block never comes, and serves the next one', async () => {
    const held = await Psam.open(stack.manager);
    log.clear();
    try {
      const withdrawn = held.externalAuthCryptogram(
        'sm4',
        gen3.card.cardIdCode,
        Promise.reject(new Error('no challenge')),
      );
      const block = Buffer.alloc(16, 0x5a);
      const next = held.cryptogram('internalAuth', 'sm4', gen3.card.cardIdCode, block);
      await assert.rejects(withdrawn, /no challenge/);
      assert.deepEqual(await next, expected('internalAuth', 'sm4', gen3.card.cardIdCode, block));
      assert.deepEqual(log.commands('psam').map(ins), ['801A', '801A', '80FA']);
    } finally {
      await held.close();
    }
  });

  it('keeps the PSAM busy while the card answers: realistic timing, the same APDUs on each card', async () => {
    await ops.readCardBas(3);
    psam.inner.fault = { kind: 'realistic-latency' };
    card.inner.fault = { kind: 'realistic-latency' };
    log.clear();
    const bas = await ops.readCardBas(3);
    assert.equal(bas.code, 0);
    assert.equal(parseReadCardBas(bas.output).ssn, gen3.holder.ssn);
    assert.equal(bas.apduCount, 11);
    // The card's sequence is the one a read one step at a time sends.
    assert.deepEqual(
      log.commands('card').map((c) => (ins(c) === '00B2' ? c.slice(0, 8) : ins(c))),
      [
        '00A4',
        '00B2012C',
        '00B2032C',
        '00B2052C',
        '00B2062C',
        '00B2072C',
        '0084',
        '0082',
        '00B20134',
        '00B20234',
        '0088',
      ],
    );
    const psamCommands = log.commands('psam');
    assert.deepEqual(psamCommands.map(ins), ['801A', '80FA', '801A', '80FA']);
    assert.ok(isPrepareKey(psamCommands[0]!, 2), 'the external authentication key first');
    assert.ok(isPrepareKey(psamCommands[2]!, 1), 'then the internal authentication key');

    const at = (cardName: string, kind: 'received' | 'answered', command: string, nth = 0) => {
      let seen = -1;
      return log.indexOf(
        (e) => e.card === cardName && e.kind === kind && ins(e.command) === command && ++seen === nth,
      );
    };
    // The PSAM diversifies the external authentication key while the card still reads EF05 ...
    assert.ok(at('psam', 'received', '801A') < at('card', 'received', '0084'), '801A before GET CHALLENGE');
    // ... waits for the card's challenge to encrypt it, and the card gets the cryptogram after.
    assert.ok(at('psam', 'received', '80FA') > at('card', 'answered', '0084'));
    assert.ok(at('card', 'received', '0082') > at('psam', 'answered', '80FA'));
    // The internal authentication's PSAM work runs while the card takes EXTERNAL AUTHENTICATE and
    // its holder records: under way before the card got 0082 answered, sent in full before the
    // card is asked for INTERNAL AUTHENTICATE. These are orderings the agent decides; how many
    // commands happen to meet on the two readers depends on the machine's scheduling.
    assert.ok(
      at('psam', 'answered', '80FA', 1) > at('card', 'received', '0082'),
      'PSAM still at work at 0082',
    );
    assert.ok(at('psam', 'received', '80FA', 1) < at('card', 'received', '0088'), 'PSAM done before 0088');
  });

  for (const [moment, pullAt] of [
    ['the PSAM diversifies the key for a challenge the card will not give', 'GET CHALLENGE'],
    ['the PSAM computes the internal authentication cryptogram', 'EF06'],
  ] as const) {
    it(`answers CardRemoved for a card pulled while ${moment}, and the next read works`, async () => {
      await ops.readCardBas(3);
      // A slow PSAM: its work is still under way when the card goes.
      psam.inner.fault = { kind: 'slow', delayMs: 60 };
      log.clear();
      let pulled = false;
      card.onCommand = (command) => {
        const here = pullAt === 'GET CHALLENGE' ? ins(command) === '0084' : command.startsWith('00B20134');
        if (pulled || !here) return undefined;
        pulled = true;
        // The card leaves the reader with the command unanswered.
        setImmediate(() => user.remove());
        return 'unanswered';
      };
      await assert.rejects(ops.readCard({ fields: 'readCardBas' }), isCardRemoved);
      log.note('read over');
      assert.ok(pulled, 'the card was pulled mid-read');
      const over = log.indexOf((e) => e.kind === 'note');
      const psamEvents = log.events.map((e, i) => ({ ...e, i })).filter((e) => e.card === 'psam');
      assert.ok(psamEvents.length > 0, 'the PSAM was at work when the card went');
      assert.ok(
        psamEvents.every((e) => e.i < over),
        'the PSAM answered everything it was sent before the read ended, and got nothing after',
      );
      assert.equal(psamEvents.filter((e) => e.kind === 'answered').length, psamEvents.length / 2);
      if (pullAt === 'GET CHALLENGE') {
        // No 80FA without the challenge, and the internal authentication, not yet begun, dropped.
        assert.deepEqual(log.commands('psam').map(ins), ['801A']);
      }

      // The next card, the same PSAM: a whole read with its checks, the PSAM's operations in pairs.
      psam.inner.fault = { kind: 'none' };
      await waitFor('the card gone', () => !stack.manager.get(stack.userReader())?.card);
      await insertCard();
      log.clear();
      const read = await ops.readCard();
      assert.equal(read.verification?.genuine, true, JSON.stringify(read.verification?.failed));
      assert.ok(read.verification?.passed.includes('card-authentication'));
      assert.deepEqual(log.commands('psam').map(ins), ['801A', '80FA', '801A', '80FA']);
      await nextTurn();
      await nextTurn();
      assert.deepEqual(unhandled, [], 'no promise was left to fail unobserved');
    });
  }
});
