// The overload scenario of test/overload.test.ts and bench/benches/overload.ts: the task's 120 RPS mix (the smoke
// action's open-model generator and DEFAULT_MIX) through the proxy while one client also keeps 50 `GET
// /api/session` in flight and sends 200 `HEAD /api/session` a second; every instance's /ping is polled
// directly all along, and the proxy's down transitions are compared before and after.
import { HttpClient } from '../../actions/smoke/src/client.js';
import { sampleIds } from '../../actions/smoke/src/checks/ids.js';
import { DEFAULT_MIX, type Endpoint } from '../../actions/smoke/src/load/mix.js';
import { runLoad, type LoadResult } from '../../actions/smoke/src/load/runner.js';

export interface OverloadOptions {
  /** The proxy's base URL: every request of the scenario goes through it, but the pings. */
  proxy: string;
  /** The instances' own base URLs, for /ping. */
  instances: string[];
  /** The proxy's Prometheus text. */
  proxyMetrics: () => Promise<string>;
  seconds: number;
  mixRate?: number;
  listConcurrency?: number;
  headRate?: number;
  /** How often each instance's /ping is polled. */
  pingEveryMs?: number;
  /**
   * The mix alone for this long first, not measured (default 3 s): the instances' pools, JIT and the proxy's
   * /long_dummy cache are then as they are in a running service, not as just after a start.
   */
  warmupSeconds?: number;
}

export interface Timed {
  status: number;
  ms: number;
  retryAfter: string | null;
  error?: string;
}

export interface OverloadResult {
  mix: LoadResult;
  /** Every GET /api/session answer (or failure) of the 50 workers. */
  lists: Timed[];
  heads: LoadResult;
  /** Every /ping of every instance. */
  pings: (Timed & { instance: string })[];
  /** Sum over the peers of shs_proxy_upstream_down_transitions_total, after minus before. */
  downTransitions: number;
}

/** Sum of shs_proxy_upstream_down_transitions_total over the peers. */
export function downTransitions(metrics: string): number {
  let sum = 0;
  for (const m of metrics.matchAll(/^shs_proxy_upstream_down_transitions_total\{[^}]*\} (\d+)$/gm)) sum += Number(m[1]);
  return sum;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function timed(client: HttpClient, base: string, path: string, method = 'GET'): Promise<Timed> {
  const start = performance.now();
  try {
    const res = await client.request(base, { path, method });
    const retry = res.headers['retry-after'];
    return { status: res.status, ms: performance.now() - start, retryAfter: typeof retry === 'string' ? retry : null };
  } catch (err) {
    return { status: 0, ms: performance.now() - start, retryAfter: null, error: (err as Error).message };
  }
}

export async function runOverload(o: OverloadOptions): Promise<OverloadResult> {
  const mixRate = o.mixRate ?? 120;
  const listConcurrency = o.listConcurrency ?? 50;
  const headRate = o.headRate ?? 200;
  const pingEveryMs = o.pingEveryMs ?? 100;
  const mixClient = new HttpClient({ timeoutMs: 10_000, maxSockets: 256 });
  const listClient = new HttpClient({ timeoutMs: 30_000, maxSockets: listConcurrency });
  const headClient = new HttpClient({ timeoutMs: 10_000, maxSockets: 256 });
  const pingClient = new HttpClient({ timeoutMs: 2000, maxSockets: 4 });
  try {
    const ids = await sampleIds(mixClient, o.proxy);
    const warmup = o.warmupSeconds ?? 3;
    const warm = warmup > 0 ? await runLoad({ base: o.proxy, phases: [{ rate: mixRate, seconds: warmup }], mix: DEFAULT_MIX, ids, client: mixClient }) : null;
    const downBefore = downTransitions(await o.proxyMetrics());
    let stopped = false;

    const pings: (Timed & { instance: string })[] = [];
    const pollers = o.instances.map(async (instance) => {
      while (!stopped) {
        const next = sleep(pingEveryMs);
        pings.push({ instance, ...(await timed(pingClient, instance, '/ping')) });
        await next;
      }
    });

    // A well-behaved client: after a refusal it waits the Retry-After it was given (1 s when none) and asks again.
    const lists: Timed[] = [];
    const workers = Array.from({ length: listConcurrency }, async () => {
      while (!stopped) {
        const t = await timed(listClient, o.proxy, '/api/session');
        lists.push(t);
        if (t.status !== 200 && !stopped) await sleep(Math.min(Number(t.retryAfter ?? 1) || 1, 5) * 1000);
      }
    });

    const head: Endpoint[] = [{ name: 'HEAD /api/session', weight: 1, make: () => ({ method: 'HEAD', path: '/api/session' }) }];
    const heads = runLoad({ base: o.proxy, phases: [{ rate: headRate, seconds: o.seconds }], mix: head, ids, client: headClient });
    const mix = await runLoad({ base: o.proxy, phases: [{ rate: mixRate, seconds: o.seconds }], mix: DEFAULT_MIX, ids, client: mixClient });
    stopped = true;
    const headResult = await heads;
    await Promise.all([...workers, ...pollers]);
    // what the mix (and its warm-up) created and could not delete in time
    for (const id of [...(warm?.leftover ?? []), ...mix.leftover]) await mixClient.request(o.proxy, { method: 'DELETE', path: `/api/session/${id}` }).catch(() => undefined);
    // a peer marked down near the end shows within the proxy's checks (fall x interval: 1 s)
    await sleep(1200);
    return { mix, lists, heads: headResult, pings, downTransitions: downTransitions(await o.proxyMetrics()) - downBefore };
  } finally {
    mixClient.close();
    listClient.close();
    headClient.close();
    pingClient.close();
  }
}

/** Counts by status ("0" for a network error or timeout). */
export function statusCounts(samples: { status: number }[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const s of samples) counts[s.status] = (counts[s.status] ?? 0) + 1;
  return counts;
}

export function percentileOf(values: number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** One line for a test's failure message or a bench's log. */
export function describeOverload(r: OverloadResult): string {
  const refused = r.lists.filter((x) => x.status === 429 || x.status === 503);
  const badPings = r.pings.filter((p) => p.status !== 200);
  return JSON.stringify({
    mix: { requests: r.mix.overall.requests, p90: Math.round(r.mix.overall.p90), p99: Math.round(r.mix.overall.p99), failRate: r.mix.overall.failRate, statuses: r.mix.overall.statuses },
    lists: { requests: r.lists.length, statuses: statusCounts(r.lists), refusedP99: Math.round(percentileOf(refused.map((x) => x.ms), 99)), errors: r.lists.filter((x) => x.status === 0).slice(0, 3).map((x) => x.error) },
    heads: { requests: r.heads.overall.requests, statuses: r.heads.overall.statuses, p90: Math.round(r.heads.overall.p90) },
    pings: { polls: r.pings.length, notOk: badPings.length, statuses: statusCounts(r.pings), slowest: Math.round(Math.max(0, ...r.pings.map((p) => p.ms))) },
    downTransitions: r.downTransitions,
  });
}
