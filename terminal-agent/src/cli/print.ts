import type { EnrolAnswer, OutboxAnswer, OutboxEntryView } from '@sscard/agent-protocol';
import { type CardReadView, maskInfo, type RegistryView } from '../api/card-view.js';
import type { ReaderState } from '../readers/reader-manager.js';
import type { RegistryHealth } from '../registry/registry-link.js';

/** What `sscard enrol` prints and `--json` gives whole. */
export type { EnrolAnswer };

function printRows(rows: [string, string | undefined][]): void {
  for (const [k, value] of rows) if (value !== undefined) console.log(`${k.padEnd(13)} ${value}`);
}

export function printReaders(readers: ReaderState[]): void {
  if (readers.length === 0) {
    console.log('no readers');
    return;
  }
  for (const r of readers) {
    const profile = r.profile ? `  profile ${r.profile}` : '';
    console.log(`${r.name}  [${r.kind}, ${r.role}]${profile}`);
    console.log(
      r.card ? `  card  ATR ${r.card.atr}${r.card.cardOs ? `  (${r.card.cardOs})` : ''}` : '  no card',
    );
  }
}

/** The registry's answer in one line, then the coverage; the holder as the service masked it. */
function registryRows(registry: RegistryView): [string, string][] {
  const rows: [string, string][] = [];
  const reason = registry.reason ? ` (${registry.reason})` : '';
  const verdict =
    registry.status === 'valid'
      ? 'valid'
      : registry.status === 'invalid'
        ? `INVALID${reason}`
        : `${registry.status}${reason}`;
  rows.push(['registry', `${verdict}: ${registry.message}`]);
  if (registry.card) rows.push(['card status', registry.card.status]);
  if (registry.holder) rows.push(['reg. holder', `${registry.holder.name}  ${registry.holder.idNumber}`]);
  for (const c of registry.coverage ?? []) {
    const paused = c.pauseDate ? `, paused ${c.pauseDate}` : '';
    rows.push([
      'coverage',
      `${c.schemeCode} ${c.schemeName ?? ''} (${c.insuredRegion}, ${c.status}${paused})`,
    ]);
  }
  return rows;
}

/** A read as an operator reads it: masked unless `reveal`, then verification and the registry's answer. */
export function printSummary(result: CardReadView, reveal: boolean): void {
  const info = reveal || result.masked ? result.info : maskInfo(result.info);
  const rows: [string, string][] = [
    ['reader', result.reader],
    ['ATR', result.atr],
    ['card number', info.cardNumber],
    ['card id code', info.cardIdCode],
    ['version', `${info.specVersion} (generation ${result.info.generation})`],
    ['valid', `${info.issueDate} – ${info.expiryDate}`],
    ['holder', info.name ? `${info.name}  ${info.ssn}` : '(not released by the card)'],
  ];
  const v = result.verification;
  if (v) {
    rows.push(['genuine', v.genuine ? 'yes' : 'NO']);
    if (v.passed.length) rows.push(['passed', v.passed.join(', ')]);
    for (const f of v.failed) rows.push(['failed', `${f.check}: ${f.reason}`]);
    for (const s of v.skipped) rows.push(['skipped', `${s.check}: ${s.reason}`]);
  }
  rows.push(...registryRows(result.registry));
  printRows(rows);
}

export function printEnrolment(answer: EnrolAnswer): void {
  console.log(`enrolled as terminal ${answer.terminalId} (${answer.type}, region ${answer.region})`);
  console.log(`certificate valid until ${answer.certificateNotAfter}`);
  console.log(`card-service CA fingerprint (SHA-256) ${answer.caFingerprint}`);
}

export function printRegistryHealth(registry: RegistryHealth): void {
  printRows(
    [
      ['card-service', registry.state],
      [
        'terminal',
        registry.terminalId && `${registry.terminalId} (${registry.terminalType}, region ${registry.region})`,
      ],
      ['certificate', registry.certificateNotAfter && `valid until ${registry.certificateNotAfter}`],
      ['pending', registry.pendingRequests === undefined ? undefined : String(registry.pendingRequests)],
      ['parked', registry.parkedRequests ? `${registry.parkedRequests} (see sscard outbox)` : undefined],
      ['problem', registry.code && `${registry.code}: ${registry.message ?? ''}`],
    ].map(([k, v]) => [k, v || undefined]) as [string, string | undefined][],
  );
}

/** The running agent's `/healthz`, in rows. */
export function printAgentHealth(
  base: string,
  health: { status: string; registry?: RegistryHealth; [key: string]: unknown },
): void {
  printRows([
    ['agent', `${health.status} at ${base}`],
    ['readers', String(health.readers ?? 0)],
    ['PIN entry', String(health.pinEntry ?? 'none')],
  ]);
  if (health.registry) printRegistryHealth(health.registry);
}

/** The outbox's unanswered requests, parked ones first: they wait for the operator. */
export function printOutbox(outbox: OutboxAnswer): void {
  if (!outbox.open) {
    console.log('outbox        not open (no card-service configured, or the journal is not up yet)');
    return;
  }
  const line = (e: OutboxEntryView, note: string) =>
    console.log(
      `${e.idempotencyKey}  ${e.operation} ${e.method} ${e.path}  since ${e.createdAt}, ${e.attempts} attempts  ${note}`,
    );
  for (const e of outbox.parked) line(e, `PARKED ${e.parked?.at}: ${e.parked?.reason}`);
  for (const e of outbox.pending) line(e, e.lastError ? `last: ${e.lastError}` : 'not sent yet');
  for (const e of outbox.otherTerminals) line(e, 'written under another terminal id: settle by hand');
  if (outbox.parked.length + outbox.pending.length + outbox.otherTerminals.length === 0) {
    console.log('outbox        empty: every journalled request has its answer');
  } else if (outbox.parked.length > 0) {
    console.log(
      'a parked request is resent only after `sscard outbox --unpark KEY`, once its cause is fixed',
    );
  }
}
