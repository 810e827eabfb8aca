import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { SsseBasicInfo } from '@sscard/card-core';
import { basicInfoOf, parseCardDocument } from '@sscard/card-emulator/cards/card-document';
import { tempDir } from '@sscard/test-harness';
import {
  type RegistryClient,
  RemoteCardAuthVerifier,
  checkCardWithRegistry,
  isRegistryError,
  loadOrEnrol,
  proveCardPresence,
} from '@sscard/terminal-agent/registry/index';
import { RegistryClient as Client } from '@sscard/terminal-agent/registry/client';
import type { CardSession } from '@sscard/terminal-agent/session/card-session';
import type { CardCheckContext } from '@sscard/terminal-agent/verification/card-context';
import { CheckRegistry } from '@sscard/terminal-agent/verification/check-registry';
import { cardAuthentication } from '@sscard/terminal-agent/verification/rules/card-authentication';
import {
  type RegistryUnderTest,
  type SeededCard,
  citizenId,
  seedActiveCard,
  selectSsse,
  startRegistry,
  virtualCardChannel,
} from './registry-fixture.js';

let registry: RegistryUnderTest;
let kiosk: RegistryClient;
let gen2: SeededCard;
let gen3: SeededCard;

async function enrolledClient(terminalId: string, type: string): Promise<RegistryClient> {
  const enrolled = await loadOrEnrol({
    serviceUrl: registry.service.url,
    dataDir: await tempDir('sscard-agent-'),
    caCertPath: registry.caCertPath,
    enrolmentCode: await registry.enrolmentCode(terminalId, type),
  });
  return new Client({ serviceUrl: registry.service.url, credentials: enrolled.credentials });
}

const infoOf = (card: SeededCard): SsseBasicInfo => basicInfoOf(parseCardDocument(card.document));

before(async () => {
  registry = await startRegistry();
  kiosk = await enrolledClient('KIOSK-HALL-1', 'kiosk');
  gen2 = await seedActiveCard(registry, {
    idNumber: citizenId('19800101', '123'),
    name: '张三',
    generation: 2,
  });
  gen3 = await seedActiveCard(registry, {
    idNumber: citizenId('19920315', '246'),
    name: '李四',
    generation: 3,
  });
});
after(async () => {
  kiosk.close();
  await registry.close();
});

test('a seeded card read by a kiosk is valid, with the holder masked and the coverage listed', async () => {
  const result = await checkCardWithRegistry(kiosk, { info: infoOf(gen2) });
  assert.equal(result.status, 'valid');
  assert.equal(result.valid, true);
  assert.equal(result.cardPresent, false);
  assert.equal(result.card?.cardNumber, gen2.cardNumber);
  assert.equal(result.holder?.name, '张*');
  assert.equal(result.holder?.idNumber, `${gen2.idNumber.slice(0, 6)}********${gen2.idNumber.slice(-4)}`);
  assert.deepEqual(result.coverage?.map((c) => [c.schemeCode, c.schemeName, c.status]).sort(), [
    ['110', 'employee basic pension', 'active'],
    ['310', 'employee basic medical insurance', 'active'],
  ]);
  assert.ok(!JSON.stringify(result).includes(gen2.idNumber), 'the full ID number is not in the result');
});

test('a counter terminal also gets the holder masked from the registry check', async () => {
  const hospital = await enrolledClient('HIS-DESK-1', 'hospital');
  try {
    const result = await checkCardWithRegistry(hospital, { info: infoOf(gen2) });
    assert.equal(result.status, 'valid');
    assert.equal(result.holder?.name, '张*');
  } finally {
    hospital.close();
  }
});

test('a card the registry does not know is refused with CARD_UNKNOWN', async () => {
  const info = { ...infoOf(gen2), cardIdCode: `330300D156000005${'0123456789ABCDEF'}` };
  const result = await checkCardWithRegistry(kiosk, { info });
  assert.equal(result.status, 'invalid');
  assert.equal(result.reason, 'CARD_UNKNOWN');
  assert.equal(result.holder, undefined);
});

test("a card whose holder data differ from the registry's is refused", async () => {
  const result = await checkCardWithRegistry(kiosk, { info: { ...infoOf(gen2), name: '王五' } });
  assert.equal(result.status, 'invalid');
  assert.equal(result.reason, 'HOLDER_MISMATCH');
});

