/**
 * A desk agent that dies at a chosen point of a settle, killed by the kernel (SIGKILL: no exit
 * handlers, no flushing), to prove that the settlement journal neither loses nor doubles it.
 *
 *   node desk-crash-child.js <dataDir> <journal> <serviceUrl> <quoteId> <challengeId> <cryptogram> <point>
 *
 * point `before-send`: the settle is journalled, then the process dies before sending it.
 * point `after-send`:  the settle is sent and committed by the service, then the process dies
 *                      before it records the answer in the journal.
 * The entry's idempotency key is printed on stdout before dying.
 */
import { SETTLEMENT_OPERATIONS } from '@sscard/terminal-agent/registry/desk-settlement';
import { isCrashPoint, journalThenDie } from './journal-crash.js';

const [dataDir, journalPath, serviceUrl, quoteId, challengeId, cryptogram, point] = process.argv.slice(2);
if (
  !dataDir ||
  !journalPath ||
  !serviceUrl ||
  !quoteId ||
  !challengeId ||
  !cryptogram ||
  !isCrashPoint(point)
) {
  process.stderr.write(
    'usage: desk-crash-child <dataDir> <journal> <serviceUrl> <quoteId> <challengeId> <cryptogram> before-send|after-send\n',
  );
  process.exit(2);
}

// What DeskSettlementRequests.settle writes before it sends.
await journalThenDie(
  { dataDir, journalPath, serviceUrl },
  {
    operation: SETTLEMENT_OPERATIONS.settle,
    method: 'POST',
    path: '/v1/settlement/settle',
    body: { quoteId, proof: { challengeId, cryptogram } },
  },
  point,
);
