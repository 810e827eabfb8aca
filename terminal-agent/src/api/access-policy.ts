import type { AccessDeniedCode } from '@sscard/agent-protocol';
import type { IncomingHttpHeaders } from 'node:http';
import { tokenMatches } from './token.js';

/**
 * Who may talk to the agent. A loopback port is reachable by every web page the machine's browser
 * opens, so three checks run on every HTTP request and every WebSocket upgrade, in this order:
 *
 * 1. Host: the Host header must name the agent (its bind address, localhost, or a configured
 *    name). This defeats DNS rebinding, where a hostile page's own name resolves to 127.0.0.1
 *    and the browser therefore treats the agent as same-origin with the hostile page.
 * 2. Origin: when a browser sends an Origin, it must be the agent's own (the kiosk UI it serves)
 *    or one configured in `api.allowedOrigins` (a hospital's HIS pages). Anything else is 403.
 * 3. Client: a request from an allowed browser origin is accepted as is (a page cannot forge its
 *    Origin, and existing HIS pages cannot carry a token); any other client must present the
 *    bearer token from the token file.
 *
 * A browser's same-origin GET carries no Origin header; it does carry `Sec-Fetch-Site:
 * same-origin`, which after the Host check can only come from the agent's own pages.
 */

export type ClientKind = 'browser' | 'token' | 'anonymous';

export type AccessDecision =
  | { allowed: true; client: ClientKind; origin: string | undefined }
  | { allowed: false; status: 401 | 403; code: AccessDeniedCode; message: string };

export type { AccessDeniedCode };

export interface AccessPolicyOptions {
  /** Bound address and port; read at each check because the port is known only after listen (port 0 in tests). */
  address: () => { host: string; port: number };
  allowedOrigins: readonly string[];
  allowedHosts: readonly string[];
  token: string;
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function hostForUrl(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

/** Extracts the token from `Authorization: Bearer …`. */
export function bearerToken(headers: IncomingHttpHeaders): string | undefined {
  const value = header(headers, 'authorization');
  const match = value ? /^Bearer\s+(\S+)\s*$/i.exec(value) : null;
  return match?.[1];
}

export class AccessPolicy {
  readonly #options: AccessPolicyOptions;

  constructor(options: AccessPolicyOptions) {
    this.#options = options;
  }

  /** The Host header values that name this agent. */
  allowedHostValues(): Set<string> {
    const { host, port } = this.#options.address();
    const names = new Set(['127.0.0.1', 'localhost', '[::1]', hostForUrl(host)]);
    const values = new Set<string>();
    for (const name of names) {
      values.add(`${name}:${port}`.toLowerCase());
      if (port === 80) values.add(name.toLowerCase());
    }
    for (const extra of this.#options.allowedHosts) values.add(extra.toLowerCase());
    return values;
  }

  /** The agent's own origins: the kiosk UI it serves, under any of its host names. */
  ownOrigins(): Set<string> {
    const out = new Set<string>();
    for (const value of this.allowedHostValues()) out.add(`http://${value}`);
    return out;
  }

  isOwnOrigin(origin: string): boolean {
    return this.ownOrigins().has(origin.toLowerCase());
  }

  /** An origin other than the agent's own that the configuration allows (it gets CORS headers). */
  isAllowedCrossOrigin(origin: string): boolean {
    return this.#options.allowedOrigins.includes(origin);
  }

  isAllowedOrigin(origin: string): boolean {
    return this.isOwnOrigin(origin) || this.isAllowedCrossOrigin(origin);
  }

  /**
   * Decides one request. `requireClient` false is for resources that only need the Host and
   * Origin checks (the kiosk UI's static files, `/healthz`).
   */
  check(
    headers: IncomingHttpHeaders,
    options: { requireClient: boolean; handshakeToken?: string | undefined },
  ): AccessDecision {
    const host = header(headers, 'host')?.toLowerCase();
    if (!host || !this.allowedHostValues().has(host)) {
      return {
        allowed: false,
        status: 403,
        code: 'HOST_NOT_ALLOWED',
        message: 'the Host header does not name this agent',
      };
    }
    const origin = header(headers, 'origin');
    // `null` is what sandboxed frames and file:// pages send: never one of ours.
    if (origin !== undefined && !this.isAllowedOrigin(origin)) {
      return {
        allowed: false,
        status: 403,
        code: 'ORIGIN_NOT_ALLOWED',
        message: `origin ${origin} is not allowed to use this agent`,
      };
    }
    const presented = bearerToken(headers) ?? options.handshakeToken;
    if (presented !== undefined) {
      if (tokenMatches(this.#options.token, presented)) return { allowed: true, client: 'token', origin };
      return { allowed: false, status: 401, code: 'TOKEN_INVALID', message: 'the bearer token is not valid' };
    }
    if (origin !== undefined) return { allowed: true, client: 'browser', origin };
    if (header(headers, 'sec-fetch-site') === 'same-origin')
      return { allowed: true, client: 'browser', origin };
    if (!options.requireClient) return { allowed: true, client: 'anonymous', origin };
    return {
      allowed: false,
      status: 401,
      code: 'TOKEN_REQUIRED',
      message: 'a bearer token is required (see the api.tokenFile setting)',
    };
  }
}
