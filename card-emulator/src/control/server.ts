import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { isSscardError } from '@sscard/card-core';
import { parseFault } from '../faults.js';
import type { Emulator } from './emulator.js';

const BODY_LIMIT = 4096;

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(text);
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > BODY_LIMIT) throw Object.assign(new Error('request body too large'), { status: 413 });
    chunks.push(chunk as Buffer);
  }
  if (chunks.length === 0) return {};
  try {
    const value: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    if (value && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // answered below
  }
  throw Object.assign(new Error('the body must be a JSON object'), { status: 400 });
}

/**
 * The emulator's control API, on loopback only: list cards and slots, insert, remove and swap
 * cards, and inject faults. Routes:
 *
 *   GET  /healthz
 *   GET  /cards                       → {cards: [{id, kind, generation?, holder?, slot}]}
 *   GET  /slots                       → {slots: [{name, kind, card, fault, connected?}]}
 *   POST /slots/{slot}/insert {card}  → the slot (a card elsewhere moves; a card in the slot is swapped out)
 *   POST /slots/{slot}/remove         → the slot
 *   POST /slots/{slot}/fault {kind, delayMs?, processingMs?} → the slot
 *   POST /slots/{slot}/keys {keys}    → the slot (keys typed on its reader's keypad)
 *   GET  /pinpads                     → {pinPads: [{name, connected, enciphers}]}
 *   POST /pinpads/{pad}/keys {keys}   → the pad (keys for its next entry, or the running one)
 *
 * Requests whose Host is not a loopback name of this listener (DNS rebinding) and requests that
 * carry an Origin header are refused: no web page may drive the emulator.
 */
export function createControlServer(emulator: Emulator): Server {
  return createServer((req, res) => {
    handle(emulator, req, res).catch((e: unknown) => {
      const status = (e as { status?: number }).status ?? (isSscardError(e) ? 400 : 500);
      const code = isSscardError(e) ? e.code : status === 500 ? 'INTERNAL' : 'BAD_REQUEST';
      const message = status === 500 ? 'internal error' : (e as Error).message;
      send(res, status, { code, message });
    });
  });
}

/** The names a loopback listener answers to, as a Host header carries them. */
const LOOPBACK_NAMES = new Set(['127.0.0.1', 'localhost', '[::1]']);

/**
 * Whether the Host header names this listener by a loopback name. A page whose own host name a
 * rebinding DNS server points at 127.0.0.1 sends its own name here: refusing it keeps such a page
 * from driving the emulator even from a browser that sends no Origin on its requests.
 */
export function isLoopbackHost(host: string | undefined, port: number | undefined): boolean {
  if (!host) return false;
  const match = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(host.toLowerCase());
  if (!match || !LOOPBACK_NAMES.has(match[1]!)) return false;
  const given = match[2] === undefined ? 80 : Number(match[2]);
  return given === port;
}

function decodedParts(pathname: string): string[] | undefined {
  try {
    return pathname.split('/').filter(Boolean).map(decodeURIComponent);
  } catch {
    return undefined;
  }
}

async function handle(emulator: Emulator, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (!isLoopbackHost(req.headers.host, req.socket.localPort)) {
    send(res, 403, { code: 'HOST_NOT_ALLOWED', message: 'the Host header must name this loopback listener' });
    return;
  }
  if (req.headers.origin !== undefined) {
    send(res, 403, { code: 'ORIGIN_NOT_ALLOWED', message: 'the control API does not serve web pages' });
    return;
  }
  const url = new URL(req.url ?? '/', 'http://localhost');
  const parts = decodedParts(url.pathname);
  if (!parts) {
    send(res, 400, { code: 'MALFORMED_PATH', message: 'the path has a malformed or non-UTF-8 %-escape' });
    return;
  }
  const method = req.method ?? 'GET';
  if (method === 'GET' && url.pathname === '/healthz') return send(res, 200, { status: 'ok' });
  if (method === 'GET' && url.pathname === '/cards') return send(res, 200, { cards: emulator.listCards() });
  if (method === 'GET' && url.pathname === '/slots') return send(res, 200, { slots: emulator.listSlots() });
  if (method === 'GET' && url.pathname === '/pinpads')
    return send(res, 200, { pinPads: emulator.listPinPads() });
  if (method === 'POST' && parts.length === 3 && parts[0] === 'pinpads' && parts[2] === 'keys') {
    const body = await readJson(req);
    if (typeof body.keys !== 'string')
      return send(res, 400, { code: 'BAD_REQUEST', message: 'keys (digits, E, C) are required' });
    return send(res, 200, emulator.pressPinPadKeys(parts[1]!, body.keys));
  }
  if (method === 'POST' && parts.length === 3 && parts[0] === 'slots') {
    const slot = parts[1]!;
    const body = await readJson(req);
    switch (parts[2]) {
      case 'insert': {
        if (typeof body.card !== 'string')
          return send(res, 400, { code: 'BAD_REQUEST', message: 'card (an id) is required' });
        return send(res, 200, emulator.insert(slot, body.card));
      }
      case 'remove':
        return send(res, 200, emulator.remove(slot));
      case 'fault':
        return send(res, 200, emulator.setFault(slot, parseFault(body)));
      case 'keys': {
        if (typeof body.keys !== 'string')
          return send(res, 400, { code: 'BAD_REQUEST', message: 'keys (digits, E, C) are required' });
        return send(res, 200, emulator.pressKeys(slot, body.keys));
      }
    }
  }
  send(res, 404, { code: 'NOT_FOUND', message: `no route ${method} ${url.pathname}` });
}
