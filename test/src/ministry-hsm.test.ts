import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseHsmStep1, parseReadCardBas, SSSE_AID } from '@sscard/card-core';
import { VpcdSlot } from '@sscard/card-emulator/bridge/vpcd-client';
import { parseCardDocument } from '@sscard/card-emulator/cards/card-document';
import { createCard } from '@sscard/card-emulator/cards/index';
import { CardWithFaults } from '@sscard/card-emulator/faults';
import type { VirtualCard } from '@sscard/card-emulator/virtual-card';
import { createLogger } from '@sscard/log';
import { type Pcscd, startPcscd, tempDir, waitFor } from '@sscard/test-harness';
import { AgentConfigSchema } from '@sscard/terminal-agent/config/schema';
import { type RunningAgent, startAgent } from '@sscard/terminal-agent/daemon';
import { isRegistryError, loadOrEnrol } from '@sscard/terminal-agent/registry/index';
import { RegistryClient } from '@sscard/terminal-agent/registry/client';
import { WebSocket } from 'ws';
import {
  type RegistryUnderTest,
  type SeededCard,
  citizenId,
  seedActiveCard,
  startRegistry,
} from './registry-fixture.js';

interface Answer {
  functionName: string;
  success: number;
  pOutInfo: string;
}

/** One APDU to a virtual card outside any reader, as hex in and status word out. */
function apdu(card: VirtualCard, hex: string): number {
  const response = card.transmit(Buffer.from(hex, 'hex'));
  return response.readUInt16BE(response.length - 2);
}

function selected(card: VirtualCard): VirtualCard {
  card.powerOn();
  // A generation 3 card answers 611E: its FCI is waiting (DESIGN.md §6).
  const sw = apdu(card, `00A404000F${Buffer.from(SSSE_AID).toString('hex')}`);
  assert.ok(sw === 0x9000 || sw >> 8 === 0x61, sw.toString(16));
  return card;
}

/**
 * The ministry interface's two-step calls through the bureau's HSM at a bank counter without a
 * PSAM: a real card-service (its HSM process holding the issuer keys the virtual cards carry), an
 * enrolled agent, pcscd with vpcd, and generation 3 cards the registry issued.
 */
