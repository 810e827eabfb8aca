import { chmod, lstat, mkdir, stat, unlink } from 'node:fs/promises';
import { type Server, type Socket, connect, createServer } from 'node:net';
import { dirname } from 'node:path';
import { isSscardError } from '@sscard/card-core';
import { DomainError } from '../errors.js';
import type { CheckpointLog } from './checkpoint-log.js';
import { type HsmCore, HsmRefusal } from './hsm-core.js';
import {
  readFrames,
  type HsmAnswerFrame,
  type HsmCommand,
  REQUESTS,
  type HsmResult,
  encodeFrame,
} from './protocol.js';

export interface HsmServerOptions {
  socketPath: string;
  core: HsmCore;
  checkpoints: CheckpointLog;
  clock?: () => Date;
  /** Told about refused connections and internal errors; never given a key, PIN or request body. */
  warn?: (message: string) => void;
}

export interface RunningHsmServer {
  socketPath: string;
  close(): Promise<void>;
}

/**
 * The socket's directory is the HSM's and nobody else's (mode 0700): the socket itself is the
 * access control, so whoever can reach it can ask for cryptograms. A directory that exists with
 * wider access or another owner is refused rather than tightened, since someone may already hold
 * a way in.
 */
async function prepareSocketDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const info = await stat(dir);
  const uid = process.getuid?.();
  if (uid !== undefined && info.uid !== uid) {
    throw new DomainError(
      'HSM_SOCKET_DIR',
      `HSM socket directory ${dir} belongs to uid ${info.uid}, not ${uid}`,
      500,
    );
  }
  if ((info.mode & 0o077) !== 0) {
    throw new DomainError(
      'HSM_SOCKET_DIR',
      `HSM socket directory ${dir} has mode ${(info.mode & 0o777).toString(8)}: it must be 700`,
      500,
    );
  }
}

/** Removes a socket file left by an HSM that died; refuses to start beside one that still answers. */
async function clearStaleSocket(path: string): Promise<void> {
  try {
    if (!(await lstat(path)).isSocket()) {
      throw new DomainError('HSM_SOCKET', `${path} exists and is not a socket`, 500);
    }
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw e;
  }
  const alive = await new Promise<boolean>((resolve) => {
    const probe = connect(path);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
  if (alive) throw new DomainError('HSM_SOCKET', `another HSM process is serving ${path}`, 500);
  await unlink(path);
}

export async function startHsmServer(options: HsmServerOptions): Promise<RunningHsmServer> {
  const { core, checkpoints, socketPath } = options;
  const clock = options.clock ?? (() => new Date());
  const warn = options.warn ?? (() => undefined);
  await prepareSocketDir(dirname(socketPath));
  await clearStaleSocket(socketPath);

  // Checkpoints are made one at a time, in arrival order, so each chains to the one before it.
  let checkpointQueue: Promise<unknown> = Promise.resolve();
  const checkpoint = (seq: number, hash: string): Promise<HsmResult<'audit.checkpoint'>> => {
    const run = checkpointQueue.then(async () => {
      const last = checkpoints.last;
      if (last && seq < last.seq) {
        throw new HsmRefusal(
          'CHECKPOINT_BEHIND',
          `the chain at ${seq} is behind the last checkpoint (${last.seq})`,
        );
      }
      if (last && seq === last.seq) {
        if (hash !== last.hash)
          throw new HsmRefusal('CHECKPOINT_FORK', `seq ${seq} was certified with another hash`);
        return { checkpoint: last };
      }
      const next = core.makeCheckpoint(seq, hash, clock().toISOString(), last);
      await checkpoints.append(next);
      return { checkpoint: next };
    });
    checkpointQueue = run.catch(() => undefined);
    return run;
  };

  const handlers: { [C in HsmCommand]: (args: never) => HsmResult<C> | Promise<HsmResult<C>> } = {
    status: () => ({
      keysetCreatedAt: core.keyset.createdAt,
      issuerKeysetCreatedAt: core.keyset.issuerKeysetCreatedAt,
      lastCheckpointSeq: checkpoints.last?.seq ?? 0,
    }),
    'card.externalAuth': (a) => core.externalAuth(a),
    'card.verifyInternalAuth': (a) => core.verifyInternalAuth(a),
    'emv.verifyArqc': (a) => core.verifyArqc(a),
    'emv.verifyAc': (a) => core.verifyAc(a),
    'pin.translate': (a) => core.translatePin(a),
    'pin.verify': (a) => core.verifyPin(a),
    'pin.makePvv': (a) => core.makePvv(a),
    'pin.zoneMakePvv': (a) => core.zoneMakePvv(a),
    'card.pinReloadMac': (a) => core.pinReloadMac(a),
    'card.pinUnblockMac': (a) => core.pinUnblockMac(a),
    'audit.checkpoint': (a: { seq: number; hash: string }) => checkpoint(a.seq, a.hash),
    'audit.checkMacs': (a) => core.checkMacs(a),
  };

  const answer = async (frame: unknown): Promise<HsmAnswerFrame | undefined> => {
    if (typeof frame !== 'object' || frame === null) return undefined;
    const { id, command, args } = frame as { id?: unknown; command?: unknown; args?: unknown };
    if (typeof id !== 'number' || typeof command !== 'string') return undefined;
    if (!Object.hasOwn(REQUESTS, command)) {
      return { id, error: { code: 'UNKNOWN_COMMAND', message: `unknown command ${command.slice(0, 40)}` } };
    }
    const name = command as HsmCommand;
    const parsed = REQUESTS[name].safeParse(args ?? {});
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      return {
        id,
        error: { code: 'BAD_REQUEST', message: `${issue.path.join('.') || 'args'}: ${issue.message}` },
      };
    }
    try {
      const result = await (handlers[name] as (a: unknown) => unknown)(parsed.data);
      return { id, result };
    } catch (e) {
      if (e instanceof HsmRefusal) return { id, error: { code: e.code, message: e.message } };
      if (isSscardError(e)) return { id, error: { code: 'BAD_REQUEST', message: e.message } };
      warn(`HSM command ${name} failed: ${e instanceof Error ? e.message : String(e)}`);
      return { id, error: { code: 'INTERNAL', message: 'the HSM could not carry out the command' } };
    }
  };

  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    readFrames(
      socket,
      (frame) => {
        answer(frame).then(
          (reply) => {
            if (reply === undefined) {
              warn('HSM connection dropped: a frame that is not a request');
              socket.destroy();
            } else if (!socket.destroyed) socket.write(encodeFrame(reply));
          },
          () => socket.destroy(),
        );
      },
      (why) => {
        warn(`HSM connection dropped: ${why}`);
        socket.destroy();
      },
    );
    socket.on('error', () => socket.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => resolve());
  });
  await chmod(socketPath, 0o600);
  return {
    socketPath,
    close: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      });
      await checkpointQueue;
      await checkpoints.close();
    },
  };
}
