// The proxy's cost and the whole stack's capacity, on the real local stack (PostgreSQL, SHS, nginx + Lua).
//   1. Overhead: the same paced wrk load on /api/session/{id} straight to one SHS instance (the peer) and
//      through the proxy to that same single instance, measured in the same run. Target: latency at most 1.2x.
//   2. Capacity: the stack with two instances under rising paced loads; the highest rate held with p99 under
//      50 ms and no errors.
import { join } from 'node:path';
import { down, stackPorts, up } from '../../stack/src/local.js';
import { runBench, runSeconds, type BenchContext } from '../lib/harness.js';
import { ROOT } from '../lib/paths.js';
import { fmtCount, fmtMs, fmtRatio, type Target } from '../lib/report.js';
import { ratio } from '../lib/stats.js';
import { runWrk, wrkErrors, type WrkResult } from '../lib/wrk.js';

const SCALE = 0.01; // 50,000 sessions: the lookup is an index probe at any scale
const SESSIONS = 50_000;

async function startStack(ctx: BenchContext, instances: number): Promise<{ proxy: string; direct: string[]; stateDir: string }> {
  const stateDir = join(ctx.workDir, `stack-${instances}`);
  ctx.log(`starting the local stack with ${instances} instance(s) (pipeline up, scale ${SCALE})`);
  await up({ root: ROOT, stateDir, scale: SCALE, instances, httpPort: 0, httpsPort: 0, faults: false, monitoring: false, progress: (m) => ctx.log(`  ${m}`) });
  ctx.defer(`stack ${instances}`, () => down({ stateDir, progress: () => undefined }));
  const ports = stackPorts(stateDir)!;
  return { proxy: `http://127.0.0.1:${ports.http}`, direct: ports.instances.map((p) => `http://127.0.0.1:${p}`), stateDir };
}

function lookup(url: string, rate: number | undefined, durationS: number): Promise<WrkResult> {
  return runWrk({
    url,
    threads: 1,
    connections: 32,
    durationS,
    script: 'random-id.lua',
    scriptEnv: { BENCH_PATH_PREFIX: '/api/session/', BENCH_ID_MAX: String(SESSIONS) },
    ...(rate ? { rate } : {}),
  });
}

runBench('proxy', async (ctx) => {
  const seconds = runSeconds(10);
  const targets: Target[] = [];

  // 1. Overhead, one instance behind the proxy.
  const one = await startStack(ctx, 1);
  const rate = 1000;
  ctx.log(`warm-up, then ${seconds} s at ${rate} req/s: direct, proxy, direct, proxy`);
  await lookup(one.proxy, rate, 3);
  const runs: { via: string; r: WrkResult }[] = [];
  for (const via of ['direct', 'proxy', 'direct', 'proxy'] as const) {
    const r = await lookup(via === 'direct' ? one.direct[0]! : one.proxy, rate, seconds);
    ctx.log(`  ${via}: p50 ${fmtMs(r.latency.p50)}, p99 ${fmtMs(r.latency.p99)}, ${fmtCount(r.rps)} req/s, errors ${wrkErrors(r)}`);
    runs.push({ via, r });
  }
  const best = (via: string) => runs.filter((x) => x.via === via).sort((a, b) => a.r.latency.p50 - b.r.latency.p50)[0]!.r;
  const direct = best('direct');
  const proxied = best('proxy');
  const p50x = ratio(proxied.latency.p50, direct.latency.p50);
  const p99x = ratio(proxied.latency.p99, direct.latency.p99);
  targets.push({ name: 'proxy overhead, p50 latency vs direct', target: 'at most 1.2x', measured: fmtRatio(p50x), met: p50x <= 1.2 });
  targets.push({ name: 'proxy overhead, p99 latency vs direct', target: 'at most 1.2x', measured: fmtRatio(p99x), met: p99x <= 1.2 });
  await down({ stateDir: one.stateDir, progress: () => undefined });

  // 2. Capacity of the whole stack (two instances), paced steps.
  const two = await startStack(ctx, 2);
  await lookup(two.proxy, 500, 3);
  const steps: { rate: number; r: WrkResult }[] = [];
  for (const stepRate of [500, 1000, 2000, 3000, 4000, 5000]) {
    const r = await lookup(two.proxy, stepRate, seconds);
    const ok = r.latency.p99 < 50 && wrkErrors(r) === 0 && r.rps >= stepRate * 0.97;
    ctx.log(`  ${stepRate} req/s offered: ${fmtCount(r.rps)} achieved, p99 ${fmtMs(r.latency.p99)}, errors ${wrkErrors(r)} ${ok ? '' : '(over the line)'}`);
    steps.push({ rate: stepRate, r });
    if (!ok) break;
  }
  const held = steps.filter((s) => s.r.latency.p99 < 50 && wrkErrors(s.r) === 0 && s.r.rps >= s.rate * 0.97).pop();
  targets.push({
    name: 'stack capacity with p99 under 50 ms (GET /api/session/{id}, 2 instances)',
    target: 'reported (the contract needs 120 req/s)',
    measured: held ? `${fmtCount(held.r.rps)} req/s (p99 ${fmtMs(held.r.latency.p99)})` : 'none of the steps',
    met: held !== undefined && held.r.rps >= 120,
  });

  return {
    tables: [
      {
        title: `Proxy overhead: GET /api/session/{id} at ${rate} req/s, 32 connections, one instance (best of 2 runs each)`,
        columns: ['path', 'req/s', 'p50', 'p90', 'p99', 'max', 'errors'],
        rows: [
          ['direct to the instance (peer)', fmtCount(direct.rps), fmtMs(direct.latency.p50), fmtMs(direct.latency.p90), fmtMs(direct.latency.p99), fmtMs(direct.latency.max), wrkErrors(direct)],
          ['through the proxy', fmtCount(proxied.rps), fmtMs(proxied.latency.p50), fmtMs(proxied.latency.p90), fmtMs(proxied.latency.p99), fmtMs(proxied.latency.max), wrkErrors(proxied)],
          ['ratio proxy / direct', '', fmtRatio(p50x), fmtRatio(ratio(proxied.latency.p90, direct.latency.p90)), fmtRatio(p99x), '', ''],
        ],
      },
      {
        title: 'Stack capacity: paced steps through the proxy to two instances',
        columns: ['offered req/s', 'achieved req/s', 'p50', 'p99', 'errors'],
        rows: steps.map((s) => [s.rate, fmtCount(s.r.rps), fmtMs(s.r.latency.p50), fmtMs(s.r.latency.p99), wrkErrors(s.r)]),
      },
    ],
    targets,
    notes: [
      'wrk is paced by bench/wrk/pace.lua (a fixed total rate); latency as wrk reports it.',
      'Everything (wrk, nginx with 2 workers, the instances, PostgreSQL) shares the same 2 cores.',
      `commands: ${direct.command}`,
    ],
    results: { overhead: { direct, proxied }, steps },
  };
});
