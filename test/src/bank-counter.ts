import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { VpcdSlot } from '@sscard/card-emulator/bridge/vpcd-client';
import { SerialPinPadFirmware } from '@sscard/card-emulator/serial/index';
import { terminalPinKey } from '@sscard/card-service/hsm/hsm-core';
import { runPensionMonth } from '@sscard/card-service/pension/monthly-run';
import { bankPinKeys, zonePinBlock } from '@sscard/card-service/testing/withdrawal-fixture';
import { defaultProfiles } from '@sscard/firmware-profiles';
import { createLogger } from '@sscard/log';
import { type Pcscd, type PtyPair, startPtyPair, waitFor } from '@sscard/test-harness';
import { AgentConfigSchema } from '@sscard/terminal-agent/config/schema';
import { type RunningAgent, startAgent } from '@sscard/terminal-agent/daemon';
import { type AgentAnswer, agentPost } from './agent-post.js';
import type { RegistryUnderTest } from './registry-fixture.js';

/**
 * A bank counter of the bank tests: the agent enrolled with card-service as a bank terminal of
 * 330300, its card in the private pcscd's first reader, and its local API at hand.
 */
export interface BankCounter {
  agent: RunningAgent;
  slot: VpcdSlot;
  /** POSTs `body` to the agent's local API as its client, with the terminal's API token. */
  post(path: string, body: unknown): Promise<AgentAnswer>;
  stop(): Promise<void>;
}

/**
 * Starts the agent on `dataDir` with `config` added to a bank terminal's (its PIN entry, its CA
 * keys), waits for its link to card-service, and inserts `card` until the agent sees it.
 */
export async function startBankCounter(options: {
  registry: RegistryUnderTest;
  terminalId: string;
  dataDir: string;
  pcscd: Pcscd;
  card: Parameters<VpcdSlot['insert']>[0];
  config?: Record<string, unknown>;
}): Promise<BankCounter> {
  const { registry, terminalId, dataDir } = options;
  const config = AgentConfigSchema.parse({
    terminal: { id: terminalId, type: 'bank', region: '330300' },
    api: { port: 0, tokenFile: join(dataDir, 'api-token') },
    cardService: await registry.agentCardService(terminalId, 'bank', '330300'),
    ...options.config,
    dataDir,
  });
  const agent = await startAgent(config, createLogger({ level: 'error', write: () => {} }));
  const slot = new VpcdSlot({ port: options.pcscd.vpcdPorts[0]!, backoff: { initialMs: 50, maxMs: 300 } });
  let token: string;
  try {
    await agent.registry.ready();
    token = (await readFile(join(dataDir, 'api-token'), 'utf8')).trim();
    slot.insert(options.card);
    await waitFor('the card', () => agent.readers.list().find((r) => r.role === 'user')?.card);
  } catch (e) {
    // The caller has no counter to stop: nothing of it may outlive the failed start.
    slot.close();
    await agent.stop();
    throw e;
  }
  const base = `http://127.0.0.1:${agent.address.port}`;
  return {
    agent,
    slot,
    post: agentPost(base, token),
    async stop() {
      slot.close();
      await agent.stop();
    },
  };
}

/** The bank PIN the bank tests' cardholders chose at issuance. */
export const BANK_PIN = '802316';

/**
 * A bank counter's serial PIN pad on a pseudo-terminal pair, holding the format 0 terminal PIN key
 * of `terminalId` as the key-loading facility derives it; `config` is the agent's PIN entry for it.
 */
export interface BankPinPad {
  pad: SerialPinPadFirmware;
  config: Record<string, unknown>;
  close(): Promise<void>;
}

export async function startBankPinPad(registry: RegistryUnderTest, terminalId: string): Promise<BankPinPad> {
  const keys = await bankPinKeys(registry.hsm);
  const pair: PtyPair = await startPtyPair();
  try {
    const pad = await SerialPinPadFirmware.open({
      path: pair.a,
      profile: defaultProfiles().pinPad('sscard-serial-pinpad'),
      terminalPinKeys: { 0: terminalPinKey(keys.terminalMasterKey, terminalId, 0) },
    });
    return {
      pad,
      config: { pin: { entry: 'pinpad', pinpad: { profile: 'sscard-serial-pinpad', path: pair.b } } },
      async close() {
        await pad.close();
        await pair.close();
      },
    };
  } catch (e) {
    await pair.close();
    throw e;
  }
}

/**
 * Grants the card's holder a pension of `monthly` fen from this month in 330300, pays the month
 * into the card account and opens the account's debit application `pan` for withdrawals, with the
 * bank PIN chosen at issuance (`BANK_PIN`) passed on under the zone PIN key.
 */
export async function fundDebitAccount(
  registry: RegistryUnderTest,
  card: { personNo: string; cardNumber: string },
  pan: string,
  monthly: number,
): Promise<void> {
  // This month in China Standard Time, where the pension months are counted.
  const month = new Date(Date.now() + 8 * 3_600_000).toISOString().slice(0, 7);
  const granted = await registry.operator('POST', '/v1/pensions/entitlements', {
    personNo: card.personNo,
    monthlyAmount: monthly,
    firstMonth: month,
    payingRegion: '330300',
  });
  assert.equal(granted.status, 201, JSON.stringify(granted.body));
  await runPensionMonth(registry.service.store, () => new Date(), { month, region: '330300' });
  const account = await registry.operator('POST', '/v1/pensions/debit-accounts', {
    cardNumber: card.cardNumber,
    pan,
    psn: '01',
    pinBlock: zonePinBlock(await bankPinKeys(registry.hsm), BANK_PIN, pan),
  });
  assert.equal(account.status, 201, JSON.stringify(account.body));
}
