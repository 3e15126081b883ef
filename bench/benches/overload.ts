// overload: the task's 120 RPS mix (the smoke action's generator and DEFAULT_MIX) through the proxy to two SHS
// instances, while one client keeps 50 `GET /api/session` in flight and sends 200 `HEAD /api/session` a second
// (test/support/overload.ts, the same scenario as test/overload.test.ts, here on the full-scale dataset).
// Measured with the limits (the proxy's per-client limit_req/limit_conn on the heavy routes and each instance's
// server.heavy_concurrency, both at their defaults) against its peer, the same stack without them (the proxy
// rendered with clientLimits: null, the instances with server.heavy_concurrency: 1000), alternating in one run;
// and, for scale, the mix alone on the stack with the limits (what the machine gives it without the heavy load).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { detectFeatures, testConfig } from '../../proxy/src/nginx.js';
import { DEFAULT_CLIENT_LIMITS, PROXY_DEFAULTS, render } from '../../proxy/src/render.js';
import { giveToWorkers, workerUser } from '../../proxy/src/worker-user.js';
import { freePort } from '../../stack/src/ports.js';
import { percentileOf, runOverload, statusCounts, type OverloadResult } from '../../test/support/overload.js';
import { type BenchContext, runBench, runSeconds } from '../lib/harness.js';
import { waitForOk } from '../lib/http.js';
import { ROOT } from '../lib/paths.js';
import { startBenchPostgres } from '../lib/postgres.js';
import { startBackground } from '../lib/process.js';
import { type Target, fmtMs, fmtRatio } from '../lib/report.js';
import { ensureFullDataset, startService } from '../lib/shs.js';
import { median, ratio } from '../lib/stats.js';

type Config = 'with limits' | 'without limits' | 'mix alone';
const ROUNDS = Number(process.env.BENCH_OVERLOAD_ROUNDS) || 3; // odd: the median is a run's own number

interface Stack {
  proxy: string;
  metrics: string;
  instances: string[];
}

/** nginx rendered from the project's template (plain HTTP only) in front of `peers`, running in the foreground. */
async function startProxy(ctx: BenchContext, label: string, peers: string[], limits: boolean): Promise<{ proxy: string; metrics: string }> {
  const features = await detectFeatures();
  if (!features.lua) throw new Error(`${features.binary} has no Lua module (apt-get install libnginx-mod-http-lua lua-resty-core lua-cjson)`);
  const dir = join(ctx.workDir, `proxy-${label.replace(/ /g, '-')}`);
  for (const sub of ['tmp', 'cache']) mkdirSync(join(dir, sub), { recursive: true });
  const user = workerUser();
  giveToWorkers(user, [join(dir, 'tmp'), join(dir, 'cache')]);
  const [http, metrics] = [await freePort(), await freePort()];
  const file = join(dir, 'nginx.conf');
  writeFileSync(
    file,
    render(readFileSync(join(ROOT, 'proxy', 'nginx.conf.template'), 'utf8'), {
      platform: features.platform,
      peers: peers.map((u) => new URL(u).host),
      httpListen: `127.0.0.1:${http}`,
      httpsListen: null,
      http3: false,
      metricsListen: `127.0.0.1:${metrics}`,
      luaDir: join(ROOT, 'proxy', 'lua'),
      runDir: dir,
      user: user.directive,
      workerProcesses: 2,
      ...PROXY_DEFAULTS,
      clientLimits: limits ? DEFAULT_CLIENT_LIMITS : null,
      errorLog: join(dir, 'error.log'),
      accessLog: join(dir, 'access.log'),
    }),
  );
  await testConfig(features.binary, file, dir);
  const nginx = startBackground(features.binary, ['-p', dir, '-c', file, '-e', join(dir, 'error.log'), '-g', 'daemon off;'], join(dir, 'nginx.out'));
  ctx.defer(`stop nginx (${label})`, () => nginx.stop());
  await waitForOk(`http://127.0.0.1:${metrics}/healthz`, 10_000, () => nginx.child.exitCode === null);
  return { proxy: `http://127.0.0.1:${http}`, metrics: `http://127.0.0.1:${metrics}/metrics` };
}