test('a card that failed verification on the terminal is not sent to the registry', async () => {
  const result = await checkCardWithRegistry(kiosk, {
    info: infoOf(gen2),
    verification: {
      genuine: false,
      ran: ['card-authentication'],
      passed: [],
      failed: [{ check: 'card-authentication', reason: 'wrong cryptogram' }],
      skipped: [],
      results: [],
    },
  });
  assert.equal(result.status, 'skipped');
  assert.equal(result.reason, 'CARD_NOT_GENUINE');
});

function checkContext(
  card: SeededCard,
  channel: ReturnType<typeof virtualCardChannel>,
  algorithm: '3des' | 'sm4',
) {
  const info = infoOf(card);
  const context: CardCheckContext = {
    subject: { atr: Buffer.alloc(0), info, generation: algorithm === 'sm4' ? 3 : 2, holderDataRead: true },
    now: new Date(),
    // The rule talks to the card through `transmit` only; the virtual card channel offers that.
    session: channel as unknown as CardSession,
    algorithm,
    cardAuth: new RemoteCardAuthVerifier(kiosk),
    debit: async () => undefined,
  };
  return context;
}

for (const [label, card, algorithm] of [
  ['generation 2 (3DES)', () => gen2, '3des'],
  ['generation 3 (SM4)', () => gen3, 'sm4'],
] as const) {
  test(`a genuine ${label} card passes card authentication verified by the service's HSM`, async () => {
    const channel = virtualCardChannel(card().document, registry.keyset);
    await selectSsse(channel);
    const checks = new CheckRegistry<CardCheckContext>([cardAuthentication]);
    const report = await checks.verify(checkContext(card(), channel, algorithm));
    assert.deepEqual(report.passed, ['card-authentication'], JSON.stringify(report.failed));
    assert.ok(
      channel.apdus.some((apdu) => apdu[1] === 0x88),
      'the card itself answered INTERNAL AUTHENTICATE',
    );
  });
}

test('a card with keys the issuer did not give it fails card authentication', async () => {
  const forged = structuredClone(gen2.document) as Record<string, unknown>;
  forged.keyOverride = { internalAuth: '00112233445566778899AABBCCDDEEFF' };
  const channel = virtualCardChannel(forged, registry.keyset);
  await selectSsse(channel);
  const report = await new CheckRegistry<CardCheckContext>([cardAuthentication]).verify(
    checkContext(gen2, channel, '3des'),
  );
  assert.equal(report.genuine, false);
  assert.match(report.failed[0]!.reason, /checked by card-service/);
});

test('an identity check with a card-present proof says the card was present, and the proof works once', async () => {
  const channel = virtualCardChannel(gen3.document, registry.keyset);
  await selectSsse(channel);
  const proof = await proveCardPresence(kiosk, channel, gen3.cardIdCode, 'sm4');
  const first = await checkCardWithRegistry(kiosk, { info: infoOf(gen3) }, proof);
  assert.equal(first.status, 'valid');
  assert.equal(first.cardPresent, true);
  const replay = await checkCardWithRegistry(kiosk, { info: infoOf(gen3) }, proof);
  assert.equal(replay.status, 'invalid');
  assert.equal(replay.reason, 'PROOF_CHALLENGE_USED');
});

test('a revoked terminal is refused at its next request, even on a kept-alive connection', async () => {
  const client = await enrolledClient('KIOSK-HALL-2', 'kiosk');
  try {
    assert.equal((await checkCardWithRegistry(client, { info: infoOf(gen2) })).status, 'valid');
    await registry.revoke('KIOSK-HALL-2');
    const { cardIdCode, cardNumber, ssn, name } = infoOf(gen2);
    await assert.rejects(client.identityCheck({ cardIdCode, cardNumber, ssn, name }), (e: unknown) => {
      assert.ok(isRegistryError(e, 'TERMINAL_REVOKED'));
      assert.equal(e.serviceCode, 'CLIENT_CERT_REVOKED');
      return true;
    });
    const shown = await checkCardWithRegistry(client, { info: infoOf(gen2) });
    assert.equal(shown.status, 'unavailable');
    assert.equal(shown.reason, 'TERMINAL_REVOKED');
  } finally {
    client.close();
  }
});

test('a refusal by the service keeps its problem code', async () => {
  await assert.rejects(kiosk.createChallenge(`330300D156000005${'FEDCBA9876543210'}`), (e: unknown) => {
    assert.ok(isRegistryError(e, 'REFUSED'));
    assert.equal(e.serviceCode, 'NOT_FOUND');
    assert.equal(e.details?.status, 404);
    return true;
  });
});
