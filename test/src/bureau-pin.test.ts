import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createCard, createPsam, parseCardDocument } from '@sscard/card-emulator/cards/index';
import { CardWithFaults } from '@sscard/card-emulator/faults';
import type { VirtualCard } from '@sscard/card-emulator/virtual-card';
import { type Pcscd, startPcscd, tempDir, waitFor } from '@sscard/test-harness';
import { isRegistryError, loadOrEnrol } from '@sscard/terminal-agent/registry/index';
import { RegistryClient } from '@sscard/terminal-agent/registry/client';
import { proveCardPresence } from '@sscard/terminal-agent/registry/remote-card-auth';
import { WebSocket } from 'ws';
import { type BureauCounter, blockPin, clerkToken, startBureauCounter, verify } from './bureau-counter.js';
import {
  type RegistryUnderTest,
  type SeededCard,
  citizenId,
  seedActiveCard,
  selectSsse,
  startRegistry,
  virtualCardChannel,
} from './registry-fixture.js';

const INITIAL_PIN = '123456';
/** The PIN the citizen chose in place of the initial one: a reload shows as its loss. */
const OWN_PIN = '246813';
const AUTHORISATION = '/v1/bureau/pin-authorisation';
const MANAGEMENT = '/v1/bureau/pin-management';

/**
 * PIN unblock and reload at a bureau counter on the real stack: card-service with its HSM process,
 * the counter's agent enrolled as a `bureau` terminal, pcscd with vpcd, cards the registry issued
 * and, in the second reader, the counter's PSAM when it has one. Nothing is done to a card's PIN
 * without a clerk's authorisation for that card and operation, and each serves once.
 */
