import { constants, open, readFile } from 'node:fs/promises';
import { type AuditCheckpoint, auditCheckpointSchema } from './protocol.js';

/**
 * The audit checkpoints as a file outside the database: one JSON line per checkpoint, only ever
 * appended (O_APPEND, synced before the checkpoint is answered), so a log shipper can follow it and
 * a database restored from an old copy is caught by the checkpoints it lacks. The HSM process
 * writes it; `audit verify` reads it.
 */
export interface CheckpointLogContents {
  checkpoints: AuditCheckpoint[];
  /** Lines that are not checkpoints (a write torn by a crash, or something else's doing). */
  badLines: number[];
}

export async function readCheckpointLog(path: string): Promise<CheckpointLogContents> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { checkpoints: [], badLines: [] };
    throw e;
  }
  const checkpoints: AuditCheckpoint[] = [];
  const badLines: number[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    try {
      const parsed = auditCheckpointSchema.safeParse(JSON.parse(line));
      if (parsed.success) checkpoints.push(parsed.data);
      else badLines.push(i + 1);
    } catch {
      badLines.push(i + 1);
    }
  });
  return { checkpoints, badLines };
}

export class CheckpointLog {
  private constructor(
    private readonly handle: Awaited<ReturnType<typeof open>>,
    private lastCheckpoint: AuditCheckpoint | undefined,
  ) {}

  static async open(path: string): Promise<CheckpointLog> {
    const { checkpoints } = await readCheckpointLog(path);
    const handle = await open(path, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT, 0o600);
    const { size } = await handle.stat();
    if (size > 0) {
      // A line torn by a crash stays (nothing here is ever rewritten) but must not swallow the next one.
      const tail = Buffer.alloc(1);
      const reader = await open(path, constants.O_RDONLY);
      try {
        await reader.read(tail, 0, 1, size - 1);
      } finally {
        await reader.close();
      }
      if (tail[0] !== 0x0a) await handle.write('\n');
    }
    return new CheckpointLog(handle, checkpoints[checkpoints.length - 1]);
  }

  get last(): AuditCheckpoint | undefined {
    return this.lastCheckpoint;
  }

  async append(checkpoint: AuditCheckpoint): Promise<void> {
    await this.handle.write(`${JSON.stringify(checkpoint)}\n`);
    await this.handle.datasync();
    this.lastCheckpoint = checkpoint;
  }

  close(): Promise<void> {
    return this.handle.close();
  }
}
