import { readApiToken } from '../api/token.js';
import type { ClientConfig } from '../config/schema.js';
import { CliError, EXIT } from './exit-codes.js';

/** The running agent's local API, as the command-line client uses it. */
export interface AgentClient {
  base: string;
  get(path: string): Promise<unknown>;
  post(path: string, body: unknown): Promise<unknown>;
}

/** Where the agent's local API answers; a wildcard listen address is reached on loopback. */
export function agentBase(config: ClientConfig): string {
  const host = config.api.host === '0.0.0.0' || config.api.host === '::' ? '127.0.0.1' : config.api.host;
  return `http://${host.includes(':') ? `[${host}]` : host}:${config.api.port}`;
}

/** A client of the running agent, or undefined when none answers on the configured port. */
export async function agentClient(config: ClientConfig): Promise<AgentClient | undefined> {
  const base = agentBase(config);
  try {
    await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(1500) });
  } catch {
    return undefined;
  }
  const token = await readApiToken(config.api.tokenFile!);
  if (!token)
    throw new CliError(
      EXIT.AGENT,
      `an agent answers at ${base} but there is no token in ${config.api.tokenFile}`,
    );
  const call = async (method: string, path: string, body?: unknown): Promise<unknown> => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const json = (await res.json()) as Record<string, unknown>;
    if (!res.ok) {
      const exit = res.status === 401 || res.status === 403 || res.status >= 500 ? EXIT.AGENT : EXIT.CARD;
      throw new CliError(exit, `${String(json.code)}: ${String(json.message)}`);
    }
    return json;
  };
  return { base, get: (path) => call('GET', path), post: (path, body) => call('POST', path, body) };
}
