import { describe, expect, it } from 'vitest';
import { isConnectionError, type PoolStats, type QueryListener, type QueryOutcome } from '../db/database.js';
import { Metrics, routeLabel } from './metrics.js';

describe('routeLabel', () => {
  it('names route patterns, not ids', () => {
    expect(routeLabel('/api/movie/:id')).toBe('/api/movie/{id}');
    expect(routeLabel('/ping')).toBe('/ping');
    expect(routeLabel(undefined)).toBe('unmatched');
  });
});

describe('isConnectionError', () => {
  it('tells unreachable servers from statement errors', () => {
    expect(isConnectionError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }))).toBe(true);
    expect(isConnectionError(new Error('Connection terminated due to connection timeout'))).toBe(true);
    // a wait for a busy pool's connection says nothing about the database
    expect(isConnectionError(new Error('timeout exceeded when trying to connect'))).toBe(false);
    expect(isConnectionError(Object.assign(new Error('the database system is starting up'), { code: '57P03' }))).toBe(true);
    expect(isConnectionError(Object.assign(new Error('duplicate key'), { code: '23505' }))).toBe(false);
    expect(isConnectionError('nope')).toBe(false);
  });
});

/** Pool stats a test sets by hand, and a way to report queries as the Database does. */
function fakeDatabase() {
  const listeners: QueryListener[] = [];
  const stats: PoolStats = {
    host: '127.0.0.1:5432',
    total: 3,
    idle: 2,
    waiting: 0,
    max: 16,
    failovers: 0,
    up: false,
    queries: { subscribe: (l) => void listeners.push(l) },
  };
  return { stats, report: (outcome: QueryOutcome, seconds: number) => listeners.forEach((l) => l(outcome, seconds)) };
}

/** The value of the one sample line of `name` whose labels include every `labels` pair; null when none. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | null {
  for (const line of text.split('\n')) {
    const m = /^([a-z_]+)(?:\{([^}]*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((p) => [p[1], p[2]]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) return Number(m[3]);
  }
  return null;
}

describe('Metrics: the database', () => {
  it('counts failovers as shs_db_failovers_total, a counter read from the pool stats', async () => {
    const db = fakeDatabase();
    const metrics = new Metrics('i-1', () => db.stats);
    let text = await metrics.text();
    expect(text).toContain('# TYPE shs_db_failovers_total counter');
    expect(sample(text, 'shs_db_failovers_total', { instance_id: 'i-1' })).toBe(0);
    db.stats.failovers = 2;
    text = await metrics.text();
    expect(sample(text, 'shs_db_failovers_total', { instance_id: 'i-1' })).toBe(2);
    expect(text).not.toMatch(/^shs_db_failovers[ {]/m);
  });

  it('shs_db_up is 1 only while the last attempt to reach the database worked', async () => {
    const db = fakeDatabase();
    const metrics = new Metrics('i-1', () => db.stats);
    expect(await metrics.text()).toContain('# TYPE shs_db_up gauge');
    expect(sample(await metrics.text(), 'shs_db_up', { instance_id: 'i-1' })).toBe(0);
    db.stats.up = true;
    expect(sample(await metrics.text(), 'shs_db_up', { instance_id: 'i-1' })).toBe(1);
    db.stats.up = false;
    expect(sample(await metrics.text(), 'shs_db_up', { instance_id: 'i-1' })).toBe(0);
  });

  it('times queries in shs_db_query_duration_seconds by outcome, both outcomes there from the start', async () => {
    const db = fakeDatabase();
    const metrics = new Metrics('i-1', () => db.stats);
    let text = await metrics.text();
    expect(text).toContain('# TYPE shs_db_query_duration_seconds histogram');
    for (const outcome of ['ok', 'error']) {
      expect(sample(text, 'shs_db_query_duration_seconds_count', { outcome, instance_id: 'i-1' }), outcome).toBe(0);
      expect(sample(text, 'shs_db_query_duration_seconds_bucket', { outcome, le: '+Inf' }), outcome).toBe(0);
    }
    db.report('ok', 0.003);
    db.report('ok', 0.0005);
    db.report('error', 2);
    text = await metrics.text();
    const bucket = (outcome: string, le: string) => sample(text, 'shs_db_query_duration_seconds_bucket', { outcome, le });
    expect([bucket('ok', '0.001'), bucket('ok', '0.0025'), bucket('ok', '0.005'), bucket('ok', '12'), bucket('ok', '+Inf')]).toEqual([1, 1, 2, 2, 2]);
    expect([bucket('error', '1.5'), bucket('error', '3'), bucket('error', '+Inf')]).toEqual([0, 1, 1]);
    expect(sample(text, 'shs_db_query_duration_seconds_count', { outcome: 'error' })).toBe(1);
    const les = [...text.matchAll(/^shs_db_query_duration_seconds_bucket\{([^}]*)\}/gm)].map((m) => /le="([^"]+)"/.exec(m[1]!)![1]);
    expect([...new Set(les)]).toEqual(['0.001', '0.0025', '0.005', '0.01', '0.025', '0.05', '0.1', '0.2', '0.4', '0.8', '1.5', '3', '6', '12', '+Inf']);
    // the label set stays bounded: outcome, and the instance on every series
    for (const m of text.matchAll(/^shs_db_query_duration_seconds_\w+\{([^}]*)\}/gm))
      expect(m[1]!.replace(/le="[^"]*",?/, '').split(',').map((p) => p.split('=')[0]).sort()).toEqual(['instance_id', 'outcome']);
  });

  it('keeps the pool gauges, the request metrics and the process metrics under their names', async () => {
    const db = fakeDatabase();
    const metrics = new Metrics('i-1', () => db.stats);
    metrics.observe('GET', '/ping', 200, 0.002);
    const text = await metrics.text();
    expect(sample(text, 'shs_db_pool_connections')).toBe(3);
    expect(sample(text, 'shs_db_pool_idle_connections')).toBe(2);
    expect(sample(text, 'shs_db_pool_waiting_requests')).toBe(0);
    expect(sample(text, 'shs_db_pool_max_connections')).toBe(16);
    expect(sample(text, 'shs_http_requests_total', { method: 'GET', route: '/ping', status: '200' })).toBe(1);
    expect(sample(text, 'shs_http_request_duration_seconds_count', { method: 'GET', route: '/ping', status: '200' })).toBe(1);
    expect(text).toContain('# TYPE shs_process_start_time_seconds gauge');
  });
});
