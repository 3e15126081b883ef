// Proof that the Grafana dashboard works: the local stack runs with Prometheus (monitoring/'s rules, the node
// and postgres exporters), traffic goes through the proxy (every endpoint, 5xx answers and retries from a sick
// instance, a refresh of the /long_dummy cache), and then every panel's PromQL is run against that Prometheus:
// each must return series. A typo, a renamed metric or a wrong label in the dashboard fails here.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { PostgresServer } from '../stack/src/postgres.js';
import { stackPaths } from '../stack/src/local.js';
import { ROOT } from './support/shs.js';
import { startStack, type TestStack } from './support/stack.js';

interface Panel {
  id: number;
  type: string;
  title: string;
  datasource?: { type: string; uid: string };
  gridPos?: { h: number; w: number; x: number; y: number };
  targets?: { refId: string; expr: string; datasource?: { uid: string } }[];
}

const dashboard = JSON.parse(readFileSync(join(ROOT, 'monitoring/grafana/dashboards/shs.json'), 'utf8')) as { uid: string; panels: Panel[] };
const datasources = parse(readFileSync(join(ROOT, 'monitoring/grafana/provisioning/datasources/prometheus.yml'), 'utf8')) as { datasources: { uid: string; type: string }[] };

/** Grafana's interval variables, as Grafana would fill them for a short range. */
function substitute(expr: string): string {
  return expr.replaceAll('$__rate_interval', '1m').replaceAll('$__interval', '15s').replaceAll('$__range', '5m');
}

const queries = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, refId: t.refId, expr: t.expr })));

describe('the Grafana dashboard (structure)', () => {
  it('has unique panel ids, a place for every panel, and only the provisioned Prometheus as datasource', () => {
    const ids = dashboard.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    const uid = datasources.datasources.find((d) => d.type === 'prometheus')!.uid;
    for (const p of dashboard.panels) {
      expect(p.gridPos, p.title).toBeDefined();
      if (p.type === 'row' || p.type === 'alertlist') continue;
      expect(p.datasource?.uid, p.title).toBe(uid);
      expect(p.targets?.length, `${p.title} has no query`).toBeGreaterThan(0);
      for (const t of p.targets!) expect(t.datasource?.uid ?? uid, `${p.title} ${t.refId}`).toBe(uid);
    }
    expect(queries.length).toBeGreaterThanOrEqual(30);
  });
});

describe('the Grafana dashboard against a live Prometheus', () => {
  let stack: TestStack;
  const query = async (expr: string) => {
    const r = await fetch(`${stack.prometheus}/api/v1/query?query=${encodeURIComponent(expr)}`);
    const body = (await r.json()) as { status: string; error?: string; data?: { result: unknown[] } };
    return { ok: body.status === 'success', error: body.error ?? '', series: body.data?.result.length ?? 0 };
  };
  const get = (path: string, init?: RequestInit) => fetch(`${stack.http}${path}`, init).then(async (r) => (await r.arrayBuffer(), r.status));

  beforeAll(async () => {
    stack = await startStack({ monitoring: true, faults: true });
    expect(stack.prometheus).not.toBeNull();
  }, 120_000);
  afterAll(async () => {
    await stack?.stop();
  });

  it('every panel query returns series after real traffic', async () => {
    // The cache is filled now and refreshed after its 30 s of freshness, below.
    expect(await get('/long_dummy')).toBe(200);
    const filledAt = Date.now();
    const round = async () => {
      const statuses = await Promise.all([
        get('/'),
        get('/ping'),
        get('/db_dummy'),
        get('/api/movie/1'),
        get('/api/customer/1'),
        get('/api/session/1'),
        get('/api/movie'),
        get('/long_dummy'),
        get('/operation', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"operation": 1}' }),
        get('/api/movie/1', { method: 'HEAD' }),
        get('/api/movie/999999999'),
      ]);
      const created = await fetch(`${stack.http}/api/session`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ start_time: '2021-12-09T16:12:52Z', customer_id: 1, movie_id: 1 }),
      });
      const { id } = (await created.json()) as { id: number };
      statuses.push(created.status, await get(`/api/session/${id}`, { method: 'DELETE' }));
      return statuses;
    };
    for (let i = 0; i < 10; i++) await round();
    // One sick instance: GETs are retried on the other (retries), writes and /operation are not (5xx).
    await stack.fault(0, 'sick');
    const sick = (await Promise.all([round(), round(), round()])).flat();
    await stack.fault(0, 'healthy');
    expect(sick.filter((s) => s >= 500).length, 'a sick instance should cost some 5xx').toBeGreaterThan(0);
    await sleep(Math.max(0, filledAt + 31_000 - Date.now()));
    // Past freshness: served stale while one background request refreshes the entry.
    for (let i = 0; i < 5; i++) {
      await round();
      await sleep(500);
    }

    // Prometheus scrapes and evaluates every 5 s; the SLO rules chain three levels of recording rules.
    const deadline = Date.now() + 60_000;
    let failing: string[] = [];
    for (;;) {
      failing = [];
      for (const q of queries) {
        const r = await query(substitute(q.expr));
        if (!r.ok || r.series === 0) failing.push(`${q.panel} [${q.refId}]: ${r.ok ? 'no series' : r.error} <- ${q.expr}`);
      }
      if (failing.length === 0 || Date.now() > deadline) break;
      await sleep(2000);
    }
    expect(failing, 'panel queries that return nothing').toEqual([]);
  }, 180_000);

  it('pipeline status shows the alerts Prometheus evaluates', async () => {
    const { alertsText } = await import('../cli/src/commands/stack.js');
    // PostgreSQL stopped cleanly (the supervisor leaves a clean stop alone): no instance reaches it (shs_db_up 0)
    // and the exporter cannot (pg_up 0), which SHSDatabaseUnreachable notices (pending first).
    const postgresDir = stackPaths(stack.stateDir).postgres;
    await PostgresServer.attach(postgresDir)!.stop('fast');
    try {
      const deadline = Date.now() + 60_000;
      let text = '';
      while (!/SHSDatabaseUnreachable\s+(pending|firing)/.test(text) && Date.now() < deadline) {
        await get('/api/movie/1').catch(() => 0); // a database request: the instances find it gone
        await sleep(2000);
        text = await alertsText(stack.prometheus!);
      }
      expect(text).toMatch(/SHSDatabaseUnreachable\s+(pending|firing)\s+page/);
    } finally {
      await PostgresServer.start({ dir: postgresDir });
    }
  }, 90_000);
});
