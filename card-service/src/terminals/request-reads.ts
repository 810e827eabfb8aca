import { ReadCoalescer } from '../store/read-coalescer.js';
import type { Dialect, Queryable } from '../store/store.js';
import { type CertificateStatus, certificateDocsSql } from './terminals.js';
import { type IdentityRecord, identityDocsSql, identityRecordFromDoc } from '../registry/queries.js';

/** Key prefixes of the two kinds of read in one batch. */
const CERTIFICATE = 't';
const IDENTITY = 'c';

const batchSql = (dialect: Dialect): string =>
  `SELECT '${CERTIFICATE}' AS kind, key, doc FROM (${certificateDocsSql(dialect)}) certificates
  UNION ALL
  SELECT '${IDENTITY}' AS kind, key, doc FROM (${identityDocsSql(dialect)}) identities`;

const BATCH_SQL: Record<Dialect, string> = { sqlite: batchSql('sqlite'), postgres: batchSql('postgres') };

interface DocRow {
  kind: string;
  key: string;
  /** sqlite3 answers JSON as text, PostgreSQL's `json` arrives parsed. */
  doc: unknown;
}

type Answer = CertificateStatus | IdentityRecord;

/**
 * The store reads on the path of a terminal request, batched: the client certificate's status
 * (every terminal request) and the card's identity record (identity checks). Whatever arrives
 * while a batch runs goes in the next one (`ReadCoalescer`), and a batch is one statement for both
 * kinds — each kind's keys one JSON array parameter — so one thread-pool trip on sqlite3 or one
 * round trip on PostgreSQL however many requests it answers. A check asks for its card and its
 * terminal's certificate in the same tick (the route's `prepare` beside identification), so the
 * two travel together; all requests of a terminal ask for the same serial, which a batch reads
 * once. A batch holds only reads asked for before it was sent: a revocation committed before a
 * request arrived is seen by that request.
 */
export class RequestReads {
  private readonly batches: ReadCoalescer<Answer>;

  constructor(private readonly store: Queryable) {
    this.batches = new ReadCoalescer((keys) => this.load(keys));
  }

  /** The certificate with this serial (hex, any case) and its terminal, as committed now. */
  certificate(serial: string): Promise<CertificateStatus | undefined> {
    return this.batches.get(CERTIFICATE + serial.toUpperCase()) as Promise<CertificateStatus | undefined>;
  }

  /** The card with this identification code (any case), its holder and coverage, as committed now. */
  identityRecord(cardIdCode: string): Promise<IdentityRecord | undefined> {
    return this.batches.get(IDENTITY + cardIdCode.toUpperCase()) as Promise<IdentityRecord | undefined>;
  }

  private async load(keys: readonly string[]): Promise<Map<string, Answer>> {
    const serials: string[] = [];
    const codes: string[] = [];
    for (const key of keys) (key.startsWith(CERTIFICATE) ? serials : codes).push(key.slice(1));
    const rows = await this.store.all<DocRow>(BATCH_SQL[this.store.dialect], [
      JSON.stringify(serials),
      JSON.stringify(codes),
    ]);
    const answers = new Map<string, Answer>();
    for (const row of rows) {
      const doc: unknown = typeof row.doc === 'string' ? JSON.parse(row.doc) : row.doc;
      answers.set(
        row.kind + row.key,
        row.kind === CERTIFICATE ? (doc as CertificateStatus) : identityRecordFromDoc(doc),
      );
    }
    return answers;
  }
}
