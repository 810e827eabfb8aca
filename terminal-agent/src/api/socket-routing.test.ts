/**
 * Who hears what over socket.io: a card's data go to the terminal's own UI and to the client that
 * asked, never to every connected page; only the client that started a PIN entry may cancel it.
 * Real socket.io clients over real connections; the card side is a recorded `AgentActions` that
 * numbers its reads, and the PIN side the real on-screen keypad.
 */
import { NotABankTerminal } from '../testing/counter-actions.js';
import { ministryBackend } from '../testing/ministry-backend.js';
import { RecordedReaders, recordedTerminal } from '../testing/recorded-card.js';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { io, type Socket } from 'socket.io-client';
import { createLogger } from '@sscard/log';
import { isPinEntryError } from '../pinpad/errors.js';
import { KeypadPinPad } from '../pinpad/keypad.js';
import type { AgentActions } from './agent-actions.js';
import {
  type CardReadView,
  type LostCardReportView,
  type PinResultView,
  pinResultView,
} from './card-view.js';
import type { MinistryBackend } from './ministry.js';
import { PinFlow } from './pin-flow.js';
import { ApiServer } from './server.js';
import type { ClientToServerEvents, ServerToClientEvents } from './socket-events.js';

const TOKEN = 'Rf2kP8wZ1nVb6cXq0LmT4sYh9dGj3eAu7oNiWzKy5Hp';
const HIS = 'https://his.example.org';

type Client = Socket<ServerToClientEvents, ClientToServerEvents>;

/** Reads numbered 1, 2, 3… in `apduCount`, announced like the real actions announce them. */
class NumberedActions extends NotABankTerminal implements AgentActions {
  #reads = 0;
  constructor(readonly pin: PinFlow) {
    super();
  }
  readonly ministry: MinistryBackend = ministryBackend({
    iReadCardBas: async () => ({ code: -2, output: '' }),
    iVerifyPIN: async () => ({ code: -13, output: '' }),
    iChangePIN: async () => ({ code: -13, output: '' }),
    iReadCardNo: async () => ({ code: 0, output: 'X00000019|' }),
    iGetCardType: async () => ({ code: 0, output: '3|3.00|' }),
  });

  async readCard(): Promise<CardReadView> {
    const view = {
      reader: 'Virtual PCD 00 00',
      apduCount: ++this.#reads,
      verification: null,
    } as CardReadView;
    this.emit('card-read', view);
    return view;
  }
  async verifyPin(request: { owner?: string | undefined } = {}): Promise<PinResultView> {
    let view: PinResultView;
    try {
      await this.pin.withPin('verify', async () => undefined, request.owner);
      view = pinResultView({ operation: 'verify', code: 0 });
    } catch (e) {
      if (!isPinEntryError(e)) throw e;
      view = pinResultView({ operation: 'verify', code: e.returnCode });
    }
    this.emit('pin-result', view);
    return view;
  }
  async changePin(): Promise<PinResultView> {
    return pinResultView({ operation: 'change', code: -13 });
  }
  async reportLost(): Promise<LostCardReportView> {
    return { status: 'queued', cardNumber: 'X0****019', reference: 'T:0000000001' };
  }
}

let server: ApiServer;
let actions: NumberedActions;
let port: number;
const clients: Client[] = [];

function connect(options: { origin?: string; token?: string }): Promise<Client> {
  const socket: Client = io(`http://127.0.0.1:${port}`, {
    transports: ['websocket'],
    forceNew: true,
    reconnection: false,
    ...(options.origin ? { extraHeaders: { origin: options.origin } } : {}),
    ...(options.token ? { auth: { token: options.token } } : {}),
  });
  clients.push(socket);
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', reject);
  });
}

function next<E extends keyof ServerToClientEvents>(
  socket: Client,
  event: E,
): Promise<Parameters<ServerToClientEvents[E]>[0]> {
  return new Promise((resolve) => socket.once(event, resolve as never));
}

async function readCard(socket: Client): Promise<CardReadView> {
  const reply = await socket.timeout(10_000).emitWithAck('read-card', {});
  assert.ok(reply.ok);
  return reply.result;
}