describe('PIN unblock and reload at a bureau counter', () => {
  const TERMINAL = 'C-330300-0007';
  let registry: RegistryUnderTest;
  let pcscd: Pcscd;
  let counter: BureauCounter;
  let wang: SeededCard;
  let li: SeededCard;
  let wangCard: VirtualCard;
  let clerk: string;
  let ws: WebSocket;

  before(async () => {
    registry = await startRegistry();
    wang = await seedActiveCard(registry, {
      idNumber: citizenId('19850612', '135'),
      name: '王芳',
      generation: 3,
    });
    li = await seedActiveCard(registry, {
      idNumber: citizenId('19520301', '217'),
      name: '李建国',
      generation: 2,
    });
    wangCard = ownCard(wang);
    clerk = await clerkToken(registry, '窗口 7 张敏', ['pin:authorise']);
    pcscd = await startPcscd({ readers: 1 });
    process.env.PCSCLITE_CSOCK_NAME = pcscd.env.PCSCLITE_CSOCK_NAME;
    counter = await startBureauCounter({
      registry,
      terminalId: TERMINAL,
      dataDir: await tempDir('sscard-bureau-'),
      pcscd,
    });
    ws = new WebSocket(`ws://127.0.0.1:${counter.agent.address.port}/ws/ministry`, {
      headers: { origin: counter.base },
    });
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
  });

  after(async () => {
    ws?.close();
    await counter?.stop();
    await pcscd?.stop();
    await registry?.close();
  });

  /** The holder's card as the registry issued it, with the PIN its holder chose since. */
  const ownCard = (holder: SeededCard): VirtualCard =>
    createCard(
      parseCardDocument({ ...(holder.document as object), pin: { value: OWN_PIN, triesLeft: 3 } }),
      registry.keyset,
    );

  const userReader = () => counter.agent.readers.list().find((r) => r.role === 'user');

  async function insert(card: VirtualCard): Promise<void> {
    counter.slot.insert(new CardWithFaults(card));
    await waitFor('the card', () => userReader()?.card);
  }

  async function remove(): Promise<void> {
    counter.slot.remove();
    await waitFor('the card to be out', () => !userReader()?.card);
  }

  function ministry(request: unknown): Promise<{ success: number; pOutInfo: string }> {
    return new Promise((resolve) => {
      ws.once('message', (data) => resolve(JSON.parse(data.toString())));
      ws.send(JSON.stringify(request));
    });
  }

  const authorise = (operation: 'reload' | 'unblock', holder: SeededCard, token = clerk) =>
    counter.post(AUTHORISATION, { operation, clerkToken: token, holderIdNumber: holder.idNumber });

  async function audit(): Promise<{ action: string; result: string; operatorId: string | null }[]> {
    const answer = await registry.operator<{
      entries: { action: string; result: string; terminalId: string | null; operatorId: string | null }[];
    }>('GET', '/v1/audit?limit=1000');
    return answer.body.entries.filter((e) => e.terminalId === TERMINAL);
  }

  const clerkId = () => clerk.split('_')[1]!;

  it('signs the clerk in with a token that may authorise, and no one else', async () => {
    const signedIn = await counter.post('/v1/bureau/clerk', { clerkToken: clerk });
    assert.equal(signedIn.status, 200, JSON.stringify(signedIn.body));
    assert.deepEqual(signedIn.body, { operatorId: clerkId(), name: '窗口 7 张敏' });
    const reader = await clerkToken(registry, 'records office', ['registry:read']);
    for (const token of [reader, 'sst_0123456789abcdef_not-a-secret', 'guess']) {
      const refused = await counter.post('/v1/bureau/clerk', { clerkToken: token });
      assert.equal(refused.status, 403);
      assert.equal(refused.body.code, 'CLERK_NOT_ALLOWED');
    }
    const entries = await audit();
    assert.ok(entries.some((e) => e.action === 'counter.clerkSignIn' && e.operatorId === clerkId()));
    assert.ok(entries.some((e) => e.action === 'counter.clerkRefused' && e.result === 'SCOPE_MISSING'));
    assert.ok(entries.some((e) => e.action === 'counter.clerkRefused' && e.result === 'TOKEN_INVALID'));
  });

  it('unblocks a blocked PIN through the HSM in two steps, on the clerk’s authorisation only', async () => {
    blockPin(wangCard);
    await insert(wangCard);
    // Without an authorisation the counter sends nothing to the card.
    assert.deepEqual((await counter.post(MANAGEMENT, { operation: 'unblock' })).body, {
      operation: 'unblock',
      ok: false,
      code: -2205,
    });
    assert.equal((await ministry({ function: 'iUnblockPIN', iType: 1, pCardInfo: '' })).success, -2205);
    assert.equal((await ministry({ func: 'iUnblockPIN_HSM_Step1', in: ['1', ''] })).success, -2205);
    // The identity document shown is not the holder's: no authorisation.
    const stranger = await counter.post(AUTHORISATION, {
      operation: 'unblock',
      clerkToken: clerk,
      holderIdNumber: li.idNumber,
    });
    assert.equal(stranger.status, 422);
    assert.equal(stranger.body.code, 'HOLDER_MISMATCH');
    // A clerk without the scope cannot authorise.
    const records = await clerkToken(registry, 'records office', ['registry:write']);
    assert.equal((await authorise('unblock', wang, records)).body.code, 'CLERK_NOT_ALLOWED');
    // A reload authorised is not an unblock.
    assert.equal((await authorise('reload', wang)).status, 200);
    assert.equal((await counter.post(MANAGEMENT, { operation: 'unblock' })).body.code, -2205);

    const granted = await authorise('unblock', wang);
    assert.equal(granted.status, 200, JSON.stringify(granted.body));
    assert.equal(granted.body.operation, 'unblock');
    assert.equal(granted.body.cardNumber, wang.cardNumber);
    assert.deepEqual(granted.body.clerk, { operatorId: clerkId(), name: '窗口 7 张敏' });
    const done = await counter.post(MANAGEMENT, { operation: 'unblock' });
    assert.deepEqual(done.body, { operation: 'unblock', ok: true, code: 0 });
    // Spent: the same operation again needs the clerk again.
    assert.equal((await counter.post(MANAGEMENT, { operation: 'unblock' })).body.code, -2205);
    await remove();
    // The citizen's own PIN again, its tries restored.
    assert.equal(verify(wangCard, OWN_PIN), 0x9000);

    const entries = await audit();
    const authorised = entries.filter((e) => e.action === 'card.pinAuthorise');
    assert.deepEqual(
      authorised.map((e) => e.result),
      ['HOLDER_MISMATCH', 'ok', 'ok'],
    );
    assert.ok(authorised.every((e) => e.operatorId === clerkId()));
    const unblocked = entries.find((e) => e.action === 'card.hsmPinUnblock' && e.result === 'ok');
    assert.equal(unblocked?.operatorId, clerkId());
  });

  it('reloads a forgotten PIN through the page’s two ministry steps, and refuses a lapsed authorisation', async () => {
    await insert(wangCard);
    assert.equal((await authorise('reload', wang)).status, 200);
    // The clerk is called away; the authorisation lapses before the counter uses it.
    registry.setClockOffset(6 * 60_000);
    try {
      assert.equal((await counter.post(MANAGEMENT, { operation: 'reload' })).body.code, -2205);
    } finally {
      registry.setClockOffset(0);
    }
    assert.ok(
      (await audit()).some((e) => e.action === 'card.hsmPinReload' && e.result === 'AUTHORISATION_EXPIRED'),
    );

    assert.equal((await authorise('reload', wang)).status, 200);
    const step1 = await ministry({ func: 'iReloadPIN_HSM_Step1', in: ['1', `${wang.cardNumber}|`] });
    assert.equal(step1.success, 0);
    const key = await counter.post('/v1/registry/hsm-step', {
      function: 'iReloadPIN_HSM_Step1',
      step1: step1.pOutInfo,
    });
    assert.equal(key.status, 200, JSON.stringify(key.body));
    assert.equal((await ministry({ func: 'iReloadPIN_HSM_Step2', in: [key.body.pKey] })).success, 0);
    // The relay spent the authorisation: a second key for the same step is refused.
    const again = await counter.post('/v1/registry/hsm-step', {
      function: 'iReloadPIN_HSM_Step1',
      step1: step1.pOutInfo,
    });
    assert.equal(again.status, 403);
    assert.equal(again.body.code, 'PIN_NOT_AUTHORISED');
    await remove();
    assert.equal(verify(wangCard, OWN_PIN), 0x63c2);
    assert.equal(verify(wangCard, INITIAL_PIN), 0x9000);
  });

  it('forgets an authorisation when its card leaves the reader', async () => {
    await insert(wangCard);
    assert.equal((await authorise('unblock', wang)).status, 200);
    await remove();
    await insert(wangCard);
    assert.equal((await counter.post(MANAGEMENT, { operation: 'unblock' })).body.code, -2205);
    await remove();
  });

  for (const who of ['a generation 3 card', 'a generation 2 card'] as const) {
    it(`unblocks and reloads ${who} with the counter’s PSAM, spending the authorisation at card-service`, async () => {
      const holder = who === 'a generation 3 card' ? wang : li;
      const card = ownCard(holder);
      counter.psamSlot.insert(new CardWithFaults(createPsam(registry.keyset)));
      await waitFor('the PSAM', () => counter.agent.readers.list().find((r) => r.role === 'psam')?.card);
      try {
        blockPin(card);
        await insert(card);
        assert.equal((await counter.post(MANAGEMENT, { operation: 'unblock' })).body.code, -2205);
        assert.equal((await authorise('unblock', holder)).status, 200);
        assert.equal(
          (await ministry({ function: 'iUnblockPIN', iType: 1, pCardInfo: `${holder.cardNumber}|` })).success,
          0,
        );
        await remove();
        assert.equal(verify(card, OWN_PIN), 0x9000);

        await insert(card);
        assert.equal((await authorise('reload', holder)).status, 200);
        assert.deepEqual((await counter.post(MANAGEMENT, { operation: 'reload' })).body, {
          operation: 'reload',
          ok: true,
          code: 0,
        });
        await remove();
        assert.equal(verify(card, OWN_PIN), 0x63c2);
        assert.equal(verify(card, INITIAL_PIN), 0x9000);
      } finally {
        counter.psamSlot.remove();
        await waitFor(
          'the PSAM out',
          () => !counter.agent.readers.list().find((r) => r.role === 'psam')?.card,
        );
      }
      const entries = await audit();
      for (const action of ['card.psamPinUnblock', 'card.psamPinReload']) {
        assert.ok(
          entries.some((e) => e.action === action && e.result === 'ok' && e.operatorId === clerkId()),
        );
      }
    });
  }

  it('spends an authorisation once at card-service, for its counter, card and operation only, and never at a kiosk', async () => {
    const enrol = async (terminalId: string, type: string) => {
      const enrolled = await loadOrEnrol({
        serviceUrl: registry.service.url,
        dataDir: await tempDir('sscard-terminal-'),
        caCertPath: registry.caCertPath,
        enrolmentCode: await registry.enrolmentCode(terminalId, type),
      });
      return new RegistryClient({ serviceUrl: registry.service.url, credentials: enrolled.credentials });
    };
    const other = await enrol('C-330300-0008', 'bureau');
    const kiosk = await enrol('K-330300-0031', 'kiosk');
    try {
      const card = virtualCardChannel(wang.document, registry.keyset);
      await selectSsse(card);
      const request = async (client: RegistryClient) => ({
        clerkToken: clerk,
        operation: 'unblock' as const,
        cardNumber: wang.cardNumber,
        cardIdCode: wang.cardIdCode.toUpperCase(),
        holderIdNumber: wang.idNumber,
        proof: await proveCardPresence(client, card, wang.cardIdCode.toUpperCase()),
      });
      const refusedWith = (code: string) => (e: unknown) => {
        assert.ok(isRegistryError(e, 'REFUSED'));
        assert.equal(e.serviceCode, code);
        return true;
      };
      await assert.rejects(kiosk.authorisePin(await request(other)), (e) => {
        assert.ok(isRegistryError(e));
        assert.equal(e.details?.status, 403);
        return true;
      });
      const granted = await other.authorisePin(await request(other));
      const redeem = { operation: 'unblock' as const, cardNumber: wang.cardNumber };
      await assert.rejects(
        other.redeemPinAuthorisation(granted.authorisationId, { ...redeem, operation: 'reload' }),
        refusedWith('AUTHORISATION_MISMATCH'),
      );
      await assert.rejects(
        other.redeemPinAuthorisation(granted.authorisationId, { ...redeem, cardNumber: li.cardNumber }),
        refusedWith('AUTHORISATION_MISMATCH'),
      );
      await assert.rejects(
        counter.agent.registry.redeemPinAuthorisation(granted.authorisationId, redeem),
        refusedWith('AUTHORISATION_UNKNOWN'),
      );
      const redeemed = await other.redeemPinAuthorisation(granted.authorisationId, redeem);
      assert.equal(redeemed.authorisationId, granted.authorisationId);
      await assert.rejects(
        other.redeemPinAuthorisation(granted.authorisationId, redeem),
        refusedWith('AUTHORISATION_USED'),
      );
      const lapsed = await other.authorisePin(await request(other));
      registry.setClockOffset(6 * 60_000);
      try {
        await assert.rejects(
          other.redeemPinAuthorisation(lapsed.authorisationId, redeem),
          refusedWith('AUTHORISATION_EXPIRED'),
        );
      } finally {
        registry.setClockOffset(0);
      }
    } finally {
      other.close();
      kiosk.close();
    }
  });
});
