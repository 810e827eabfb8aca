import { createHash, randomBytes } from 'node:crypto';
import { appendAudit } from '../audit/audit-log.js';
import type { Clock } from '../clock.js';
import { DomainError, forbidden, notFound } from '../errors.js';
import { TERMINAL_TYPES, type TerminalType } from '../lifecycle/transitions.js';
import { type Actor, auditActor } from '../registry/actor.js';
import { REGION_RE, invalid } from '../registry/validation.js';
import { type Dialect, type Queryable, type Store, forUpdate, inJsonArray } from '../store/store.js';
import type { CertificateAuthority } from './ca.js';

/** Terminals: one-time enrolment codes, certificate issuance, revocation, and the per-request check. */

export interface Terminal {
  terminalId: string;
  type: TerminalType;
  region: string;
  status: 'pending' | 'active' | 'revoked';
  createdAt: string;
  enrolledAt: string | null;
  revokedAt: string | null;
}

export interface EnrolmentCodeRequest {
  terminalId: string;
  type: TerminalType;
  region: string;
  /** Seconds the code stays usable. */
  ttlSeconds: number;
}

export interface EnrolmentCode {
  /** Shown once to the operator, who types it into the terminal; only its hash is stored. */
  code: string;
  terminalId: string;
  type: TerminalType;
  region: string;
  expiresAt: string;
}

export interface Enrolment {
  terminalId: string;
  type: TerminalType;
  region: string;
  certificatePem: string;
  caCertificatePem: string;
  serial: string;
  notAfter: string;
}

export const TERMINAL_ID_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

// Crockford base32 without I, L, O, U: codes are read aloud and typed on kiosks.
const CODE_ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

function newCode(): string {
  const bytes = randomBytes(15);
  let out = '';
  for (const b of bytes) out += CODE_ALPHABET[b & 31];
  // 15 characters of 5 bits: 75 bits, far beyond guessing within the rate limit and the code's life.
  return `${out.slice(0, 5)}-${out.slice(5, 10)}-${out.slice(10, 15)}`;
}

/** The stored form of a code: case and dashes do not matter when typed. */
export function codeHash(code: string): string {
  const normal = code.toUpperCase().replace(/[^0-9A-Z]/g, '');
  return createHash('sha256').update(`sscard-enrolment:${normal}`).digest('hex');
}

interface TerminalRow {
  terminal_id: string;
  type: TerminalType;
  region: string;
  status: Terminal['status'];
  created_at: string;
  enrolled_at: string | null;
  revoked_at: string | null;
}

const terminalFromRow = (r: TerminalRow): Terminal => ({
  terminalId: r.terminal_id,
  type: r.type,
  region: r.region,
  status: r.status,
  createdAt: r.created_at,
  enrolledAt: r.enrolled_at,
  revokedAt: r.revoked_at,
});

async function getTerminal(tx: Queryable, terminalId: string, lock = false): Promise<Terminal | undefined> {
  const row = await tx.get<TerminalRow>(
    `SELECT terminal_id, type, region, status, created_at, enrolled_at, revoked_at FROM terminals WHERE terminal_id = ?${
      lock ? forUpdate(tx.dialect) : ''
    }`,
    [terminalId],
  );
  return row && terminalFromRow(row);
}

/** A terminal as the operators' list shows it: with its last contact (terminal-contacts.ts). */
export type ListedTerminal = Terminal & { lastSeenAt: string | null };

const LISTED_COLUMNS = 'terminal_id, type, region, status, created_at, enrolled_at, revoked_at, last_seen_at';
const listedFromRow = (r: TerminalRow & { last_seen_at: string | null }): ListedTerminal => ({
  ...terminalFromRow(r),
  lastSeenAt: r.last_seen_at,
});

export async function listTerminals(store: Queryable): Promise<ListedTerminal[]> {
  const rows = await store.all<TerminalRow & { last_seen_at: string | null }>(
    `SELECT ${LISTED_COLUMNS} FROM terminals ORDER BY terminal_id`,
  );
  return rows.map(listedFromRow);
}

export async function listedTerminal(store: Queryable, terminalId: string): Promise<ListedTerminal> {
  const row = await store.get<TerminalRow & { last_seen_at: string | null }>(
    `SELECT ${LISTED_COLUMNS} FROM terminals WHERE terminal_id = ?`,
    [terminalId],
  );
  if (!row) throw notFound('terminal', { terminalId });
  return listedFromRow(row);
}

