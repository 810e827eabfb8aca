import { type Socket, connect } from 'node:net';
import { DomainError } from '../errors.js';
import {
  readFrames,
  type HsmAnswerFrame,
  type HsmCommand,
  type HsmErrorCode,
  type HsmRequest,
  type HsmResult,
  encodeFrame,
} from './protocol.js';

/** The refusal of every HSM-backed operation while the HSM process cannot be reached or does not answer. */
export function hsmUnavailable(why: string): DomainError {
  return new DomainError('HSM_UNAVAILABLE', `the HSM is unavailable: ${why}`, 503);
}

/** The HSM refused one request (a malformed input, an invalid PIN block, a checkpoint behind the last). */
export class HsmCommandError extends DomainError {
  constructor(
    readonly hsmCode: HsmErrorCode,
    message: string,
  ) {
    super(
      hsmCode === 'PIN_BLOCK_INVALID' ? 'PIN_BLOCK_INVALID' : `HSM_${hsmCode}`,
      message,
      hsmCode === 'INTERNAL' ? 502 : 400,
    );
  }
}

export interface HsmClientOptions {
  socketPath: string;
  /** How long one command may take before the HSM counts as unavailable. */
  timeoutMs?: number;
}

interface Pending {
  /** The connection the request went out on: only its loss fails the request. */
  socket: Socket;
  resolve(result: unknown): void;
  reject(error: unknown): void;
  timer: NodeJS.Timeout;
}

/**
 * The service's one way to the HSM process: typed host commands over its Unix socket, on one
 * connection opened when first needed and opened again after it is lost. Requests are pipelined
 * (answers are paired by id). Nothing here waits for ever: a refused or missing socket fails the
 * request at once, and an HSM that stops answering fails it after `timeoutMs`; both are
 * `HSM_UNAVAILABLE` (503), and the connection is dropped so that the next request starts afresh,
 * which is also how a restarted HSM is picked up.
 */
export class HsmClient {
  private socket: Socket | undefined;
  private connecting: Promise<Socket> | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private closed = false;
  private readonly timeoutMs: number;

  constructor(private readonly options: HsmClientOptions) {
    this.timeoutMs = options.timeoutMs ?? 2000;
  }

  get socketPath(): string {
    return this.options.socketPath;
  }

  async call<C extends HsmCommand>(command: C, args: HsmRequest<C>): Promise<HsmResult<C>> {
    if (this.closed) throw hsmUnavailable('the client is closed');
    const socket = await this.connection();
    const id = this.nextId++;
    return new Promise<HsmResult<C>>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(hsmUnavailable(`no answer to ${command} within ${this.timeoutMs} ms`));
        // A late answer must not be taken for another request's; start the next one afresh.
        this.drop(socket, 'the HSM stopped answering');
      }, this.timeoutMs);
      this.pending.set(id, { socket, resolve: resolve as (r: unknown) => void, reject, timer });
      socket.write(encodeFrame({ id, command, args }));
    });
  }

  // The commands domain code uses, typed one by one.
  externalAuth = (a: HsmRequest<'card.externalAuth'>) => this.call('card.externalAuth', a);
  verifyInternalAuth = (a: HsmRequest<'card.verifyInternalAuth'>) => this.call('card.verifyInternalAuth', a);
  verifyArqc = (a: HsmRequest<'emv.verifyArqc'>) => this.call('emv.verifyArqc', a);
  verifyAc = (a: HsmRequest<'emv.verifyAc'>) => this.call('emv.verifyAc', a);
  translatePin = (a: HsmRequest<'pin.translate'>) => this.call('pin.translate', a);
  verifyPin = (a: HsmRequest<'pin.verify'>) => this.call('pin.verify', a);
  makePvv = (a: HsmRequest<'pin.makePvv'>) => this.call('pin.makePvv', a);
  zoneMakePvv = (a: HsmRequest<'pin.zoneMakePvv'>) => this.call('pin.zoneMakePvv', a);
  pinReloadMac = (a: HsmRequest<'card.pinReloadMac'>) => this.call('card.pinReloadMac', a);
  pinUnblockMac = (a: HsmRequest<'card.pinUnblockMac'>) => this.call('card.pinUnblockMac', a);
  auditCheckpoint = (a: HsmRequest<'audit.checkpoint'>) => this.call('audit.checkpoint', a);
  checkCheckpointMacs = (a: HsmRequest<'audit.checkMacs'>) => this.call('audit.checkMacs', a);
  status = () => this.call('status', {});

  async close(): Promise<void> {
    this.closed = true;
    if (this.socket) this.drop(this.socket, 'the client is closed');
  }

  private connection(): Promise<Socket> {
    if (this.socket && !this.socket.destroyed) return Promise.resolve(this.socket);
    this.connecting ??= new Promise<Socket>((resolve, reject) => {
      const socket = connect(this.options.socketPath);
      const timer = setTimeout(() => socket.destroy(new Error('connect timed out')), this.timeoutMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        this.connecting = undefined;
        this.attach(socket);
        resolve(socket);
      });
      socket.once('error', (e: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        this.connecting = undefined;
        reject(
          hsmUnavailable(
            e.code === 'ENOENT' || e.code === 'ECONNREFUSED' ? 'the HSM process is not running' : e.message,
          ),
        );
      });
    });
    return this.connecting;
  }

  private attach(socket: Socket): void {
    this.socket = socket;
    readFrames(
      socket,
      (frame) => this.settle(frame as HsmAnswerFrame),
      (why) => this.drop(socket, `bad frame from the HSM: ${why}`),
    );
    socket.on('error', () => undefined);
    socket.on('close', () => this.drop(socket, 'the HSM closed the connection'));
  }

  private settle(frame: HsmAnswerFrame): void {
    const waiting = this.pending.get(frame.id);
    if (!waiting) return;
    this.pending.delete(frame.id);
    clearTimeout(waiting.timer);
    if ('error' in frame) waiting.reject(new HsmCommandError(frame.error.code, frame.error.message));
    else waiting.resolve(frame.result);
  }

  private drop(socket: Socket, why: string): void {
    if (this.socket === socket) this.socket = undefined;
    socket.destroy();
    for (const [id, p] of this.pending) {
      if (p.socket !== socket) continue;
      this.pending.delete(id);
      clearTimeout(p.timer);
      p.reject(hsmUnavailable(why));
    }
  }
}
