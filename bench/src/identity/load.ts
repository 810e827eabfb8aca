import { Agent, request } from 'node:https';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';

/** One server to load: where, with which client certificate, and what each answer must contain. */
export interface Target {
  url: string;
  keyPem: string;
  certPem: string;
  caPem: string;
  /** Request bodies, sent in turn (JSON text, serialised once up front). */
  bodies: readonly string[];
  /** A substring every answer must contain (e.g. `"valid":true`), checked on every request. */
  expect: string;
}

export interface LoadResult {
  /** Latencies of the measured requests, ms. */
  latencies: number[];
  /** Requests completed per second in the measured window. */
  rate: number;
  errors: number;
  /** Open loop only: requests not sent because `maxOutstanding` were already waiting. */
  dropped: number;
}

const PATH = '/v1/identity/check';

/** A keep-alive client over mutual TLS with at most `sockets` connections: bounded concurrency. */
export function clientAgent(target: Target, sockets: number): Agent {
  return new Agent({
    keepAlive: true,
    maxSockets: sockets,
    maxFreeSockets: sockets,
    key: target.keyPem,
    cert: target.certPem,
    ca: target.caPem,
  });
}

/** One POST of `body` to the identity check: the answer's status and text, or undefined on failure. */
function post(
  agent: Agent,
  target: Target,
  body: string,
): Promise<{ status: number; body: string } | undefined> {
  return new Promise((resolve) => {
    const req = request(
      new URL(PATH, target.url),
      {
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        let data = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          data += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: data }));
        res.on('error', () => resolve(undefined));
      },
    );
    req.on('error', () => resolve(undefined));
    req.setTimeout(30_000, () => req.destroy());
    req.end(body);
  });
}

/** One measured request: whether it was answered 200 with what the target expects. */
async function send(agent: Agent, target: Target, body: string): Promise<boolean> {
  const answer = await post(agent, target, body);
  return answer?.status === 200 && answer.body.includes(target.expect);
}

/** One request, returning the answer text: to capture a real answer for the baseline server. */
export async function fetchOnce(target: Target): Promise<{ status: number; body: string }> {
  const agent = clientAgent(target, 1);
  try {
    const answer = await post(agent, target, target.bodies[0]!);
    if (!answer) throw new Error(`no answer from ${target.url}${PATH}`);
    return answer;
  } finally {
    agent.destroy();
  }
}

/**
 * Closed loop: `concurrency` requests in flight at all times over as many keep-alive connections,
 * for `warmupMs` unmeasured and then `durationMs` measured (or until `maxRequests`). The rate it
 * reaches is the server's peak for that concurrency.
 */
export async function closedLoop(
  target: Target,
  options: { concurrency: number; warmupMs: number; durationMs: number; maxRequests: number },
): Promise<LoadResult> {
  const agent = clientAgent(target, options.concurrency);
  const start = performance.now();
  const measureFrom = start + options.warmupMs;
  const end = measureFrom + options.durationMs;
  const latencies: number[] = [];
  let errors = 0;
  let next = 0;
  let sent = 0;
  const worker = async () => {
    while (performance.now() < end && sent < options.maxRequests) {
      const body = target.bodies[next++ % target.bodies.length]!;
      const t0 = performance.now();
      if (t0 >= measureFrom) sent++;
      const ok = await send(agent, target, body);
      const t1 = performance.now();
      if (t0 >= measureFrom && t1 <= end) {
        if (ok) latencies.push(t1 - t0);
        else errors++;
      } else if (!ok) errors++;
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  const measuredMs = Math.min(end, performance.now()) - measureFrom;
  agent.destroy();
  return { latencies, rate: latencies.length / (measuredMs / 1000), errors, dropped: 0 };
}

/**
 * Open loop: requests leave at a fixed rate whether or not earlier ones have come back, and each
 * latency counts from the moment its request was due, so a stalled server cannot hide its stall
 * by slowing the generator down (no coordinated omission). At most `maxOutstanding` requests wait
 * at once; beyond that a request is dropped and counted.
 */
export async function openLoop(
  target: Target,
  options: { rate: number; warmupMs: number; durationMs: number; maxOutstanding: number },
): Promise<LoadResult> {
  const agent = clientAgent(target, options.maxOutstanding);
  const interval = 1000 / options.rate;
  const start = performance.now();
  const measureFrom = start + options.warmupMs;
  const end = measureFrom + options.durationMs;
  const latencies: number[] = [];
  const pending = new Set<Promise<void>>();
  let errors = 0;
  let dropped = 0;
  let i = 0;
  for (;;) {
    const now = performance.now();
    for (let due = start + i * interval; due <= now && due < end; due = start + ++i * interval) {
      const measured = due >= measureFrom;
      if (pending.size >= options.maxOutstanding) {
        if (measured) dropped++;
        continue;
      }
      const body = target.bodies[i % target.bodies.length]!;
      const p = send(agent, target, body).then((ok) => {
        pending.delete(p);
        if (!measured) return;
        if (ok) latencies.push(performance.now() - due);
        else errors++;
      });
      pending.add(p);
    }
    if (start + i * interval >= end) break;
    await sleep(Math.max(0, Math.min(1, start + i * interval - performance.now())));
  }
  await Promise.race([Promise.all(pending), sleep(30_000)]);
  agent.destroy();
  return { latencies, rate: latencies.length / (options.durationMs / 1000), errors, dropped };
}