export async function createEnrolmentCode(
  store: Store,
  clock: Clock,
  request: EnrolmentCodeRequest,
  actor: Actor,
): Promise<EnrolmentCode> {
  if (!TERMINAL_ID_RE.test(request.terminalId)) {
    throw invalid('terminalId', '1 to 64 letters, digits, dots, dashes or underscores expected');
  }
  if (!TERMINAL_TYPES.includes(request.type))
    throw invalid('type', `one of ${TERMINAL_TYPES.join(', ')} expected`);
  if (!REGION_RE.test(request.region)) throw invalid('region', 'a six-digit region code expected');
  if (!Number.isInteger(request.ttlSeconds) || request.ttlSeconds < 60) {
    throw invalid('ttlSeconds', 'at least 60 seconds expected');
  }
  const now = clock();
  const code = newCode();
  const expiresAt = new Date(now.getTime() + request.ttlSeconds * 1000).toISOString();
  await store.transaction(async (tx) => {
    if (!(await getTerminal(tx, request.terminalId, true))) {
      await tx.run(
        "INSERT INTO terminals (terminal_id, type, region, status, created_at) VALUES (?, ?, ?, 'pending', ?)",
        [request.terminalId, request.type, request.region, now.toISOString()],
      );
    }
    await tx.run(
      `INSERT INTO enrolment_codes (code_hash, terminal_id, type, region, expires_at, created_by, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
      [
        codeHash(code),
        request.terminalId,
        request.type,
        request.region,
        expiresAt,
        actor.id,
        now.toISOString(),
      ],
    );
    await appendAudit(tx, clock, {
      ...auditActor(actor),
      action: 'terminal.enrolmentCode',
      subject: `terminal ${request.terminalId}`,
      result: 'ok',
      details: { type: request.type, region: request.region, expiresAt },
    });
  });
  return { code, terminalId: request.terminalId, type: request.type, region: request.region, expiresAt };
}

/**
 * Redeems a code for a certificate over the terminal's own key (the CSR). The code is spent in
 * the same transaction that records the certificate, so two terminals racing with one code get
 * one certificate between them. Earlier certificates of the terminal are revoked: a terminal has
 * one live key.
 */
export async function enrolTerminal(
  store: Store,
  clock: Clock,
  ca: CertificateAuthority,
  certificateDays: number,
  code: string,
  csrPem: string,
): Promise<Enrolment> {
  const hash = codeHash(code);
  try {
    return await store.transaction(async (tx) => {
      const now = clock();
      const row = await tx.get<{
        terminal_id: string;
        type: TerminalType;
        region: string;
        expires_at: string;
        used_at: string | null;
      }>(
        `SELECT terminal_id, type, region, expires_at, used_at FROM enrolment_codes WHERE code_hash = ?${forUpdate(tx.dialect)}`,
        [hash],
      );
      if (!row) throw forbidden('ENROLMENT_CODE_INVALID', 'the enrolment code is not known');
      if (row.used_at !== null)
        throw forbidden('ENROLMENT_CODE_USED', 'the enrolment code has been used already');
      if (row.expires_at <= now.toISOString()) {
        throw forbidden('ENROLMENT_CODE_EXPIRED', 'the enrolment code has expired');
      }
      const issued = ca.issueTerminalCertificate(
        csrPem,
        { terminalId: row.terminal_id, type: row.type, region: row.region },
        certificateDays,
        now,
      );
      const at = now.toISOString();
      await tx.run('UPDATE enrolment_codes SET used_at = ? WHERE code_hash = ?', [at, hash]);
      await tx.run(
        'UPDATE terminal_certificates SET revoked_at = ? WHERE terminal_id = ? AND revoked_at IS NULL',
        [at, row.terminal_id],
      );
      await tx.run(
        'INSERT INTO terminal_certificates (serial, terminal_id, not_after, issued_at) VALUES (?, ?, ?, ?)',
        [issued.serial, row.terminal_id, issued.notAfter, at],
      );
      await tx.run(
        "UPDATE terminals SET type = ?, region = ?, status = 'active', enrolled_at = ?, revoked_at = NULL WHERE terminal_id = ?",
        [row.type, row.region, at, row.terminal_id],
      );
      await appendAudit(tx, clock, {
        terminalId: row.terminal_id,
        action: 'terminal.enrol',
        subject: `terminal ${row.terminal_id}`,
        result: 'ok',
        details: { serial: issued.serial, type: row.type, region: row.region },
      });
      return {
        terminalId: row.terminal_id,
        type: row.type,
        region: row.region,
        certificatePem: issued.certificatePem,
        caCertificatePem: ca.caCertPem,
        serial: issued.serial,
        notAfter: issued.notAfter,
      };
    });
  } catch (e) {
    if (e instanceof DomainError && e.code.startsWith('ENROLMENT_CODE')) {
      await store.transaction((tx) =>
        appendAudit(tx, clock, { action: 'terminal.enrol', subject: 'enrolment code', result: e.code }),
      );
    }
    throw e;
  }
}

/** Revokes the terminal and every certificate it holds; its next request is refused. */
export async function revokeTerminal(
  store: Store,
  clock: Clock,
  terminalId: string,
  actor: Actor,
): Promise<Terminal> {
  return store.transaction(async (tx) => {
    const terminal = await getTerminal(tx, terminalId, true);
    if (!terminal) throw notFound('terminal', { terminalId });
    const at = clock().toISOString();
    await tx.run("UPDATE terminals SET status = 'revoked', revoked_at = ? WHERE terminal_id = ?", [
      at,
      terminalId,
    ]);
    await tx.run(
      'UPDATE terminal_certificates SET revoked_at = ? WHERE terminal_id = ? AND revoked_at IS NULL',
      [at, terminalId],
    );
    // Unused codes die with the terminal: a revoked kiosk must not re-enrol with a code it saw.
    await tx.run('UPDATE enrolment_codes SET used_at = ? WHERE terminal_id = ? AND used_at IS NULL', [
      at,
      terminalId,
    ]);
    await appendAudit(tx, clock, {
      ...auditActor(actor),
      action: 'terminal.revoke',
      subject: `terminal ${terminalId}`,
      result: 'ok',
    });
    return { ...terminal, status: 'revoked', revokedAt: at };
  });
}

/** A client certificate and its terminal as the store has them (read by `RequestReads`). */
export interface CertificateStatus {
  notAfter: string;
  revokedAt: string | null;
  terminal: Terminal;
}

/**
 * The certificates whose serials (upper-case hex) are in a JSON array parameter, one row each:
 * `key` is the serial, `doc` the certificate and its terminal as a `CertificateStatus` document.
 */
export function certificateDocsSql(dialect: Dialect): string {
  const object = dialect === 'postgres' ? 'json_build_object' : 'json_object';
  return `SELECT c.serial AS key, ${object}(
      'notAfter', c.not_after, 'revokedAt', c.revoked_at,
      'terminal', ${object}('terminalId', t.terminal_id, 'type', t.type, 'region', t.region,
        'status', t.status, 'createdAt', t.created_at, 'enrolledAt', t.enrolled_at, 'revokedAt', t.revoked_at)
    ) AS doc
    FROM terminal_certificates c JOIN terminals t ON t.terminal_id = c.terminal_id
    WHERE ${inJsonArray(dialect, 'c.serial')}`;
}

/**
 * The terminal behind a verified client certificate, if the certificate is still good: not
 * revoked, not expired at `now`, and its terminal active. Asked on every terminal request with
 * the certificate as read for that request, so revocation takes effect at the next request even
 * on a kept-alive connection.
 */
export function terminalIfGood(certificate: CertificateStatus | undefined, now: Date): Terminal | undefined {
  if (
    !certificate ||
    certificate.revokedAt !== null ||
    certificate.terminal.status !== 'active' ||
    certificate.notAfter <= now.toISOString()
  ) {
    return undefined;
  }
  // The read is shared by the requests batched with this one: each gets its own copy.
  return { ...certificate.terminal };
}

/**
 * A new certificate for a terminal that presents a good one (mutual TLS), over a new key it made:
 * how a terminal renews before expiry without an operator. The subject is the registry's, as at
 * enrolment. The terminal's other certificates are not revoked but cut to `graceSeconds` from now,
 * so that a terminal that lost the answer (or failed to store it) can still ask again with its
 * old one, and an old key does not stay good for the rest of its term.
 */
export async function renewTerminalCertificate(
  store: Store,
  clock: Clock,
  ca: CertificateAuthority,
  certificateDays: number,
  graceSeconds: number,
  terminalId: string,
  csrPem: string,
): Promise<Enrolment> {
  return store.transaction(async (tx) => {
    const terminal = await getTerminal(tx, terminalId, true);
    if (terminal?.status !== 'active') {
      throw new DomainError('CLIENT_CERT_REVOKED', 'the terminal is not active', 401);
    }
    const now = clock();
    const issued = ca.issueTerminalCertificate(
      csrPem,
      { terminalId, type: terminal.type, region: terminal.region },
      certificateDays,
      now,
    );
    const at = now.toISOString();
    const graceEnd = new Date(now.getTime() + graceSeconds * 1000).toISOString();
    await tx.run(
      `UPDATE terminal_certificates SET not_after = CASE WHEN not_after > ? THEN ? ELSE not_after END
       WHERE terminal_id = ? AND revoked_at IS NULL`,
      [graceEnd, graceEnd, terminalId],
    );
    await tx.run(
      'INSERT INTO terminal_certificates (serial, terminal_id, not_after, issued_at) VALUES (?, ?, ?, ?)',
      [issued.serial, terminalId, issued.notAfter, at],
    );
    await appendAudit(tx, clock, {
      terminalId,
      action: 'terminal.renewCertificate',
      subject: `terminal ${terminalId}`,
      result: 'ok',
      details: { serial: issued.serial, notAfter: issued.notAfter, earlierUntil: graceEnd },
    });
    return {
      terminalId,
      type: terminal.type,
      region: terminal.region,
      certificatePem: issued.certificatePem,
      caCertificatePem: ca.caCertPem,
      serial: issued.serial,
      notAfter: issued.notAfter,
    };
  });
}
