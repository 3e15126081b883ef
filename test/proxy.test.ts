// The proxy's contract, against the real local stack: allowlist, caching of /long_dummy only, no unsafe
// replays, TLS and HTTP/2, request ids, limits, metrics; and the rendered config passes `nginx -t`.
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { connect as http2Connect } from 'node:http2';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detectFeatures, testConfig } from '../proxy/src/nginx.js';
import { PROXY_DEFAULTS, render } from '../proxy/src/render.js';
import { eventually, ROOT } from './support/shs.js';
import { startStack, type TestStack } from './support/stack.js';

let stack: TestStack;
beforeAll(async () => {
  stack = await startStack({ instances: 2, faults: true });
});
afterAll(async () => stack?.stop());

const get = (path: string, init?: RequestInit) => fetch(`${stack.http}${path}`, init);

/** Requests each instance has answered for a route pattern, from its own /metrics. */
async function instanceCount(route: string, method = 'GET'): Promise<number> {
  let total = 0;
  for (const port of stack.instancePorts) {
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    const re = new RegExp(`shs_http_requests_total\\{method="${method}",route="${route.replace(/[{}/]/g, '\\$&')}",status="\\d+",[^}]*\\} (\\d+)`, 'g');
    for (const m of text.matchAll(re)) total += Number(m[1]);
  }
  return total;
}

