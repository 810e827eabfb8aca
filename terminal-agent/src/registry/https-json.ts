import type { Agent } from 'node:https';
import { request } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { RegistryError } from './errors.js';

/**
 * One JSON request over HTTPS, with the failure modes told apart: no connection (the request
 * certainly did not arrive), a connection that broke or timed out after the request may have been
 * written (outcome unknown), a server certificate this terminal does not trust, and an answer.
 * Non-2xx answers are returned, not thrown: what a refusal means depends on the call.
 */

export interface JsonAnswer {
  status: number;
  body: unknown;
  headers: Record<string, string | string[] | undefined>;
}

export interface JsonRequest {
  method: string;
  url: URL;
  body?: unknown;
  headers?: Record<string, string>;
  agent: Agent;
  /** The whole exchange, connection to last byte; the request is aborted past it. */
  timeoutMs: number;
  /** Caps the answer's size: a confused or hostile peer cannot exhaust the agent's memory. */
  maxResponseBytes?: number;
  /** Sees each TLS socket once connected (enrolment keeps the server's certificate from it). */
  onSecureConnect?: (socket: TLSSocket) => void;
}

// TLS verification failures as Node reports them: the peer is not the registry we trust.
const UNTRUSTED_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_SIGNATURE_FAILURE',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'HOSTNAME_MISMATCH',
]);

// Failures that happen before a byte of the request can have reached the service.
const NOT_DELIVERED_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);

export function sendJson(req: JsonRequest): Promise<JsonAnswer> {
  const payload = req.body === undefined ? undefined : Buffer.from(JSON.stringify(req.body), 'utf8');
  const limit = req.maxResponseBytes ?? 1024 * 1024;
  const where = `${req.method} ${req.url.pathname}`;
  return new Promise<JsonAnswer>((resolve, reject) => {
    // Set once the request has been handed to a connected socket: from then on a failure leaves
    // the outcome unknown, because the service may have received and applied it.
    let mayHaveArrived = false;
    const signal = AbortSignal.timeout(req.timeoutMs);
    const r = request(
      req.url,
      {
        method: req.method,
        agent: req.agent,
        signal,
        headers: {
          accept: 'application/json',
          ...(payload
            ? { 'content-type': 'application/json', 'content-length': String(payload.length) }
            : {}),
          ...req.headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > limit) {
            res.destroy(
              new RegistryError('REGISTRY_PROTOCOL', `${where}: answer larger than ${limit} bytes`),
            );
            return;
          }
          chunks.push(chunk);
        });
        res.on('error', (e) => reject(transportError(e, where, true)));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const status = res.statusCode ?? 0;
          let body: unknown = null;
          if (text.length > 0) {
            try {
              body = JSON.parse(text);
            } catch {
              reject(
                new RegistryError('REGISTRY_PROTOCOL', `${where}: answer ${status} is not JSON`, {
                  status,
                  outcomeUnknown: status >= 200 && status < 300,
                }),
              );
              return;
            }
          }
          resolve({ status, body, headers: res.headers });
        });
      },
    );
    r.on('socket', (socket) => {
      const tls = socket as TLSSocket;
      const connected = () => {
        mayHaveArrived = true;
        req.onSecureConnect?.(tls);
      };
      if (!socket.connecting) connected();
      else socket.once('secureConnect', connected);
    });
    r.on('error', (e) => reject(transportError(e, where, mayHaveArrived)));
    if (payload) r.end(payload);
    else r.end();
  });
}

function transportError(e: unknown, where: string, mayHaveArrived: boolean): RegistryError {
  if (e instanceof RegistryError) return e;
  const err = e as NodeJS.ErrnoException & { reason?: string };
  const code = err.code ?? err.name;
  if (UNTRUSTED_CODES.has(code)) {
    return new RegistryError(
      'REGISTRY_UNTRUSTED',
      `${where}: the service's certificate is not trusted (${code}); check the configured CA certificate`,
      { tlsError: code },
      { cause: e },
    );
  }
  const timedOut = err.name === 'AbortError' || err.name === 'TimeoutError' || code === 'ABORT_ERR';
  const delivered = mayHaveArrived && !NOT_DELIVERED_CODES.has(code);
  return new RegistryError(
    'REGISTRY_UNREACHABLE',
    `${where}: ${timedOut ? 'no answer in time' : `connection failed (${code})`}`,
    { outcomeUnknown: delivered, transportError: timedOut ? 'TIMEOUT' : code },
    { cause: e },
  );
}