describe('ministry two-step calls through the bureau HSM', () => {
  const TERMINAL = 'B-330300-0042';
  const HIS = 'https://his.bank.example';
  let registry: RegistryUnderTest;
  let pcscd: Pcscd;
  let agent: RunningAgent;
  let slot: VpcdSlot;
  let base: string;
  let ws: WebSocket;
  let seeded: SeededCard;
  let card: VirtualCard;

  before(async () => {
    registry = await startRegistry();
    seeded = await seedActiveCard(registry, {
      idNumber: citizenId('19850612', '135'),
      name: '王芳',
      generation: 3,
    });
    pcscd = await startPcscd({ readers: 1 });
    process.env.PCSCLITE_CSOCK_NAME = pcscd.env.PCSCLITE_CSOCK_NAME;
    const dataDir = await tempDir('sscard-counter-agent-');
    const config = AgentConfigSchema.parse({
      terminal: {
        id: TERMINAL,
        type: 'bank',
        region: '330300',
        number: '330300000042',
        deviceNumber: 'CTR0042',
      },
      api: { port: 0, allowedOrigins: [HIS], tokenFile: join(dataDir, 'api-token') },
      pin: { entry: 'none' },
      cardService: await registry.agentCardService(TERMINAL, 'bank', '330300'),
      dataDir,
    });
    agent = await startAgent(config, createLogger({ level: 'error', write: () => {} }));
    await agent.registry.ready();
    base = `127.0.0.1:${agent.address.port}`;
    slot = new VpcdSlot({ port: pcscd.vpcdPorts[0]!, backoff: { initialMs: 50, maxMs: 300 } });
    await waitFor('the vpcd readers', () => agent.readers.list().length === 2);
    ws = new WebSocket(`ws://${base}/ws/ministry`, { headers: { origin: HIS } });
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
  });

  after(async () => {
    ws?.close();
    slot?.close();
    await agent?.stop();
    await pcscd?.stop();
    await registry?.close();
  });

  const userReader = () => agent.readers.list().find((r) => r.role === 'user');

  async function insert(virtual: VirtualCard): Promise<void> {
    slot.insert(new CardWithFaults(virtual));
    await waitFor('the card', () => userReader()?.card);
  }

  async function remove(): Promise<void> {
    slot.remove();
    await waitFor('the card to be out', () => !userReader()?.card);
  }

  function call(request: unknown): Promise<Answer> {
    return new Promise((resolve) => {
      ws.once('message', (data) => resolve(JSON.parse(data.toString()) as Answer));
      ws.send(JSON.stringify(request));
    });
  }

  /** The page's trip to the bureau's HSM, through the agent's link to card-service. */
  async function hsm(
    fn: string,
    step1: string,
  ): Promise<{ status: number; body: { pKey?: string; code?: string } }> {
    const res = await fetch(`http://${base}/v1/registry/hsm-step`, {
      method: 'POST',
      headers: { origin: HIS, 'content-type': 'application/json' },
      body: JSON.stringify({ function: fn, step1 }),
    });
    return { status: res.status, body: (await res.json()) as { pKey?: string; code?: string } };
  }

  async function auditActions(): Promise<string[]> {
    const answer = await registry.operator<{
      entries: { action: string; result: string; terminalId: string | null }[];
    }>('GET', '/v1/audit?limit=1000');
    return answer.body.entries.filter((e) => e.terminalId === TERMINAL).map((e) => `${e.action} ${e.result}`);
  }

  it('reads the holder data of a generation 3 card in two steps with the HSM key, in both dialects', async () => {
    card = createCard(parseCardDocument(seeded.document), registry.keyset);
    await insert(card);
    const step1 = await call({ function: 'iReadCardBas_HSM_Step1', iType: 1 });
    assert.equal(step1.success, 0);
    const fields = parseHsmStep1(step1.pOutInfo);
    assert.equal(fields.cardIdCode, seeded.cardIdCode.toUpperCase());
    assert.equal(fields.algorithm, 'sm4');
    assert.equal(fields.region, seeded.cardIdCode.slice(0, 6));
    assert.equal(fields.terminalNumber, '330300000042');
    const key = await hsm('iReadCardBas_HSM_Step1', step1.pOutInfo);
    assert.equal(key.status, 200);
    assert.ok(key.body.pKey);
    const step2 = await call({ func: 'iReadCardBas_HSM_Step2', in: [key.body.pKey] });
    assert.equal(step2.success, 0);
    const read = parseReadCardBas(step2.pOutInfo);
    assert.equal(read.ssn, seeded.idNumber);
    assert.equal(read.name, seeded.name);
    assert.equal(read.cardNumber, seeded.cardNumber);
    assert.equal(read.terminalDeviceNumber, 'CTR0042');
    // The first step is spent: its key opens nothing a second time.
    assert.equal((await call({ function: 'iReadCardBas_HSM_Step2', pKey: key.body.pKey })).success, -12);
    assert.ok((await auditActions()).includes('card.hsmRead ok'));
  });

  it("refuses a key that is not for this card's first step, and a step the card did not give", async () => {
    const step1 = await call({ function: 'iReadCardBas_HSM_Step1', iType: 3 });
    assert.equal(step1.success, 0);
    const key = await hsm('iReadCardBas_HSM_Step1', step1.pOutInfo);
    const [internal, external] = key.body.pKey!.split('|');
    const otherInternal = `${internal!.slice(0, -2)}${internal!.endsWith('00') ? '01' : '00'}`;
    assert.equal(
      (await call({ func: 'iReadCardBas_HSM_Step2', in: [`${otherInternal}|${external}|`] })).success,
      -22,
    );

    // A forged answer in the step: the HSM vouches for no card whose answer its key does not give.
    const forged = step1.pOutInfo.split('|');
    forged[6] = forged[6] === '0000000000000000' ? '1111111111111111' : '0000000000000000';
    const refused = await hsm('iReadCardBas_HSM_Step1', forged.join('|'));
    assert.equal(refused.status, 422);
    assert.match(JSON.stringify(refused.body), /CRYPTOGRAM_INVALID/);
    assert.ok((await auditActions()).includes('card.hsmRead CRYPTOGRAM_INVALID'));
    assert.equal((await call({ function: 'iReadCardBas_HSM_Step2', pKey: 'zz' })).success, -12);
  });

  it('answers iGetReaderInfo and iReadCard by record address, for the card the caller names', async () => {
    assert.deepEqual(await call({ func: 'iGetReaderInfo', in: [] }), {
      functionName: 'iGetReaderInfo',
      success: 0,
      pOutInfo: 'CTR0042|330300000042|',
    });
    const records = await call({
      function: 'iReadCard',
      iType: 1,
      iAuthType: 1,
      pCardInfo: `${seeded.cardNumber}|`,
      pFileAddr: 'EF05:07|EF06:08|EF06:09|',
    });
    assert.equal(records.success, 0);
    assert.equal(records.pOutInfo, `${seeded.cardNumber}|${seeded.idNumber}|${seeded.name}|`);
    // Without the terminal's authentication the holder records stay closed.
    const open = await call({ func: 'iReadCard', in: ['1', '0', '', 'EF05:07|EF06:08|'] });
    assert.equal(open.pOutInfo, `${seeded.cardNumber}||`);
    const whole = await call({ func: 'iReadCard', in: [1, 0, '', 'EF05|'] });
    assert.equal(whole.pOutInfo.split('|')[0], seeded.cardIdCode.toUpperCase());
    assert.equal(whole.pOutInfo.split('|').length, 8);
    const other = await call({ func: 'iReadCard', in: [1, 1, 'X0000001A|', 'EF05:07|'] });
    assert.equal(other.success, -22);
    assert.equal((await call({ func: 'iReadCard', in: [1, 1, '', 'EF07|'] })).success, -14);
    assert.equal((await call({ func: 'iReadCard', in: [1, 2, '', 'EF05|'] })).success, -14);
  });

  it('reads records by address in two steps with the HSM key (iReadCard_HSM_Step1/2)', async () => {
    const step1 = await call({
      func: 'iReadCard_HSM_Step1',
      in: ['1', `${seeded.cardIdCode}|`, 'EF05:02|EF05:07|EF06:08|EF06:09|'],
    });
    assert.equal(step1.success, 0);
    assert.equal(parseHsmStep1(step1.pOutInfo).cardIdCode, seeded.cardIdCode.toUpperCase());
    const key = await hsm('iReadCard_HSM_Step1', step1.pOutInfo);
    assert.equal(key.status, 200);
    // The key opens this step only: the other function's second step has none open.
    assert.equal((await call({ func: 'iReadCardBas_HSM_Step2', in: [key.body.pKey] })).success, -12);
    const again = await call({
      func: 'iReadCard_HSM_Step1',
      in: ['1', '', 'EF05:02|EF05:07|EF06:08|EF06:09|'],
    });
    const step2 = await call({
      func: 'iReadCard_HSM_Step2',
      in: [(await hsm('iReadCard_HSM_Step1', again.pOutInfo)).body.pKey],
    });
    assert.equal(step2.success, 0);
    const cardType = parseCardDocument(seeded.document).card.cardType;
    assert.equal(step2.pOutInfo, `${cardType}|${seeded.cardNumber}|${seeded.idNumber}|${seeded.name}|`);
    assert.equal((await call({ func: 'iReadCard_HSM_Step1', in: ['1', '', 'EF09|'] })).success, -14);
  });

  it('leaves PIN reload and unblock to the bureau counters: a bank counter offers neither', async () => {
    await remove();
    // The citizen tried three wrong PINs: the card blocked its PIN.
    selected(card);
    for (let i = 0; i < 3; i++) apdu(card, '0020000003999999');
    assert.equal(apdu(card, '0020000003999999'), 0x6983);
    await insert(card);
    assert.equal((await call({ function: 'iUnblockPIN', iType: 1, pCardInfo: '' })).success, -13);
    assert.equal((await call({ func: 'iReloadPIN_HSM_Step1', in: ['1', ''] })).success, -13);
    const relayed = await hsm('iUnblockPIN_HSM_Step1', 'anything');
    assert.equal(relayed.status, 403);
    assert.equal(relayed.body.code, 'TERMINAL_TYPE_FORBIDDEN');
    await remove();
    assert.equal(apdu(selected(card), '0020000003999999'), 0x6983);
  });

  it("refuses a kiosk the HSM's PIN MACs", async () => {
    const enrolled = await loadOrEnrol({
      serviceUrl: registry.service.url,
      dataDir: await tempDir('sscard-kiosk-'),
      caCertPath: registry.caCertPath,
      enrolmentCode: await registry.enrolmentCode('K-330300-0099', 'kiosk'),
    });
    const kiosk = new RegistryClient({ serviceUrl: registry.service.url, credentials: enrolled.credentials });
    try {
      await insert(card);
      const step1 = await call({ func: 'iReadCardBas_HSM_Step1', in: ['1'] });
      assert.equal(step1.success, 0);
      await assert.rejects(kiosk.hsmPinStep('unblock', step1.pOutInfo, randomUUID()), (e) => {
        assert.ok(isRegistryError(e));
        assert.equal(e.details?.status, 403);
        return true;
      });
    } finally {
      kiosk.close();
    }
  });
});
