import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseReadCardBas } from '@sscard/card-core';
import { VpcdSlot } from '@sscard/card-emulator/bridge/vpcd-client';
import { generateKeyset } from '@sscard/card-emulator/cards/keyset';
import { demoCardDocuments } from '@sscard/card-emulator/cards/personalise';
import { SsseGen2Card } from '@sscard/card-emulator/cards/ssse/ssse-card';
import { CardWithFaults } from '@sscard/card-emulator/faults';
import { type Pcscd, startPcscd, tempDir, waitFor } from '@sscard/test-harness';
import type { CardReadView } from '@sscard/terminal-agent/api/card-view';
import type { ClientToServerEvents, ServerToClientEvents } from '@sscard/terminal-agent/api/socket-events';
import { AgentConfigSchema } from '@sscard/terminal-agent/config/schema';
import { type RunningAgent, startAgent } from '@sscard/terminal-agent/daemon';
import { createLogger } from '@sscard/log';
import { io, type Socket } from 'socket.io-client';
import { WebSocket } from 'ws';

/**
 * The whole agent (config, readers, card operations, local API) against a private pcscd with a
 * virtual generation 2 card in vpcd's slot 0: what an HIS page and the kiosk UI see.
 */
describe('agent local API over a real pcscd and a virtual card', () => {
  let pcscd: Pcscd;
  let agent: RunningAgent;
  let slot: VpcdSlot;
  let token: string;
  let base: string;
  const doc = demoCardDocuments().find((d) => d.card.specVersion === '2.00')!;
  const keyset = generateKeyset();
  const HIS = 'https://his.hospital.example';

  before(async () => {
    pcscd = await startPcscd({ readers: 1 });
    process.env.PCSCLITE_CSOCK_NAME = pcscd.env.PCSCLITE_CSOCK_NAME;
    const dataDir = await tempDir('sscard-agent-');
    const config = AgentConfigSchema.parse({
      terminal: {
        id: 'T-330300-0001',
        type: 'hospital',
        region: '330300',
        number: '410100813475',
        deviceNumber: 'DEV0001',
      },
      api: { port: 0, allowedOrigins: [HIS], tokenFile: join(dataDir, 'api-token') },
      pin: { entry: 'none' },
      dataDir,
    });
    agent = await startAgent(config, createLogger({ level: 'error', write: () => {} }));
    token = (await readFile(join(dataDir, 'api-token'), 'utf8')).trim();
    base = `127.0.0.1:${agent.address.port}`;
    slot = new VpcdSlot({ port: pcscd.vpcdPorts[0]!, backoff: { initialMs: 50, maxMs: 300 } });
    await waitFor('the vpcd readers', () => agent.readers.list().length === 2);
  });

  after(async () => {
    slot.close();
    await agent.stop();
    await pcscd.stop();
  });

  /** The HIS's ministry WebSocket to the agent, open; `call` answers with the reply to its message. */
  async function openMinistrySocket() {
    const ws = new WebSocket(`ws://${base}/ws/ministry`, { headers: { origin: HIS } });
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    const call = (message: string) =>
      new Promise<{ functionName: string; success: number; pOutInfo: string }>((resolve) => {
        ws.once('message', (data) => resolve(JSON.parse(data.toString())));
        ws.send(message);
      });
    return { ws, call };
  }

  it('pushes typed card-inserted and card-removed events to a socket.io client', async () => {
    const socket: Socket<ServerToClientEvents, ClientToServerEvents> = io(`http://${base}`, {
      auth: { token },
      transports: ['websocket'],
    });
    try {
      const readers = await new Promise<Parameters<ServerToClientEvents['readers']>[0]>((resolve, reject) => {
        socket.once('readers', resolve);
        socket.once('connect_error', reject);
      });
      assert.deepEqual(
        readers.map((r) => r.role),
        ['user', 'psam'],
      );
      const inserted = new Promise<Parameters<ServerToClientEvents['card-inserted']>[0]>((resolve) =>
        socket.once('card-inserted', resolve),
      );
      const card = new CardWithFaults(new SsseGen2Card(doc, keyset));
      slot.insert(card);
      const event = await inserted;
      assert.equal(event.reader, pcscd.readerNames[0]);
      assert.equal(event.role, 'user');
      assert.equal(event.atr, card.atr.toString('hex').toUpperCase());

      const removed = new Promise<Parameters<ServerToClientEvents['card-removed']>[0]>((resolve) =>
        socket.once('card-removed', resolve),
      );
      slot.remove();
      assert.equal((await removed).reader, pcscd.readerNames[0]);
    } finally {
      socket.close();
    }
  });

  it("answers iReadCardBas over the ministry WebSocket with the card's fields", async () => {
    slot.insert(new CardWithFaults(new SsseGen2Card(doc, keyset)));
    await waitFor('the card', () => agent.readers.list().find((r) => r.role === 'user')?.card);
    const { ws, call } = await openMinistrySocket();
    try {
      const answer = await call('{"function":"iReadCardBas","iType":3}');
      assert.equal(answer.functionName, 'iReadCardBas');
      assert.equal(answer.success, 0);
      const fields = parseReadCardBas(answer.pOutInfo);
      assert.equal(fields.ssn, doc.holder.ssn);
      assert.equal(fields.cardNumber, doc.card.cardNumber);
      assert.equal(fields.terminalNumber, '410100813475');
      assert.equal(fields.terminalDeviceNumber, 'DEV0001');
      assert.equal((await call('{"function":"iReadCardBas","iType":5}')).success, -14);
      assert.equal((await call('{"function":"iDoDebit","iType":3}')).success, -13);
      // This terminal takes no PINs: the function is not available here.
      assert.equal((await call('{"function":"iVerifyPIN","iType":1}')).success, -13);
    } finally {
      ws.close();
    }
  });

  it('answers iReadCardNo, iGetCardType and iChangePIN in both JSON dialects, over the WebSocket and HTTP', async () => {
    await waitFor('the card', () => agent.readers.list().find((r) => r.role === 'user')?.card);
    const { ws, call } = await openMinistrySocket();
    const cardNo = { functionName: 'iReadCardNo', success: 0, pOutInfo: `${doc.card.cardNumber}|` };
    const cardType = {
      functionName: 'iGetCardType',
      success: 0,
      pOutInfo: `${doc.card.cardType}|${doc.card.specVersion}|`,
    };
    try {
      assert.deepEqual(await call('{"function":"iReadCardNo","iType":1}'), cardNo);
      assert.deepEqual(await call('{"func":"iReadCardNo","in":["3"]}'), cardNo);
      assert.deepEqual(await call('{"func":"iGetCardType","in":[1]}'), cardType);
      const bas = await call('{"func":"iReadCardBas","in":["3"]}');
      assert.equal(parseReadCardBas(bas.pOutInfo).cardNumber, doc.card.cardNumber);
      assert.equal((await call('{"func":"iReadCardNo","in":[]}')).success, -14);
      assert.equal((await call('{"func":"iReadCardNo","in":"3"}')).success, -14);
      // No PIN pad or keypad on this terminal: not available here, as iVerifyPIN.
      assert.equal((await call('{"func":"iChangePIN","in":["1"]}')).success, -13);
      // A hospital desk is no counter: PINs are unblocked and reloaded at bank counters only.
      assert.equal((await call('{"func":"iUnblockPIN","in":["1",""]}')).success, -13);
      assert.equal((await call('{"func":"iReloadPIN_HSM_Step1","in":["1",""]}')).success, -13);
    } finally {
      ws.close();
    }
    const http = async (path: string, body?: unknown) => {
      const res = await fetch(`http://${base}${path}`, {
        method: body === undefined ? 'GET' : 'POST',
        headers: { origin: HIS, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      assert.equal(res.status, 200);
      return res.json();
    };
    assert.deepEqual(await http('/ministry/iReadCardNo?iType=3'), cardNo);
    assert.deepEqual(await http('/ministry/iGetCardType', { in: ['1'] }), cardType);
    assert.deepEqual(await http('/ministry/iGetCardType', { func: 'iGetCardType', in: ['3'] }), cardType);
  });

  it('reads and verifies the card over REST with the token', async () => {
    const res = await fetch(`http://${base}/v1/card/read`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: '{}',
    });
    assert.equal(res.status, 200);
    const view = (await res.json()) as CardReadView;
    assert.equal(view.info.ssn, doc.holder.ssn);
    assert.equal(view.masked, false);
    assert.ok(view.verification);
    assert.equal(view.verification.genuine, true);
  });

  it('answers no card (-2) once the card is pulled', async () => {
    slot.remove();
    await waitFor('no card', () => !agent.readers.list().find((r) => r.role === 'user')?.card);
    const res = await fetch(`http://${base}/ministry/iReadCardBas?iType=1`, {
      headers: { authorization: `Bearer ${token}` },
    });
    assert.equal(((await res.json()) as { success: number }).success, -2);
  });
});
