import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { performance } from 'node:perf_hooks';

/** One PC/SC call as the client's event loop saw it: issued at `start`, its callback ran at `end`. */
export interface TracedCall {
  op: 'connect' | 'transmit' | 'disconnect' | 'status-event';
  reader: string;
  /** Milliseconds since the traced read began. */
  start: number;
  end: number;
  /** Disposition of a disconnect (`leave`, `reset`, `unpower`); state of a status event. */
  detail?: string;
  /** A transmit's command and answer, upper-case hex. */
  command?: string;
  response?: string;
}

interface TracedReader {
  name: string;
  SCARD_LEAVE_CARD: number;
  SCARD_RESET_CARD: number;
  SCARD_UNPOWER_CARD: number;
}

type Callback = (...args: unknown[]) => void;

/**
 * Wraps the `pcsclite` binding's reader methods in this process so that every connect, transmit
 * and disconnect, and every status event the binding delivers, is noted with the time it was
 * issued and the time its callback ran. The gap between one call's callback and the next call is
 * the client's own time (its code, timers, event-loop turns); the call's span is pcscd, the
 * driver and the card. The wrapping is the same in every client traced, so it costs them alike.
 */
export class PcscTracer {
  private origin = 0;
  private recording = false;
  private calls: TracedCall[] = [];

  constructor() {
    const root = dirname(createRequire(import.meta.url).resolve('pcsclite/package.json'));
    const require = createRequire(`${root}/package.json`);
    // The binding's JS layer defines connect/transmit/disconnect on the native class's prototype.
    require('pcsclite');
    const native = require('bindings')({ bindings: 'pcsclite', module_root: root }) as {
      CardReader: { prototype: Record<string, unknown> };
    };
    const proto = native.CardReader.prototype;
    const tracer = this;
    const wrap = (
      op: 'connect' | 'transmit' | 'disconnect',
      detail: (r: TracedReader, args: unknown[]) => string | undefined,
    ) => {
      const original = proto[op] as (...args: unknown[]) => unknown;
      proto[op] = function (this: TracedReader, ...args: unknown[]) {
        const cb = args.at(-1) as Callback;
        if (!tracer.recording || typeof cb !== 'function') return original.apply(this, args);
        const call: TracedCall = {
          op,
          reader: this.name,
          start: performance.now() - tracer.origin,
          end: Number.NaN,
        };
        const d = detail(this, args);
        if (d !== undefined) call.detail = d;
        if (op === 'transmit') call.command = (args[0] as Buffer).toString('hex').toUpperCase();
        tracer.calls.push(call);
        args[args.length - 1] = (...results: unknown[]) => {
          call.end = performance.now() - tracer.origin;
          if (op === 'transmit' && Buffer.isBuffer(results[1])) {
            call.response = results[1].toString('hex').toUpperCase();
          }
          cb(...results);
        };
        return original.apply(this, args);
      };
    };
    wrap('connect', () => undefined);
    wrap('transmit', () => undefined);
    wrap('disconnect', (r, args) => {
      const d = args[0];
      return d === r.SCARD_LEAVE_CARD ? 'leave' : d === r.SCARD_RESET_CARD ? 'reset' : 'unpower';
    });
    const emit = proto.emit as (this: TracedReader, event: string, ...args: unknown[]) => boolean;
    proto.emit = function (this: TracedReader, event: string, ...args: unknown[]) {
      if (tracer.recording && event === 'status') {
        const at = performance.now() - tracer.origin;
        const state = (args[0] as { state: number }).state;
        tracer.calls.push({
          op: 'status-event',
          reader: this.name,
          start: at,
          end: at,
          detail: `0x${state.toString(16)}`,
        });
      }
      return emit.call(this, event, ...args);
    };
  }

  /** Traces one run of `work`; the times are relative to its start. */
  async trace<T>(work: () => Promise<T>): Promise<{ result: T; total: number; calls: TracedCall[] }> {
    this.calls = [];
    this.recording = true;
    this.origin = performance.now();
    try {
      const result = await work();
      return { result, total: performance.now() - this.origin, calls: this.calls };
    } finally {
      this.recording = false;
    }
  }
}
