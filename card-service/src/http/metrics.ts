import client from 'prom-client';

/** Prometheus metrics of one service instance (its own registry, so tests can run several). */
export interface HttpMetrics {
  registry: client.Registry;
  observe(method: string, route: string, status: number, seconds: number): void;
}

export function createMetrics(): HttpMetrics {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry, prefix: 'sscard_service_' });
  const requests = new client.Counter({
    name: 'sscard_service_http_requests_total',
    help: 'HTTP requests by method, route template and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  });
  const duration = new client.Histogram({
    name: 'sscard_service_http_request_duration_seconds',
    help: 'HTTP request duration by method, route template and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  // The labelled series of each method, route and status, looked up once: prom-client would
  // otherwise hash the label set on every increment and every observation.
  const series = new Map<string, { count(): void; time(seconds: number): void }>();
  return {
    registry,
    observe(method, route, status, seconds) {
      const key = `${method} ${status} ${route}`;
      let s = series.get(key);
      if (s === undefined) {
        const labels = { method, route, status: String(status) };
        const counter = requests.labels(labels);
        const histogram = duration.labels(labels);
        s = { count: () => counter.inc(), time: (v) => histogram.observe(v) };
        series.set(key, s);
      }
      s.count();
      s.time(seconds);
    },
  };
}
