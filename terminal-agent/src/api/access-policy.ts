import type { AccessDeniedCode } from '@sscard/agent-protocol';
import type { IncomingHttpHeaders } from 'node:http';
import { isIP } from 'node:net';
import type { AccessRule } from './route-table.js';
import { tokenMatches } from './token.js';

/**
 * Who may talk to the agent. A loopback port is reachable by every web page the machine's browser
 * opens, so these checks run on every HTTP request and every WebSocket upgrade, in this order:
 *
 * 1. Host: the Host header must name the agent (its bind address, localhost, or a configured
 *    name). This defeats DNS rebinding, where a hostile page's own name resolves to 127.0.0.1
 *    and the browser therefore treats the agent as same-origin with the hostile page.
 * 2. Origin: when a browser sends an Origin, it must be the agent's own (the kiosk UI it serves)
 *    or one configured in `api.allowedOrigins` (a hospital's HIS pages). Anything else is 403.
 * 3. Client, as the matched route's rule in `route-table.ts` asks: a request from an allowed
 *    browser origin is accepted as is (a page cannot forge its Origin, and existing HIS pages
 *    cannot carry a token); any other client must present the bearer token from the token file.
 *
 * A browser's same-origin GET carries no Origin header; it does carry `Sec-Fetch-Site:
 * same-origin`, which after the Host check can only come from the agent's own pages.
 *
 * Origin and Sec-Fetch-Site mean something only when a browser on this machine sends them: a
 * program elsewhere on the network writes whatever headers it likes. A peer that is not on the
 * loopback interface therefore needs the token for everything but `open` routes.
 */

/**
 * `legacy-his`: a program on this machine without Origin or token, admitted to the ministry
 * interface only because `api.legacyHisClients` is on.
 */
export type ClientKind = 'browser' | 'token' | 'legacy-his' | 'anonymous';

export type AccessDecision =
  | { allowed: true; client: ClientKind; origin: string | undefined }
  | { allowed: false; status: 401 | 403; code: AccessDeniedCode; message: string };

export type { AccessDeniedCode };

/** What the policy looks at: the headers and the peer's address as the socket reports it. */
export interface AccessRequest {
  headers: IncomingHttpHeaders;
  remoteAddress: string | undefined;
}

export interface AccessPolicyOptions {
  /** Bound address and port; read at each check because the port is known only after listen (port 0 in tests). */
  address: () => { host: string; port: number };
  allowedOrigins: readonly string[];
  allowedHosts: readonly string[];
  token: string;
  /** `api.legacyHisClients`: loopback programs without an Origin may use the ministry interface. */
  legacyHisClients?: boolean;
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function hostForUrl(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

/** 127.0.0.0/8 and ::1, also as IPv4-mapped IPv6 addresses (a dual-stack socket's view of 127.0.0.1). */
export function isLoopbackAddress(address: string | undefined): boolean {
  if (!address) return false;
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  if (isIP(v4) === 4) return v4.startsWith('127.');
  return address === '::1';
}

/** Any `Sec-Fetch-*` header: sent by every current browser, never by HIS desktop programs. */
function sentByBrowser(headers: IncomingHttpHeaders): boolean {
  return Object.keys(headers).some((name) => name.startsWith('sec-fetch-'));
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

  get legacyHisClients(): boolean {
    return this.#options.legacyHisClients === true;
  }

  /**
   * Decides one request against the rule of the route it matched. `handshakeToken` is the token a
   * socket.io client gave in its handshake's `auth`.
   */
  check(request: AccessRequest, rule: AccessRule, handshakeToken?: string): AccessDecision {
    const { headers } = request;
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
    const presented = bearerToken(headers) ?? handshakeToken;
    if (presented !== undefined) {
      if (tokenMatches(this.#options.token, presented)) return { allowed: true, client: 'token', origin };
      return { allowed: false, status: 401, code: 'TOKEN_INVALID', message: 'the bearer token is not valid' };
    }
    const loopback = isLoopbackAddress(request.remoteAddress);
    const browser = loopback && (origin !== undefined || header(headers, 'sec-fetch-site') === 'same-origin');
    if (rule.access === 'open') return { allowed: true, client: browser ? 'browser' : 'anonymous', origin };
    if (!loopback) {
      return {
        allowed: false,
        status: 401,
        code: 'TOKEN_REQUIRED',
        message: 'a client on another machine needs the bearer token (see the api.tokenFile setting)',
      };
    }
    if (rule.access === 'token') {
      return browser
        ? {
            allowed: false,
            status: 403,
            code: 'TOKEN_CLIENT_ONLY',
            message: 'this is for clients with the API token, not for web pages',
          }
        : {
            allowed: false,
            status: 401,
            code: 'TOKEN_REQUIRED',
            message: 'a bearer token is required (see the api.tokenFile setting)',
          };
    }
    if (browser) return { allowed: true, client: 'browser', origin };
    if (rule.legacyHis && this.legacyHisClients && !sentByBrowser(headers)) {
      return { allowed: true, client: 'legacy-his', origin };
    }
    return {
      allowed: false,
      status: 401,
      code: 'TOKEN_REQUIRED',
      message: 'a bearer token is required (see the api.tokenFile setting)',
    };
  }
}
