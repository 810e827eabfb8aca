import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SSSE_AID } from '@sscard/card-core';
import { VpcdSlot } from '@sscard/card-emulator/bridge/vpcd-client';
import { createCard, createPsam, generateKeyset, parseCardDocument } from '@sscard/card-emulator/cards/index';
import { demoCardDocuments } from '@sscard/card-emulator/cards/personalise';
import { CardWithFaults } from '@sscard/card-emulator/faults';
import type { VirtualCard } from '@sscard/card-emulator/virtual-card';
import { createLogger } from '@sscard/log';
import { type Pcscd, startPcscd, tempDir, waitFor } from '@sscard/test-harness';
import { AgentConfigSchema } from '@sscard/terminal-agent/config/schema';
import { type RunningAgent, startAgent } from '@sscard/terminal-agent/daemon';

/** One APDU to a virtual card outside any reader: its status word. */
function sw(card: VirtualCard, hex: string): number {
  const response = card.transmit(Buffer.from(hex, 'hex'));
  return response.readUInt16BE(response.length - 2);
}

function selected(card: VirtualCard): VirtualCard {
  card.powerOn();
  const answer = sw(card, `00A404000F${Buffer.from(SSSE_AID).toString('hex')}`);
  assert.ok(answer === 0x9000 || answer >> 8 === 0x61, answer.toString(16));
  return card;
}

/**
 * PIN unblock and reload at a bank counter that has a PSAM and no line to card-service: the
 * commands' MACs come from the PSAM's PIN-reload key, over pcscd and vpcd, for both generations.
 */
describe('PIN unblock and reload with the PSAM at a counter', () => {
  const keyset = generateKeyset();
  let pcscd: Pcscd;
  let agent: RunningAgent;
  let slot: VpcdSlot;
  let psamSlot: VpcdSlot;
  let tokenFile: string;

  before(async () => {
    pcscd = await startPcscd({ readers: 1 });
    process.env.PCSCLITE_CSOCK_NAME = pcscd.env.PCSCLITE_CSOCK_NAME;
    const dataDir = await tempDir('sscard-psam-counter-');
    tokenFile = join(dataDir, 'api-token');
    const config = AgentConfigSchema.parse({
      terminal: { id: 'B-330300-0043', type: 'bank', region: '330300', number: '330300000043' },
      api: { port: 0, tokenFile },
      pin: { entry: 'none' },
      dataDir,
    });
    agent = await startAgent(config, createLogger({ level: 'error', write: () => {} }));
    slot = new VpcdSlot({ port: pcscd.vpcdPorts[0]!, backoff: { initialMs: 50, maxMs: 300 } });
    psamSlot = new VpcdSlot({ port: pcscd.vpcdPorts[1]!, backoff: { initialMs: 50, maxMs: 300 } });
    psamSlot.insert(new CardWithFaults(createPsam(keyset)));
    await waitFor('the PSAM', () => agent.readers.list().find((r) => r.role === 'psam')?.card);
  });

  after(async () => {
    slot?.close();
    psamSlot?.close();
    await agent?.stop();
    await pcscd?.stop();
  });

  const userReader = () => agent.readers.list().find((r) => r.role === 'user');

  async function call(fn: string, input: unknown[]): Promise<number> {
    const res = await fetch(`http://127.0.0.1:${agent.address.port}/ministry/${fn}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await agentToken()}`, 'content-type': 'application/json' },
      body: JSON.stringify({ in: input }),
    });
    return ((await res.json()) as { success: number }).success;
  }

  let token: string | undefined;
  async function agentToken(): Promise<string> {
    token ??= (await readFile(tokenFile, 'utf8')).trim();
    return token;
  }

  for (const version of ['2.00', '3.00']) {
    it(`unblocks a blocked PIN and reloads the initial PIN on a generation ${version[0]} card`, async () => {
      // The citizen's own PIN, not the initial one, so that a reload shows.
      const pin = '246813';
      const demo = demoCardDocuments().find((d) => d.card.specVersion === version)!;
      const doc = { ...demo, pin: { value: pin, triesLeft: 3 } };
      const card = createCard(parseCardDocument(doc), keyset);
      selected(card);
      for (let i = 0; i < 3; i++) sw(card, '0020000003999999');
      assert.equal(sw(card, `0020000003${pin}`), 0x6983);
      slot.insert(new CardWithFaults(card));
      await waitFor('the card', () => userReader()?.card);

      // Another card than the one named is not touched.
      assert.equal(await call('iUnblockPIN', ['1', 'X0000001A|']), -22);
      assert.equal(await call('iUnblockPIN', ['1', `${doc.card.cardNumber}|`]), 0);
      slot.remove();
      await waitFor('the card to be out', () => !userReader()?.card);
      assert.equal(sw(selected(card), `0020000003${pin}`), 0x9000);

      slot.insert(new CardWithFaults(card));
      await waitFor('the card', () => userReader()?.card);
      assert.equal(await call('iReloadPIN', [1, '']), 0);
      slot.remove();
      await waitFor('the card to be out', () => !userReader()?.card);
      assert.equal(sw(selected(card), `0020000003${pin}`), 0x63c2);
      assert.equal(sw(selected(card), '0020000003123456'), 0x9000);
    });
  }
});
