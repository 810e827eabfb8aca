import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { VpcdSlot } from '@sscard/card-emulator/bridge/vpcd-client';
import { generateKeyset } from '@sscard/card-emulator/cards/keyset';
import { SsseGen2Card } from '@sscard/card-emulator/cards/ssse/ssse-card';
import { CardWithFaults } from '@sscard/card-emulator/faults';
import { type Pcscd, startPcscd, tempDir, waitFor } from '@sscard/test-harness';
import { AgentConfigSchema } from '@sscard/terminal-agent/config/schema';
import { type RunningAgent, startAgent } from '@sscard/terminal-agent/daemon';
import { createLogger } from '@sscard/log';
import { openCardSession } from '@sscard/terminal-agent/session/card-session';
import { demoCardsByGeneration } from './agent-stack.js';

interface Line {
  msg: string;
  level: string;
  component?: string;
  reader?: string;
  command?: string;
  response?: string;
}

/**
 * The agent's APDU trace (`log.apduTrace`) through its configuration, over a private pcscd and a
 * virtual generation 2 card: every exchange of a read and a PIN check, status words shown, the
 * PIN and the holder's data never.
 */
describe('APDU trace in the agent log', () => {
  const doc = demoCardsByGeneration().gen2;
  const keyset = generateKeyset();
  let pcscd: Pcscd;
  let slot: VpcdSlot;

  before(async () => {
    pcscd = await startPcscd({ readers: 1 });
    process.env.PCSCLITE_CSOCK_NAME = pcscd.env.PCSCLITE_CSOCK_NAME;
    slot = new VpcdSlot({ port: pcscd.vpcdPorts[0]!, backoff: { initialMs: 50, maxMs: 300 } });
    slot.insert(new CardWithFaults(new SsseGen2Card(doc, keyset)));
  });

  after(async () => {
    slot.close();
    await pcscd.stop();
  });

  async function readWithAgent(log: Record<string, unknown>): Promise<Line[]> {
    const dataDir = await tempDir('sscard-agent-trace-');
    const config = AgentConfigSchema.parse({
      terminal: { id: 'H-330300-0003', type: 'hospital', region: '330300' },
      api: { port: 0, tokenFile: join(dataDir, 'api-token') },
      pin: { entry: 'none' },
      log,
      dataDir,
    });
    const lines: Line[] = [];
    const agent: RunningAgent = await startAgent(
      config,
      createLogger({ level: config.log.level, write: (line) => lines.push(JSON.parse(line) as Line) }),
    );
    try {
      const token = (await readFile(join(dataDir, 'api-token'), 'utf8')).trim();
      await waitFor('the card', () => agent.readers.list().some((r) => r.role === 'user' && r.card));
      const res = await fetch(`http://127.0.0.1:${agent.address.port}/v1/card/read`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: '{}',
      });
      assert.equal(res.status, 200);
      // The PIN check goes through the card session the way the PIN flow sends it.
      const session = await openCardSession(agent.readers, pcscd.readerNames[0]);
      try {
        await session.transmit({
          cla: 0x00,
          ins: 0xa4,
          p1: 0x04,
          p2: 0x00,
          data: Buffer.from('7378312E73682EC9E7BBE1B1A3D5CF', 'hex'),
        });
        const verify = await session.transmit({
          cla: 0x00,
          ins: 0x20,
          p1: 0x00,
          p2: 0x00,
          data: Buffer.from(doc.pin.value, 'hex'),
        });
        assert.equal(verify.sw, 0x9000);
      } finally {
        await session.close();
      }
    } finally {
      await agent.stop();
    }
    return lines;
  }

  it('writes each command and its status word, with the PIN and the holder data hidden', async () => {
    const lines = await readWithAgent({ level: 'debug', apduTrace: true });
    const trace = lines.filter((l) => l.msg === 'apdu');
    assert.ok(trace.length >= 5, `${trace.length} exchanges traced`);
    for (const line of trace) {
      assert.equal(line.level, 'debug');
      assert.equal(line.component, 'apdu');
      assert.equal(line.reader, pcscd.readerNames[0]);
    }
    assert.ok(
      trace.some((l) => l.command === '00 A4 04 00 | 0F | 73 78 31 2E 73 68 2E C9 E7 BB E1 B1 A3 D5 CF'),
    );
    const readCardNumber = trace.find((l) => l.command?.startsWith('00 B2 07 2C'));
    assert.match(readCardNumber?.response ?? '', /^<\d+ bytes> \| 90 00$/);
    const verify = trace.find((l) => l.command?.startsWith('00 20 00 00'));
    assert.equal(verify?.command, '00 20 00 00 | 03 | <3 bytes hidden>');
    assert.equal(verify?.response, '90 00');

    const all = lines.map((l) => JSON.stringify(l)).join('\n');
    assert.equal(all.includes(doc.holder.ssn), false, 'the ID number is in the log');
    assert.equal(all.includes(doc.card.cardNumber), false, 'the card number is in the log');
    assert.equal(/12 34 56|123456/.test(all), false, 'the PIN is in the log');
  });

  it('writes no trace unless configured, even at debug level', async () => {
    const lines = await readWithAgent({ level: 'debug' });
    assert.ok(lines.length > 0);
    assert.equal(
      lines.some((l) => l.msg === 'apdu'),
      false,
    );
  });

  it('refuses a trace that the log level would hide, naming the key', () => {
    const parsed = AgentConfigSchema.safeParse({
      terminal: { id: 'H-330300-0003', type: 'hospital', region: '330300' },
      log: { apduTrace: true },
    });
    assert.equal(parsed.success, false);
    assert.deepEqual(parsed.error?.issues[0]?.path, ['log', 'apduTrace']);
  });
});
