// The proxy's Prometheus metrics that need a controlled origin: bounded method labels, the age of the /long_dummy
// answers and when the cache was filled, and upstream retries. The proxy image's entrypoint (proxy/dist/start.cjs)
// with this machine's nginx + Lua, in front of two loopback origins whose answers the test chooses.
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEntrypoint, type Entrypoint } from './support/proxy-entrypoint.js';
import { eventually } from './support/shs.js';

/** An origin that keeps /ping healthy, answers /long_dummy and /api/movie/1, and fails /api/movie/13 with 503. */
async function origin(): Promise<{ host: string; server: Server; hits: Map<string, number> }> {
  const hits = new Map<string, number>();
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    if (path !== '/ping') hits.set(path, (hits.get(path) ?? 0) + 1);
    const send = (status: number, type: string, body: string) => {
      res.writeHead(status, { 'content-type': type });
      res.end(body);
    };
    if (path === '/ping') return send(200, 'text/plain', 'pong');
    if (path === '/long_dummy') return send(200, 'application/json', JSON.stringify({ produced_at: new Date().toISOString() }));
    if (path === '/api/movie/1') return send(200, 'application/json', '{"id":1}');
    if (path === '/api/movie/13') return send(503, 'application/json', '{"error":"unavailable"}');
    return send(404, 'application/json', '{"error":"not_found"}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { host: `127.0.0.1:${(server.address() as { port: number }).port}`, server, hits };
}

let proxy: Entrypoint | undefined;
let http: string;
let metricsUrl: string;
const origins: Awaited<ReturnType<typeof origin>>[] = [];

beforeAll(async () => {
  origins.push(await origin(), await origin());
  proxy = await startEntrypoint('proxy-metrics', { PROXY_PEERS: origins.map((o) => o.host).join(',') }, false);
  ({ http, metricsUrl } = proxy);
  // both peers count as healthy, so the round robin uses both
  await eventually(async () => (await metrics()).split('\n').filter((l) => /^shs_proxy_upstream_up\{[^}]*\} 1$/.test(l)).length === 2, 20_000);
});

afterAll(async () => {
  await proxy?.stop();
  for (const o of origins) await new Promise((r) => o.server.close(r));
});

const metrics = async () => (await fetch(metricsUrl)).text();

/** The value of one sample line, e.g. sample(text, 'shs_proxy_cache_served_age_seconds_bucket{le="1"}'); null when absent. */
function sample(text: string, series: string): number | null {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? null : Number(line.slice(series.length + 1));
}

describe('method label', () => {
  it('keeps the standard methods and folds invented ones into OTHER', async () => {
    expect((await fetch(`${http}/`, { method: 'FOOBAR' })).status).toBe(405);
    expect((await fetch(`${http}/api/movie`, { method: 'BREW' })).status).toBe(405);
    expect((await fetch(`${http}/api/movie`, { method: 'PUT' })).status).toBe(405);
    const text = await metrics();
    expect(sample(text, 'shs_proxy_requests_total{route="/",method="OTHER",status="405"}')).toBe(1);
    expect(sample(text, 'shs_proxy_requests_total{route="/api/movie",method="OTHER",status="405"}')).toBe(1);
    expect(sample(text, 'shs_proxy_requests_total{route="/api/movie",method="PUT",status="405"}')).toBe(1);
    expect(sample(text, 'shs_proxy_request_duration_seconds_count{route="/",method="OTHER"}')).toBe(1);
    expect(sample(text, 'shs_proxy_request_duration_seconds_bucket{route="/api/movie",method="OTHER",le="+Inf"}')).toBe(1);
    expect(text).not.toMatch(/FOOBAR|BREW/);
  });
});

describe('/long_dummy cache', () => {
  it('reports the age of each answer (0 from the origin, since the fill when from the cache) and the fill time', async () => {
    const before = await metrics();
    // the series exist before the first answer
    for (const le of ['1', '5', '10', '20', '30', '40', '50', '55', '60', '90', '120', '300', '+Inf'])
      expect(sample(before, `shs_proxy_cache_served_age_seconds_bucket{le="${le}"}`), le).toBe(0);
    expect(sample(before, 'shs_proxy_cache_served_age_seconds_sum')).toBe(0);
    expect(sample(before, 'shs_proxy_cache_served_age_seconds_count')).toBe(0);
    expect(before).toContain('# TYPE shs_proxy_cache_served_age_seconds histogram');
    expect(sample(before, 'shs_proxy_cache_filled_timestamp_seconds')).toBeNull();

    const sent = Date.now() / 1000;
    const first = await fetch(`${http}/long_dummy`);
    await first.text();
    const answered = Date.now() / 1000;
    expect(first.headers.get('x-cache-status')).toMatch(/^(MISS|BYPASS)$/);
    const filledText = await metrics();
    const filled = sample(filledText, 'shs_proxy_cache_filled_timestamp_seconds');
    expect(filled).not.toBeNull();
    // nginx's clock is the same clock: the fill happened while the request was in flight (ms resolution)
    expect(filled!).toBeGreaterThanOrEqual(sent - 0.002);
    expect(filled!).toBeLessThanOrEqual(answered + 0.002);
    expect(sample(filledText, 'shs_proxy_cache_served_age_seconds_bucket{le="1"}')).toBe(1);
    expect(sample(filledText, 'shs_proxy_cache_served_age_seconds_sum')).toBe(0);

    // a cached answer some seconds later: its age is the time since the fill, over 1 s and under 60 s
    await new Promise((r) => setTimeout(r, 2500));
    const second = await fetch(`${http}/long_dummy`);
    await second.text();
    expect(second.headers.get('x-cache-status')).toBe('HIT');
    expect(origins.reduce((n, o) => n + (o.hits.get('/long_dummy') ?? 0), 0)).toBe(1);
    const after = await metrics();
    expect(sample(after, 'shs_proxy_cache_served_age_seconds_count')).toBe(2);
    expect(sample(after, 'shs_proxy_cache_served_age_seconds_bucket{le="1"}')).toBe(1); // only the origin's answer
    expect(sample(after, 'shs_proxy_cache_served_age_seconds_bucket{le="60"}')).toBe(2);
    expect(sample(after, 'shs_proxy_cache_served_age_seconds_bucket{le="+Inf"}')).toBe(2);
    expect(sample(after, 'shs_proxy_cache_served_age_seconds_sum')).toBeGreaterThan(1);
    expect(sample(after, 'shs_proxy_cache_filled_timestamp_seconds')).toBe(filled); // a hit does not refill
  });
});

describe('upstream retries', () => {
  it('counts the extra attempts of each request by route', async () => {
    expect((await metrics())).not.toMatch(/shs_proxy_upstream_retries_total\{/);
    // one attempt each: no retry
    for (let i = 0; i < 2; i++) expect((await fetch(`${http}/api/movie/1`)).status).toBe(200);
    expect(await metrics()).not.toMatch(/shs_proxy_upstream_retries_total\{/);
    // both peers answer 503: every request tries both, one retry each
    for (let i = 0; i < 3; i++) expect((await fetch(`${http}/api/movie/13`)).status).toBe(503);
    const text = await metrics();
    expect(text).toContain('# TYPE shs_proxy_upstream_retries_total counter');
    expect(sample(text, 'shs_proxy_upstream_retries_total{route="/api/movie/{id}"}')).toBe(3);
    expect(text.match(/^shs_proxy_upstream_retries_total\{/gm)).toHaveLength(1);
    expect(origins.reduce((n, o) => n + (o.hits.get('/api/movie/13') ?? 0), 0)).toBe(6);
  });
});
