import { startNodeServer } from '../lib/children.js';
import type { BareServerInput } from './bare-server.js';
import type { Target } from './load.js';
import type { PreparedRegistry } from './registry.js';

export interface RunningTarget {
  name: string;
  target: Target;
  stop(): Promise<void>;
}

/** The answer every identity check of a valid card contains. */
export const VALID = '"valid":true';

/** What the load client needs for a server: its address and the terminal's TLS identity and requests. */
function clientTarget(url: string, registry: PreparedRegistry): RunningTarget['target'] {
  return {
    url,
    keyPem: registry.tls.keyPem,
    certPem: registry.tls.certPem,
    caPem: registry.tls.caPem,
    bodies: registry.bodies.map((b) => JSON.stringify(b)),
    expect: VALID,
  };
}

/** card-service on a prepared registry, in its own process. */
export async function startServiceTarget(name: string, registry: PreparedRegistry): Promise<RunningTarget> {
  const server = await startNodeServer<{ url: string }>('identity/service-main.js', registry.config, {
    timeoutMs: 120_000,
  });
  return {
    name,
    target: clientTarget(server.ready.url, registry),
    stop: server.stop,
  };
}

/** The bare `node:https` server with the same TLS material as `registry`'s service. */
export async function startBareTarget(
  name: string,
  registry: PreparedRegistry,
  answer: string,
): Promise<RunningTarget> {
  const input: BareServerInput = {
    keyPem: registry.tls.serverKeyPem,
    certPem: registry.tls.serverCertPem,
    caPem: registry.tls.caPem,
    body: answer,
  };
  const server = await startNodeServer<{ url: string }>('identity/bare-server.js', input);
  return {
    name,
    target: clientTarget(server.ready.url, registry),
    stop: server.stop,
  };
}
