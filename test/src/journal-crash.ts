import { RegistryClient } from '@sscard/terminal-agent/registry/client';
import { loadOrEnrol } from '@sscard/terminal-agent/registry/enrolment';
import { OutboxJournal } from '@sscard/terminal-agent/registry/journal';

export type CrashPoint = 'before-send' | 'after-send';

export const isCrashPoint = (point: string | undefined): point is CrashPoint =>
  point === 'before-send' || point === 'after-send';

/**
 * What a terminal's outbox does for one request, cut short by the kernel (SIGKILL: no exit
 * handlers, no flushing): the request journalled and its attempt recorded, its idempotency key
 * printed on stdout; at `after-send` also sent and answered, but the answer never recorded.
 */
export async function journalThenDie(
  agent: { dataDir: string; journalPath: string; serviceUrl: string },
  request: Parameters<OutboxJournal['append']>[0],
  point: CrashPoint,
): Promise<void> {
  const { dataDir, journalPath, serviceUrl } = agent;
  const enrolled = await loadOrEnrol({ serviceUrl, dataDir });
  const journal = await OutboxJournal.open(journalPath, { terminalId: enrolled.identity.terminalId });
  const entry = await journal.append(request);
  await journal.recordAttempt(entry.seq);
  process.stdout.write(`${entry.idempotencyKey}\n`);
  if (point === 'after-send') {
    const client = new RegistryClient({ serviceUrl, credentials: enrolled.credentials });
    const answer = await client.deliver(entry);
    process.stdout.write(`answered ${answer.status}\n`);
  }
  process.kill(process.pid, 'SIGKILL');
}