function httpsGet(path: string, opts: { minVersion?: 'TLSv1.2' | 'TLSv1.3'; maxVersion?: 'TLSv1.2' | 'TLSv1.3' } = {}) {
  return new Promise<{ status: number; body: string; protocol: string; headers: Record<string, unknown> }>((resolve, reject) => {
    const req = httpsRequest(`${stack.https}${path}`, { ca: readFileSync(stack.caFile), ...opts }, (res) => {
      const protocol = (res.socket as TLSSocket).getProtocol() ?? '';
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, protocol, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('allowlist', () => {
  it('answers unknown paths and methods itself, without touching an instance', async () => {
    const before = await instanceCount('unmatched');
    const unknown = await get('/admin');
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ error: 'not_found' });
    for (const internal of ['/metrics', '/_fault']) expect((await get(internal)).status, internal).toBe(404);
    const wrong = await get('/api/movie', { method: 'DELETE' });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('GET, HEAD');
    expect(await wrong.json()).toMatchObject({ error: 'method_not_allowed' });
    expect(await instanceCount('unmatched')).toBe(before);
    expect(await instanceCount('/metrics')).toBeGreaterThanOrEqual(0);
  });

  it('limits bodies, hides the version and passes request ids on', async () => {
    const big = await get('/api/session', { method: 'POST', headers: { 'content-type': 'application/json' }, body: 'x'.repeat(20_000) });
    expect(big.status).toBe(413);
    const r = await get('/api/movie/1', { headers: { 'x-request-id': 'trace-42' } });
    expect(r.status).toBe(200);
    expect(r.headers.get('x-request-id')).toBe('trace-42');
    expect(r.headers.get('server') ?? '').not.toMatch(/\d/);
    const generated = await get('/api/movie/1', { headers: { 'x-request-id': 'bad id!' } });
    expect(generated.headers.get('x-request-id')).toMatch(/^[0-9a-f]{32}$/);
  });
});

describe('cache', () => {
  it('serves /long_dummy from cache, fresh within 60 s', async () => {
    const first = await get('/long_dummy');
    const a = (await first.json()) as { produced_at: string };
    const second = await get('/long_dummy');
    expect(second.headers.get('x-cache-status')).toBe('HIT');
    const b = (await second.json()) as { produced_at: string };
    expect(b.produced_at).toBe(a.produced_at);
    expect(Date.now() - Date.parse(b.produced_at)).toBeLessThan(60_000);
    expect(await stack.proxyMetrics()).toMatch(/shs_proxy_cache_requests_total\{result="HIT"\} [1-9]/);
  });

  it('caches nothing else: answers that must change do change', async () => {
    const op = async () => ((await (await get('/operation', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"operation":1}' })).json()) as { time: string }).time;
    const t1 = await op();
    await new Promise((r) => setTimeout(r, 5));
    expect(await op()).not.toBe(t1);
    const created = await get('/api/session', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ start_time: '2024-01-01T00:00:00Z', customer_id: 1, movie_id: 1 }),
    });
    const id = ((await created.json()) as { id: number }).id;
    const read = await get(`/api/session/${id}`);
    expect(read.status).toBe(200);
    expect(read.headers.get('x-cache-status')).toBeNull();
    expect((await get(`/api/session/${id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await get(`/api/session/${id}`)).status).toBe(404);
    // every route but /long_dummy bypasses the cache machinery entirely
    const metrics = await stack.proxyMetrics();
    const lookups = [...metrics.matchAll(/shs_proxy_cache_requests_total\{result="\w+"\} (\d+)/g)].reduce((n, m) => n + Number(m[1]), 0);
    const longDummy = [...metrics.matchAll(/shs_proxy_requests_total\{route="\/long_dummy",method="GET",status="\d+"\} (\d+)/g)].reduce((n, m) => n + Number(m[1]), 0);
    expect(lookups).toBe(longDummy);
  });
});

describe('writes are never replayed once sent', () => {
  it('a DELETE that reached a slow instance waits for it (writes get 5 s), and is never sent to the other', async () => {
    const created = await get('/api/session', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ start_time: '2024-01-01T00:00:00Z', customer_id: 2, movie_id: 2 }),
    });
    const id = ((await created.json()) as { id: number }).id;
    const before = await instanceCount('/api/session/{id}', 'DELETE');
    const attempts = async () =>
      [...(await stack.proxyMetrics()).matchAll(/shs_proxy_upstream_responses_total\{peer="[^"]+",status="\d+"\} (\d+)/g)].reduce((n, m) => n + Number(m[1]), 0);
    const attemptsBefore = await attempts();
    await stack.fault(0, 'slow');
    await stack.fault(1, 'slow');
    try {
      const r = await get(`/api/session/${id}`, { method: 'DELETE' });
      expect(r.status).toBe(204); // the 2 s slow fault is within the writes' read timeout
      expect(await attempts()).toBe(attemptsBefore + 1); // one attempt, no replay
    } finally {
      await stack.fault(0, 'healthy');
      await stack.fault(1, 'healthy');
    }
    await new Promise((r) => setTimeout(r, 2500)); // the slow instance finishes its request
    expect(await instanceCount('/api/session/{id}', 'DELETE')).toBe(before + 1);
    expect((await get(`/api/session/${id}`)).status).toBe(404); // it was deleted exactly once
  });

  it('an idempotent GET that reached a hung instance is retried on the other', async () => {
    await stack.fault(0, 'slow');
    try {
      for (let i = 0; i < 4; i++) expect((await get(`/api/movie/${i + 1}`)).status).toBe(200);
    } finally {
      await stack.fault(0, 'healthy');
    }
  });
});

describe('TLS and protocols', () => {
  it('serves HTTPS with TLS 1.2 and 1.3, and plain HTTP without a redirect', async () => {
    const v13 = await httpsGet('/ping', { minVersion: 'TLSv1.3' });
    expect([v13.status, v13.body, v13.protocol]).toEqual([200, 'pong', 'TLSv1.3']);
    const v12 = await httpsGet('/ping', { maxVersion: 'TLSv1.2' });
    expect([v12.status, v12.protocol]).toEqual([200, 'TLSv1.2']);
    const plain = await get('/ping', { redirect: 'manual' });
    expect(plain.status).toBe(200);
  });

  it('negotiates HTTP/2', async () => {
    const session = http2Connect(stack.https, { ca: readFileSync(stack.caFile) });
    try {
      const status = await new Promise<number>((resolve, reject) => {
        const req = session.request({ ':path': '/api/movie/1' });
        req.on('response', (h: Record<string, unknown>) => resolve(Number(h[':status'])));
        req.on('error', reject);
        req.end();
      });
      expect(status).toBe(200);
      expect(session.alpnProtocol).toBe('h2');
    } finally {
      session.close();
    }
  });
});

describe('metrics', () => {
  it('counts requests per route pattern, method and status, and reports peer health', async () => {
    await get('/api/customer/3');
    // the fault tests above may have had a peer marked down for a moment
    await eventually(async () => !/shs_proxy_upstream_up\{[^}]*\} 0/.test(await stack.proxyMetrics()));
    const text = await stack.proxyMetrics();
    expect(text).toMatch(/shs_proxy_requests_total\{route="\/api\/customer\/\{id\}",method="GET",status="200"\} \d+/);
    expect(text).toMatch(/shs_proxy_request_duration_seconds_bucket\{route="\/api\/customer\/\{id\}",method="GET",le="\+Inf"\} \d+/);
    for (const port of stack.instancePorts) expect(text).toContain(`shs_proxy_upstream_up{peer="127.0.0.1:${port}"} 1`);
    expect(text).not.toMatch(/route="\/api\/customer\/3"/);
  });
});

describe('configuration', () => {
  it('renders a config that nginx -t accepts, and reports HTTP/3 as the build allows', async () => {
    const features = await detectFeatures();
    const dir = mkdtempSync(join(tmpdir(), 'shs-nginx-t-'));
    mkdirSync(join(dir, 'tmp'));
    const text = render(readFileSync(join(ROOT, 'proxy/nginx.conf.template'), 'utf8'), {
      platform: features.platform,
      peers: ['10.0.0.1:8080', '10.0.0.2:8080'],
      httpListen: '127.0.0.1:18001',
      httpsListen: '127.0.0.1:18002',
      certFile: stack.caFile,
      keyFile: join(stack.stateDir, 'proxy/tls/key.pem'),
      http3: features.http3,
      metricsListen: '127.0.0.1:18003',
      luaDir: join(ROOT, 'proxy/lua'),
      runDir: dir,
      user: null,
      workerProcesses: 'auto',
      ...PROXY_DEFAULTS,
    });
    writeFileSync(join(dir, 'nginx.conf'), text);
    await expect(testConfig(features.binary, join(dir, 'nginx.conf'), dir)).resolves.toContain('test is successful');
    expect(text.includes('quic')).toBe(features.http3);
    // a broken config is refused
    writeFileSync(join(dir, 'broken.conf'), text.replace('proxy_pass http://shs_app;', 'proxy_pass http://nowhere_upstream'));
    await expect(testConfig(features.binary, join(dir, 'broken.conf'), dir)).rejects.toThrow(/nginx -t failed/);
  });
});
