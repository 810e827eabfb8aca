import { Counter, collectDefaultMetrics, Gauge, Registry } from 'prom-client';

/** The agent's Prometheus metrics, in a registry of its own so tests and several agents never share counters. */
export class AgentMetrics {
  readonly registry = new Registry();

  readonly httpRequests = new Counter({
    name: 'sscard_agent_http_requests_total',
    help: 'HTTP requests answered by the local API, by route and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  });

  readonly accessDenied = new Counter({
    name: 'sscard_agent_access_denied_total',
    help: 'Requests and connections refused by the Host, Origin or token checks',
    labelNames: ['transport', 'reason'] as const,
    registers: [this.registry],
  });

  readonly cardReads = new Counter({
    name: 'sscard_agent_card_reads_total',
    help: 'Card reads through the local API, by interface and ministry return code',
    labelNames: ['interface', 'code'] as const,
    registers: [this.registry],
  });

  readonly pinEntries = new Counter({
    name: 'sscard_agent_pin_entries_total',
    help: 'PIN verifications and changes, by operation and outcome code',
    labelNames: ['operation', 'code'] as const,
    registers: [this.registry],
  });

  readonly clients = new Gauge({
    name: 'sscard_agent_connected_clients',
    help: 'Connected socket.io and ministry WebSocket clients',
    labelNames: ['transport'] as const,
    registers: [this.registry],
  });

  readonly readers = new Gauge({
    name: 'sscard_agent_readers',
    help: 'Readers known to the agent, and how many hold a card',
    labelNames: ['state'] as const,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'sscard_agent_' });
  }
}