async function startStack(ctx: BenchContext, db: Awaited<ReturnType<typeof startBenchPostgres>>, config: Config): Promise<Stack> {
  const limits = config === 'with limits';
  const env: Record<string, string> = limits ? {} : { SHS_SERVER_HEAVY_CONCURRENCY: '1000' };
  const instances = [(await startService(ctx, db, env)).url, (await startService(ctx, db, env)).url];
  const { proxy, metrics } = await startProxy(ctx, config, instances, limits);
  // both peers up in the proxy's health checks before any load
  const deadline = Date.now() + 20_000;
  for (;;) {
    const text = await (await fetch(metrics)).text();
    if ((text.match(/^shs_proxy_upstream_up\{[^}]*\} 1$/gm) ?? []).length === 2) break;
    if (Date.now() > deadline) throw new Error(`${config}: the proxy did not see both instances up`);
    await new Promise((r) => setTimeout(r, 100));
  }
  ctx.log(`${config}: proxy ${proxy} -> ${instances.join(', ')}`);
  return { proxy, metrics, instances };
}

function summary(r: OverloadResult) {
  const refused = r.lists.filter((x) => x.status === 429 || x.status === 503);
  return {
    mixRequests: r.mix.overall.requests,
    mixP90: r.mix.overall.p90,
    mixP99: r.mix.overall.p99,
    mixFailRate: r.mix.overall.failRate,
    listsServed: r.lists.filter((x) => x.status === 200).length,
    listsRefused: refused.length,
    listsOther: r.lists.filter((x) => x.status !== 200 && x.status !== 429 && x.status !== 503).length,
    listStatuses: statusCounts(r.lists),
    refusedP99: percentileOf(refused.map((x) => x.ms), 99),
    servedP50: percentileOf(r.lists.filter((x) => x.status === 200).map((x) => x.ms), 50),
    headStatuses: r.heads.overall.statuses,
    headP90: r.heads.overall.p90,
    pings: r.pings.length,
    pingsNotOk: r.pings.filter((p) => p.status !== 200).length,
    pingP99: percentileOf(r.pings.map((p) => p.ms), 99),
    downTransitions: r.downTransitions,
  };
}

