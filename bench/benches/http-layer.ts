// http-layer: why Fastify. The same two trivial routes (text /ping, JSON /item/:id from an in-memory Map)
// served by bare node:http and by Fastify, each in a process of its own, measured with the same wrk runs.
// The peer is node:http: the ratio is what the framework costs (or saves) on top of it.
import { FLAVOURS, ITEM_COUNT, type Flavour } from '../servers/http-layer.js';
import { runBench, runSeconds } from '../lib/harness.js';
import { fmtCount, fmtMs, fmtRatio } from '../lib/report.js';
import { startHttpLayerServer } from '../lib/servers.js';
import { ratio } from '../lib/stats.js';
import { runWrk, wrkErrors, type WrkOptions, type WrkResult } from '../lib/wrk.js';

const CONNECTIONS = 32;
const WARMUP_S = 2;
const DURATION_S = runSeconds(10);

interface Route {
  label: string;
  wrk: (baseUrl: string) => WrkOptions;
}

const ROUTES: Route[] = [
  { label: 'GET /ping (text)', wrk: (url) => ({ url: `${url}/ping`, connections: CONNECTIONS, durationS: DURATION_S }) },
  {
    label: 'GET /item/:id (JSON from a Map)',
    wrk: (url) => ({
      url,
      connections: CONNECTIONS,
      durationS: DURATION_S,
      script: 'random-id.lua',
      scriptEnv: { BENCH_PATH_PREFIX: '/item/', BENCH_ID_MAX: String(ITEM_COUNT) },
    }),
  },
];

type Measured = Record<Flavour, WrkResult>;

runBench('http-layer', async (ctx) => {
  const urls = {} as Record<Flavour, string>;
  for (const flavour of FLAVOURS) urls[flavour] = await startHttpLayerServer(ctx, flavour);

  const results: { route: string; runs: Measured }[] = [];
  for (const route of ROUTES) {
    const runs = {} as Measured;
    for (const flavour of FLAVOURS) {
      const options = route.wrk(urls[flavour]);
      ctx.log(`${route.label} on ${flavour}: warm-up ${WARMUP_S} s, then wrk -c${CONNECTIONS} for ${DURATION_S} s`);
      await runWrk({ ...options, durationS: WARMUP_S });
      runs[flavour] = await runWrk(options);
      ctx.log(`  ${fmtCount(runs[flavour].rps)} RPS, p99 ${fmtMs(runs[flavour].latency.p99)}, errors ${wrkErrors(runs[flavour])}`);
    }
    results.push({ route: route.label, runs });
  }

  return {
    tables: [
      {
        title: `node:http vs Fastify: wrk -t1 -c${CONNECTIONS} -d${DURATION_S}s, one process each`,
        columns: ['route', 'node:http RPS', 'p99', 'Fastify RPS', 'p99', 'Fastify/node:http RPS', 'p99 ratio', 'errors'],
        rows: results.map(({ route, runs: { 'node-http': n, fastify: f } }) => [
          route,
          fmtCount(n.rps),
          fmtMs(n.latency.p99),
          fmtCount(f.rps),
          fmtMs(f.latency.p99),
          fmtRatio(ratio(f.rps, n.rps)),
          fmtRatio(ratio(f.latency.p99, n.latency.p99)),
          String(wrkErrors(n) + wrkErrors(f)),
        ]),
        note: 'Fastify with its defaults (no logger, no schemas); node:http with a hand-written router (a regex).',
      },
    ],
    targets: [],
    notes: [
      'No target: this bench shows what the framework costs, to weigh against what it brings (routing, 404/405, body parsing and limits, hooks, error handling, graceful close).',
    ],
    results: { results, settings: { CONNECTIONS, WARMUP_S, DURATION_S, ITEM_COUNT } },
  };
});
