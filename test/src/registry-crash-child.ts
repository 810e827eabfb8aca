/**
 * A terminal process that dies at a chosen point of a temporary loss report, killed by the
 * kernel (SIGKILL: no exit handlers, no flushing), to prove the outbox journal's crash safety.
 *
 *   node registry-crash-child.js <agentDataDir> <journalPath> <serviceUrl> <cardNumber> <point> <proof>
 *
 * point `before-send`: the report is journalled, then the process dies before sending it.
 * point `after-send`:  the report is sent and applied by the service, then the process dies
 *                      before it records the answer in the journal.
 * <proof>: the card's answer to a challenge the service issued to this terminal, as JSON
 * `{challengeId, cryptogram}` (the card is in the test's hands, not this process's).
 * The entry's idempotency key is printed on stdout before dying.
 */
import { isCrashPoint, journalThenDie } from './journal-crash.js';

const [dataDir, journalPath, serviceUrl, cardNumber, point, proof] = process.argv.slice(2);
if (!dataDir || !journalPath || !serviceUrl || !cardNumber || !isCrashPoint(point) || !proof) {
  process.stderr.write(
    'usage: registry-crash-child <dataDir> <journal> <serviceUrl> <cardNumber> before-send|after-send <proof JSON>\n',
  );
  process.exit(2);
}

await journalThenDie(
  { dataDir, journalPath, serviceUrl },
  {
    operation: 'reportTemporaryLoss',
    method: 'POST',
    path: `/v1/cards/${cardNumber}/events`,
    body: { event: 'reportTemporaryLoss', proof: JSON.parse(proof) as unknown },
  },
  point,
);