before(async () => {
  const pin = new PinFlow({ pad: new KeypadPinPad(), minLength: 6, maxLength: 6, timeoutMs: 30_000 });
  actions = new NumberedActions(pin);
  server = new ApiServer({
    host: '127.0.0.1',
    port: 0,
    allowedOrigins: [HIS],
    allowedHosts: [],
    token: TOKEN,
    terminal: recordedTerminal,
    readers: new RecordedReaders(),
    actions,
    pin,
    log: createLogger({ level: 'error', write: () => {} }),
  });
  port = (await server.listen()).port;
});

after(async () => {
  for (const c of clients) c.close();
  await server.close();
});

describe('card data over socket.io', () => {
  it('go to the client that asked and to the own UI, not to another page or program', async () => {
    const kiosk = await connect({ origin: `http://127.0.0.1:${port}` });
    const his = await connect({ origin: HIS });
    const other = await connect({ token: TOKEN });
    const otherHeard: CardReadView[] = [];
    other.on('card-read', (view) => otherHeard.push(view));

    const kioskHears = next(kiosk, 'card-read');
    const hisHears = next(his, 'card-read');
    const asked = await readCard(his);
    assert.equal((await hisHears).apduCount, asked.apduCount);
    assert.equal((await kioskHears).apduCount, asked.apduCount);

    // A read through another interface (an actions call, as REST and the ministry make) reaches the
    // own UI only.
    const kioskHearsAgain = next(kiosk, 'card-read');
    const elsewhere = await actions.readCard();
    assert.equal((await kioskHearsAgain).apduCount, elsewhere.apduCount);

    // Events to one socket arrive in order: by the ack of its own read, any earlier broadcast
    // would have arrived first.
    const own = await readCard(other);
    assert.deepEqual(
      otherHeard.map((v) => v.apduCount),
      [own.apduCount],
    );
  });
});

describe('requests over socket.io', () => {
  it('are read by the same schemas as the REST bodies: a refused field comes back as the problem', async () => {
    const his = await connect({ origin: HIS });
    const read = await his.timeout(10_000).emitWithAck('read-card', { reader: '' });
    assert.equal(read.ok, false);
    assert.ok(!read.ok && read.problem.code === 'BAD_REQUEST');
    assert.deepEqual(!read.ok && read.problem.details, { field: 'reader' });
    const report = await his
      .timeout(10_000)
      .emitWithAck('report-lost', { reader: 'Virtual PCD 00 00', cardNumber: 'X00000019' } as never);
    assert.ok(!report.ok && report.problem.code === 'BAD_REQUEST');
    assert.deepEqual(!report.ok && report.problem.details, { fields: ['cardNumber'] });
  });
});

describe('pin-cancel', () => {
  it('is ignored from a client that did not start the entry, and honoured from the one that did', async () => {
    const kiosk = await connect({ origin: `http://127.0.0.1:${port}` });
    const his = await connect({ origin: HIS });
    const hisPrompts: unknown[] = [];
    his.on('pin-required', (prompt) => hisPrompts.push(prompt));

    // The kiosk starts an entry; another page tries to cancel it.
    let prompted = next(kiosk, 'pin-required');
    let result = kiosk.timeout(20_000).emitWithAck('verify-pin');
    await prompted;
    his.emit('pin-cancel');
    await readCard(his); // handled after its pin-cancel
    for (const key of ['1', '2', '3', '4', '5', '6', 'enter'] as const) kiosk.emit('pin-key', key);
    let reply = await result;
    assert.ok(reply.ok);
    assert.equal(
      reply.result.code,
      0,
      'the entry was finished by the citizen, not cancelled by the other page',
    );
    assert.deepEqual(hisPrompts, [], "another client is not shown the kiosk's PIN prompt");

    // The client that started it may cancel it.
    prompted = next(kiosk, 'pin-required');
    result = kiosk.timeout(20_000).emitWithAck('verify-pin');
    await prompted;
    kiosk.emit('pin-cancel');
    reply = await result;
    assert.ok(reply.ok);
    assert.equal(reply.result.code, -31);
  });
});