runBench('overload', async (ctx) => {
  const seconds = runSeconds(20);
  const db = await startBenchPostgres(ctx);
  await ensureFullDataset(ctx, db);
  const limited = await startStack(ctx, db, 'with limits');
  const stacks: Record<Config, Stack> = { 'with limits': limited, 'without limits': await startStack(ctx, db, 'without limits'), 'mix alone': limited };

  const runs: { config: Config; round: number; s: ReturnType<typeof summary> }[] = [];
  const order: Config[] = [];
  const configs: Config[] = ['without limits', 'with limits', 'mix alone'];
  for (let round = 0; round < ROUNDS; round++) order.push(...configs.slice(round % 3), ...configs.slice(0, round % 3));
  ctx.log(`${order.length} runs of ${seconds} s, in turn: the 120 RPS mix + 50 concurrent GET /api/session + 200 RPS HEAD /api/session (or the mix alone)`);
  for (const [i, config] of order.entries()) {
    const stack = stacks[config];
    const r = await runOverload({
      proxy: stack.proxy,
      instances: stack.instances,
      proxyMetrics: async () => (await fetch(stack.metrics)).text(),
      seconds,
      ...(config === 'mix alone' ? { listConcurrency: 0, headRate: 0 } : {}),
    });
    const s = summary(r);
    runs.push({ config, round: Math.floor(i / configs.length) + 1, s });
    ctx.log(
      `  ${config}: mix p90 ${fmtMs(s.mixP90)}, errors ${(s.mixFailRate * 100).toFixed(1)}%; lists ${s.listsServed} served, ${s.listsRefused} refused (p99 ${fmtMs(s.refusedP99)}); ` +
        `pings not 200: ${s.pingsNotOk}/${s.pings}; peers marked down: ${s.downTransitions}`,
    );
    // let the last lists finish and the health checks settle before the next run
    await new Promise((r) => setTimeout(r, 3000));
  }

  const med = (config: Config, pick: (s: ReturnType<typeof summary>) => number) => median(runs.filter((r) => r.config === config).map((r) => pick(r.s)));
  const withP90 = med('with limits', (s) => s.mixP90);
  const withoutP90 = med('without limits', (s) => s.mixP90);
  const aloneP90 = med('mix alone', (s) => s.mixP90);
  const withoutFail = med('without limits', (s) => s.mixFailRate);
  const worst = (config: Config, pick: (s: ReturnType<typeof summary>) => number) => Math.max(...runs.filter((r) => r.config === config).map((r) => pick(r.s)));
  const targets: Target[] = [
    {
      name: 'with limits: the mix p90 (every run)',
      target: '< 400 ms',
      measured: `${fmtMs(worst('with limits', (s) => s.mixP90))} worst; median ${fmtMs(withP90)}: ${fmtRatio(ratio(withoutP90, withP90))} better than without (${fmtMs(withoutP90)}), ${fmtRatio(ratio(withP90, aloneP90))} the mix alone (${fmtMs(aloneP90)})`,
      met: worst('with limits', (s) => s.mixP90) < 400,
    },
    {
      name: 'with limits: the mix errors (every run)',
      target: '<= 1%',
      measured: `${(worst('with limits', (s) => s.mixFailRate) * 100).toFixed(2)}% worst (without: median ${(withoutFail * 100).toFixed(1)}%)`,
      met: worst('with limits', (s) => s.mixFailRate) <= 0.01,
    },
    {
      name: 'with limits: /ping of each instance, polled every 100 ms',
      target: 'always 200',
      measured: `${worst('with limits', (s) => s.pingsNotOk)} not 200 in the worst run (without: ${worst('without limits', (s) => s.pingsNotOk)})`,
      met: worst('with limits', (s) => s.pingsNotOk) === 0,
    },
    {
      name: 'with limits: peers marked down by the proxy',
      target: 'none',
      measured: `${worst('with limits', (s) => s.downTransitions)} in the worst run (without: ${worst('without limits', (s) => s.downTransitions)})`,
      met: worst('with limits', (s) => s.downTransitions) === 0,
    },
  ];
  const row = (r: (typeof runs)[number]) => [
    r.config,
    r.round,
    fmtMs(r.s.mixP90),
    fmtMs(r.s.mixP99),
    `${(r.s.mixFailRate * 100).toFixed(2)}%`,
    `${r.s.listsServed} / ${r.s.listsRefused} / ${r.s.listsOther}`,
    fmtMs(r.s.refusedP99),
    Object.entries(r.s.headStatuses).map(([k, v]) => `${k}:${v}`).join(' '),
    `${r.s.pingsNotOk}/${r.s.pings}`,
    r.s.downTransitions,
  ];
  return {
    tables: [
      {
        title: `the 120 RPS mix beside 50 concurrent GET /api/session + 200 RPS HEAD /api/session from one client (${seconds} s per run, full-scale dataset, 2 instances)`,
        columns: ['config', 'round', 'mix p90', 'mix p99', 'mix errors', 'lists 200 / refused / other', 'refusal p99', 'HEAD statuses', 'pings not 200', 'peers down'],
        rows: runs.map(row),
        note: 'refused: 429 (the proxy per client) or 503 (an instance at server.heavy_concurrency), each with Retry-After; the list workers wait it out before asking again',
      },
      {
        title: 'with limits vs without (median of the runs; the mix alone for scale)',
        columns: ['measure', 'with limits', 'without limits', 'without / with', 'mix alone', 'with / alone'],
        rows: (
          [
            ['mix p90', (s) => s.mixP90, fmtMs],
            ['mix p99', (s) => s.mixP99, fmtMs],
            ['mix errors', (s) => s.mixFailRate, (x) => `${(x * 100).toFixed(2)}%`],
            ['/ping p99 (direct)', (s) => s.pingP99, fmtMs],
            ['/ping not 200', (s) => s.pingsNotOk, String],
            ['peers marked down', (s) => s.downTransitions, String],
            ['lists served', (s) => s.listsServed, String],
          ] as [string, (s: ReturnType<typeof summary>) => number, (x: number) => string][]
        ).map(([name, pick, fmt]) => {
          const [w, wo, a] = [med('with limits', pick), med('without limits', pick), med('mix alone', pick)];
          return [name, fmt(w), fmt(wo), w > 0 ? fmtRatio(ratio(wo, w)) : '-', fmt(a), a > 0 ? fmtRatio(ratio(w, a)) : '-'];
        }),
      },
    ],
    targets,
    notes: [
      'Both configurations run the same build (HEAD of a list runs no query, streams honour backpressure, a client that goes away has its query cancelled): only the limits differ.',
      'The load generators, nginx, both instances and PostgreSQL share the same cores: the without-limits runs also slow the generators down.',
    ],
    results: { seconds, rounds: ROUNDS, runs },
  };
});
