// Prometheus metrics of one instance: requests and their duration per route pattern, the database pool, the
// time of each database query and whether the database was reachable at the last attempt.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { PoolStats } from '../db/database.js';

export const UNMATCHED_ROUTE = 'unmatched';

/** '/api/movie/:id' -> '/api/movie/{id}': one series per route, never one per id. */
export function routeLabel(pattern: string | undefined): string {
  if (!pattern) return UNMATCHED_ROUTE;
  return pattern.replace(/:([A-Za-z_][A-Za-z0-9_]*)/g, '{$1}');
}

export class Metrics {
  readonly registry = new Registry();
  private readonly requests: Counter<'method' | 'route' | 'status'>;
  private readonly duration: Histogram<'method' | 'route' | 'status'>;
  private readonly queries: Histogram<'outcome'>;

  constructor(instance: string, pool: () => PoolStats) {
    this.registry.setDefaultLabels({ instance_id: instance });
    collectDefaultMetrics({ register: this.registry, prefix: 'shs_' });
    this.requests = new Counter({
      name: 'shs_http_requests_total',
      help: 'HTTP requests answered, by route pattern, method and status',
      labelNames: ['method', 'route', 'status'],
      registers: [this.registry],
    });
    this.duration = new Histogram({
      name: 'shs_http_request_duration_seconds',
      help: 'Time from request to response, by route pattern, method and status',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.4, 0.8, 1.5, 3, 6, 12],
      registers: [this.registry],
    });
    const gauge = (name: string, help: string, read: (s: PoolStats) => number) =>
      new Gauge({
        name,
        help,
        registers: [this.registry],
        collect() {
          this.set(read(pool()));
        },
      });
    gauge('shs_db_pool_connections', 'Open connections to the active database host', (s) => s.total);
    gauge('shs_db_pool_idle_connections', 'Idle connections to the active database host', (s) => s.idle);
    gauge('shs_db_pool_waiting_requests', 'Queries waiting for a free connection', (s) => s.waiting);
    gauge('shs_db_pool_max_connections', 'Configured pool size', (s) => s.max);
    gauge('shs_db_up', '1 when the last attempt to reach the database (a query or the /ping check) succeeded, 0 after a connection or authentication failure', (s) =>
      s.up ? 1 : 0,
    );
    new Counter({
      name: 'shs_db_failovers_total',
      help: 'Times the service moved to another database host',
      registers: [this.registry],
      collect() {
        this.reset();
        this.inc(pool().failovers);
      },
    });
    this.queries = new Histogram({
      name: 'shs_db_query_duration_seconds',
      help: 'Time of each database query or transaction, waiting for a pool connection included, by outcome (ok, error)',
      labelNames: ['outcome'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.4, 0.8, 1.5, 3, 6, 12],
      registers: [this.registry],
    });
    for (const outcome of ['ok', 'error'] as const) this.queries.zero({ outcome });
    // The Database tells each query's time as it ends; its stats carry where to subscribe.
    pool().queries.subscribe((outcome, seconds) => this.queries.observe({ outcome }, seconds));
  }

  /** Gauges of the heavy requests (lists, /db_dummy) in flight and their limit (see server.ts heavy()). */
  trackHeavy(read: () => { inFlight: number; limit: number }): void {
    new Gauge({
      name: 'shs_http_heavy_requests_in_flight',
      help: 'Heavy requests (the lists, /db_dummy) being served; at shs_http_heavy_requests_limit more are refused with 503',
      registers: [this.registry],
      collect() {
        this.set(read().inFlight);
      },
    });
    new Gauge({
      name: 'shs_http_heavy_requests_limit',
      help: 'Heavy requests this instance serves at once (server.heavy_concurrency)',
      registers: [this.registry],
      collect() {
        this.set(read().limit);
      },
    });
  }

  observe(method: string, route: string, status: number, seconds: number): void {
    const labels = { method, route, status: String(status) };
    this.requests.inc(labels);
    this.duration.observe(labels, seconds);
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
