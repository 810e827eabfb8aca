import { HsmCommandError, type HsmClient } from '../hsm/hsm-client.js';
import type { AuditCheckpoint } from '../hsm/protocol.js';
import type { Logger } from '@sscard/log';
import type { Queryable, Store } from '../store/store.js';

export interface CheckpointerOptions {
  /** A checkpoint after this many entries past the last one… */
  every: number;
  /** …and at least this often while the chain grows. */
  intervalSeconds: number;
}

interface CheckpointRow {
  seq: number;
  hash: string;
  at: string;
  prev_mac: string;
  mac: string;
}

export const fromCheckpointRow = (r: CheckpointRow): AuditCheckpoint => ({
  seq: Number(r.seq),
  hash: r.hash,
  at: r.at,
  prevMac: r.prev_mac,
  mac: r.mac,
});

export async function listCheckpoints(store: Queryable): Promise<AuditCheckpoint[]> {
  const rows = await store.all<CheckpointRow>(
    'SELECT seq, hash, at, prev_mac, mac FROM audit_checkpoints ORDER BY seq',
  );
  return rows.map(fromCheckpointRow);
}

/**
 * Has the HSM certify the audit chain every `every` entries and every `intervalSeconds` while it
 * grows: the HSM MACs (seq, entry hash) under a key the database never sees, chains it to its
 * previous checkpoint and appends it to its own log file; the service keeps a copy in
 * `audit_checkpoints`. A database writer can then still rewrite the chain's hashes, but not the
 * checkpoints, so `audit verify` catches the rewrite.
 *
 * Off the request path: appends only tell it the seq they reached (`noteAppended`, a comparison),
 * and a checkpoint runs in the background, one at a time: a read of the head row, one HSM command,
 * one insert. An HSM that is down delays checkpoints (logged), never an append; the entries
 * appended meanwhile are certified by the next checkpoint.
 */
export class AuditCheckpointer {
  private lastSeq = 0;
  private running: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly store: Store,
    private readonly hsm: HsmClient,
    private readonly log: Logger,
    private readonly options: CheckpointerOptions,
  ) {}

  async start(): Promise<void> {
    const last = await this.store.get<{ seq: number | null }>(
      'SELECT MAX(seq) AS seq FROM audit_checkpoints',
    );
    this.lastSeq = Number(last?.seq ?? 0);
    this.timer = setInterval(() => void this.checkpoint(), this.options.intervalSeconds * 1000);
    this.timer.unref();
    // Entries written while no service ran (the command line's seeding, imports, revocations) are
    // certified now rather than at the first interval.
    void this.checkpoint();
  }

  /** Told by the group-commit writer after each batch: a checkpoint once `every` entries have gathered. */
  noteAppended(seq: number): void {
    if (seq - this.lastSeq >= this.options.every && this.running === undefined && !this.closed)
      void this.checkpoint();
  }

  /** Certifies the chain as it stands now, unless it has not grown since the last checkpoint. */
  checkpoint(): Promise<void> {
    this.running ??= this.certify().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  /** Stops the timer after a last checkpoint of what was appended. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    await this.running;
    await this.checkpoint();
  }

  private async certify(): Promise<void> {
    try {
      const head = await this.store.get<{ seq: number; hash: string }>(
        'SELECT seq, hash FROM audit_head WHERE id = 1',
      );
      const seq = Number(head?.seq ?? 0);
      if (!head || seq <= this.lastSeq) return;
      const { checkpoint } = await this.hsm.auditCheckpoint({ seq, hash: head.hash });
      await this.store.run(
        `INSERT INTO audit_checkpoints (seq, hash, at, prev_mac, mac) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (seq) DO NOTHING`,
        [checkpoint.seq, checkpoint.hash, checkpoint.at, checkpoint.prevMac, checkpoint.mac],
      );
      this.lastSeq = checkpoint.seq;
    } catch (e) {
      if (e instanceof HsmCommandError && e.hsmCode === 'CHECKPOINT_BEHIND') {
        // Another service process certified further, or this database is older than the HSM's log.
        this.log.warn('audit checkpoint refused: the chain is behind the HSM’s last checkpoint', {
          reason: e.message,
        });
      } else if (e instanceof HsmCommandError && e.hsmCode === 'CHECKPOINT_FORK') {
        this.log.error('audit checkpoint refused: the chain differs from what the HSM certified', {
          reason: e.message,
        });
      } else {
        this.log.warn('audit checkpoint failed; the next one will cover these entries', {
          reason: e instanceof Error ? e.message : String(e),
        });
      }
    }
  }
}
