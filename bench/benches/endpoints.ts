// endpoints: throughput and latency of each endpoint class of ONE service instance.
//   closed loop  wrk -t1 -c32 (a new random id within the dataset per request; a JSON body for POST /operation)
//   fixed rate   wrk -t1 -c64 paced at 5,000 RPS by bench/wrk/pace.lua (wrk2 is not packaged), 120 RPS for
//                /db_dummy (100 ms on one of 16 pool connections); plus hey -q at 5,000 RPS on /api/session/{id}
//                as a cross-check with another tool (hey sends one URL and costs about twice wrk's CPU)
// Peers, measured in the same run on the same server: PostgreSQL alone serving the same statement (pgbench with
// the service's SQL, 16 clients like the service's pool), and wrk against a bare node:http server (the ceiling
// of one Node process).
import { FULL_SCALE } from '../../shs/src/db/prepare.js';
import { runBench, runSeconds, type BenchContext } from '../lib/harness.js';
import { heyErrors, runHey, type HeyResult } from '../lib/hey.js';
import { type BenchDatabase, startBenchPostgres } from '../lib/postgres.js';
import { pgbenchRun, pgbenchSql, type PgbenchRun } from '../lib/pgbench.js';
import { type CapturedQuery, customerQuery, dbDummyQuery, movieQuery, sessionQuery } from '../lib/queries.js';
import { type Target, fmtCount, fmtMs, fmtRatio } from '../lib/report.js';
import { startHttpLayerServer } from '../lib/servers.js';
import { ensureFullDataset, startService } from '../lib/shs.js';
import { type Latency, ratio } from '../lib/stats.js';
import { runWrk, wrkErrors, type WrkOptions, type WrkResult } from '../lib/wrk.js';

const CONNECTIONS = 32;
const PACED_CONNECTIONS = 64; // slack: at 5,000 RPS and ~5 ms per answer about 25 are busy
const WARMUP_S = 2;
const DURATION_S = runSeconds(10);
const FIXED_RATE = 5_000;
const DB_DUMMY_RATE = 120; // the spec's peak; 5,000 is 30 times what 16 connections x 10 sleeps/s allow
const HEY_WORKERS = 100; // 50 requests/s each: a worker has 20 ms per answer before its rate drops
const PGBENCH_CLIENTS = 16; // the service's default database.pool_size
const PGBENCH_THREADS = 2;
const TARGET_RPS = 5_000;
const TARGET_P99_MS = 50;
const SESSION = 'GET /api/session/{id}';

type PeerName = 'node:http hello' | 'pgbench session' | 'pgbench movie' | 'pgbench customer' | 'pgbench pg_sleep';

interface EndpointCase {
  label: string;
  /** The URL path, or the path a script varies (it then writes the path itself). */
  path: string;
  script?: 'random-id.lua' | 'operation.lua';
  scriptEnv?: Record<string, string>;
  rate: number;
  peer: PeerName;
}

const randomIds = (prefix: string, max: number): Pick<EndpointCase, 'path' | 'script' | 'scriptEnv'> => ({
  path: `${prefix}{id}`,
  script: 'random-id.lua',
  scriptEnv: { BENCH_PATH_PREFIX: prefix, BENCH_ID_MAX: String(max) },
});

const CASES: EndpointCase[] = [
  { label: 'GET /ping', path: '/ping', rate: FIXED_RATE, peer: 'node:http hello' },
  { label: SESSION, ...randomIds('/api/session/', FULL_SCALE.sessions), rate: FIXED_RATE, peer: 'pgbench session' },
  { label: 'GET /api/movie/{id}', ...randomIds('/api/movie/', FULL_SCALE.movies), rate: FIXED_RATE, peer: 'pgbench movie' },
  { label: 'GET /api/customer/{id}', ...randomIds('/api/customer/', FULL_SCALE.customers), rate: FIXED_RATE, peer: 'pgbench customer' },
  { label: 'GET /db_dummy', path: '/db_dummy', rate: DB_DUMMY_RATE, peer: 'pgbench pg_sleep' },
  { label: 'POST /operation', path: '/operation', script: 'operation.lua', rate: FIXED_RATE, peer: 'node:http hello' },
];

interface CaseResult {
  label: string;
  closed: WrkResult;
  fixed: WrkResult;
}

async function measureCase(ctx: BenchContext, baseUrl: string, c: EndpointCase): Promise<CaseResult> {
  const base: WrkOptions = {
    url: c.script ? baseUrl : baseUrl + c.path,
    connections: CONNECTIONS,
    durationS: DURATION_S,
    ...(c.script ? { script: c.script } : {}),
    ...(c.scriptEnv ? { scriptEnv: c.scriptEnv } : {}),
  };
  ctx.log(`${c.label}: warm-up ${WARMUP_S} s, then wrk -c${CONNECTIONS} for ${DURATION_S} s`);
  await runWrk({ ...base, durationS: WARMUP_S });
  const closed = await runWrk(base);
  ctx.log(`  closed loop: ${fmtCount(closed.rps)} RPS, p99 ${fmtMs(closed.latency.p99)}, errors ${wrkErrors(closed)}`);
  ctx.log(`${c.label}: wrk -c${PACED_CONNECTIONS} paced at ${fmtCount(c.rate)} RPS for ${DURATION_S} s`);
  const fixed = await runWrk({ ...base, connections: PACED_CONNECTIONS, rate: c.rate });
  ctx.log(`  fixed rate: ${fmtCount(fixed.rps)} RPS achieved, p99 ${fmtMs(fixed.latency.p99)}, errors ${wrkErrors(fixed)}`);
  return { label: c.label, closed, fixed };
}

/** hey -q on one session id (hey cannot vary the URL), as a cross-check of the paced wrk run. */
async function heyCrossCheck(ctx: BenchContext, baseUrl: string): Promise<HeyResult> {
  ctx.log(`${SESSION}: hey -c${HEY_WORKERS} at ${fmtCount(FIXED_RATE)} RPS for ${DURATION_S} s (cross-check)`);
  const r = await runHey({ url: `${baseUrl}/api/session/2718281`, rate: FIXED_RATE, workers: HEY_WORKERS, durationS: DURATION_S });
  ctx.log(`  hey: ${fmtCount(r.rps)} RPS achieved, p99 ${fmtMs(r.latency.p99)}, errors ${heyErrors(r)}`);
  return r;
}

/** A pgbench script running the service's statement with a random id in 1..maxId. */
function lookupScript(q: CapturedQuery, maxId: number): string {
  return `\\set id random(1, ${maxId})\n${pgbenchSql(q.text).replace(/\$1\b/g, ':id')};\n`;
}

interface Peer {
  name: PeerName;
  command: string;
  rps: number;
  latency: Latency;
  errors: number;
}

async function measurePeers(ctx: BenchContext, db: BenchDatabase): Promise<Peer[]> {
  const peers: Peer[] = [];
  const hello = await startHttpLayerServer(ctx, 'node-http');
  ctx.log(`peer node:http hello: warm-up ${WARMUP_S} s, then wrk -c${CONNECTIONS} for ${DURATION_S} s`);
  const helloOptions: WrkOptions = { url: `${hello}/ping`, connections: CONNECTIONS, durationS: DURATION_S };
  await runWrk({ ...helloOptions, durationS: WARMUP_S });
  const w = await runWrk(helloOptions);
  peers.push({ name: 'node:http hello', command: w.command, rps: w.rps, latency: w.latency, errors: wrkErrors(w) });

  const scripts: [PeerName, string][] = [
    ['pgbench session', lookupScript(await sessionQuery(), FULL_SCALE.sessions)],
    ['pgbench movie', lookupScript(await movieQuery(), FULL_SCALE.movies)],
    ['pgbench customer', lookupScript(await customerQuery(), FULL_SCALE.customers)],
    ['pgbench pg_sleep', `${(await dbDummyQuery()).text};\n`],
  ];
  for (const [name, script] of scripts) {
    ctx.log(`peer ${name}: pgbench -c${PGBENCH_CLIENTS} -j${PGBENCH_THREADS} -T${DURATION_S}`);
    const r: PgbenchRun = await pgbenchRun(db, {
      script,
      clients: PGBENCH_CLIENTS,
      threads: PGBENCH_THREADS,
      durationS: DURATION_S,
      workDir: ctx.workDir,
      label: name.replace(/\W+/g, '-'),
    });
    ctx.log(`  ${fmtCount(r.tps)} TPS, p99 ${fmtMs(r.latency.p99)}`);
    peers.push({ name, command: r.command, rps: r.tps, latency: r.latency, errors: r.failed });
  }
  return peers;
}

const latencyCells = (l: Latency) => [fmtMs(l.p50), fmtMs(l.p90), fmtMs(l.p99), fmtMs(l.max)];

/** Met when at least 98% of the offered rate was sent and answered, p99 under the target, no errors. */
function fixedRateTarget(name: string, offered: number, achieved: number, p99: number, errors: number): Target {
  return {
    name,
    target: `>= 98% of ${fmtCount(offered)} RPS, p99 < ${TARGET_P99_MS} ms, no errors`,
    measured: `${fmtCount(achieved)} RPS, p99 ${fmtMs(p99)}, ${errors} errors`,
    met: achieved >= 0.98 * offered && p99 < TARGET_P99_MS && errors === 0,
  };
}

runBench('endpoints', async (ctx) => {
  const db = await startBenchPostgres(ctx);
  await ensureFullDataset(ctx, db);
  // The routes themselves, as before the heavy-request limit: wrk's 32 connections on /db_dummy would otherwise be
  // refused beyond server.heavy_concurrency (8) instead of waiting for the pool (bench overload measures the limit).
  const service = await startService(ctx, db, { SHS_SERVER_HEAVY_CONCURRENCY: '1000' });
  const cases: CaseResult[] = [];
  for (const c of CASES) cases.push(await measureCase(ctx, service.url, c));
  const hey = await heyCrossCheck(ctx, service.url);
  const peers = await measurePeers(ctx, db);

  const session = cases.find((c) => c.label === SESSION)!;
  const dbDummy = cases.find((c) => c.label === 'GET /db_dummy')!;
  const targets: Target[] = [
    {
      name: `${SESSION} closed loop (wrk -c${CONNECTIONS})`,
      target: `>= ${fmtCount(TARGET_RPS)} RPS, p99 < ${TARGET_P99_MS} ms, no errors`,
      measured: `${fmtCount(session.closed.rps)} RPS, p99 ${fmtMs(session.closed.latency.p99)}, ${wrkErrors(session.closed)} errors`,
      met: session.closed.rps >= TARGET_RPS && session.closed.latency.p99 < TARGET_P99_MS && wrkErrors(session.closed) === 0,
    },
    fixedRateTarget(`${SESSION} fixed rate (wrk paced)`, FIXED_RATE, session.fixed.rps, session.fixed.latency.p99, wrkErrors(session.fixed)),
    fixedRateTarget(`${SESSION} fixed rate (hey -q, one id)`, FIXED_RATE, hey.rps, hey.latency.p99, heyErrors(hey)),
    {
      name: `GET /db_dummy at ${DB_DUMMY_RATE} RPS (the spec's peak)`,
      target: 'p90 < 400 ms, no errors',
      measured: `p90 ${fmtMs(dbDummy.fixed.latency.p90)}, ${wrkErrors(dbDummy.fixed)} errors`,
      met: dbDummy.fixed.latency.p90 < 400 && wrkErrors(dbDummy.fixed) === 0,
    },
  ];

  return {
    tables: [
      {
        title: `Closed loop: wrk -t1 -c${CONNECTIONS} -d${DURATION_S}s against one instance (PostgreSQL ${db.version})`,
        columns: ['endpoint', 'RPS', 'p50', 'p90', 'p99', 'max', 'errors', 'peer', 'peer RPS', 'vs peer'],
        rows: cases.map((r) => {
          const peer = peers.find((p) => p.name === CASES.find((c) => c.label === r.label)!.peer)!;
          return [r.label, fmtCount(r.closed.rps), ...latencyCells(r.closed.latency), String(wrkErrors(r.closed)), peer.name, fmtCount(peer.rps), fmtRatio(ratio(r.closed.rps, peer.rps))];
        }),
        note: 'vs peer: service RPS / peer RPS (or TPS). Lookups ask for a new random id within the dataset each time.',
      },
      {
        title: `Fixed rate for ${DURATION_S} s: wrk -t1 -c${PACED_CONNECTIONS} paced by bench/wrk/pace.lua; hey -c${HEY_WORKERS} -q${FIXED_RATE / HEY_WORKERS}`,
        columns: ['endpoint', 'tool', 'offered', 'achieved', 'p50', 'p90', 'p99', 'max', 'errors'],
        rows: [
          ...cases.map((r) => {
            const offered = CASES.find((c) => c.label === r.label)!.rate;
            return [r.label, 'wrk paced', fmtCount(offered), fmtCount(r.fixed.rps), ...latencyCells(r.fixed.latency), String(wrkErrors(r.fixed))];
          }),
          [`${SESSION} (id 2718281)`, 'hey -q', fmtCount(hey.offeredRps), fmtCount(hey.rps), ...latencyCells(hey.latency), String(heyErrors(hey))],
        ],
        note: 'Neither tool corrects for coordinated omission (wrk2 is not packaged here): a request that waits for a busy\nconnection is not counted late, so "achieved" below "offered" means the service could not keep up.',
      },
      {
        title: 'Peers (same run, same machine)',
        columns: ['peer', 'RPS/TPS', 'p50', 'p90', 'p99', 'max', 'errors', 'command'],
        rows: peers.map((p) => [p.name, fmtCount(p.rps), ...latencyCells(p.latency), String(p.errors), p.command]),
        note: `pgbench runs the service's own statements (named, prepared) with ${PGBENCH_CLIENTS} clients, the service's pool size.`,
      },
    ],
    targets,
    notes: [
      'Load generator, service and PostgreSQL share the same 2 cores: every number here includes that contention.',
      `/db_dummy holds a pool connection for 100 ms: its ceiling is pool_size / 0.1 s = ${PGBENCH_CLIENTS * 10} RPS, so its fixed rate is ${DB_DUMMY_RATE} RPS.`,
      'The instance runs with server.heavy_concurrency = 1000 (no limit): these are the routes\' own numbers; with the default (8) one instance refuses /db_dummy beyond 8 in flight, 80 RPS (bench overload).',
    ],
    results: {
      cases,
      hey,
      peers,
      settings: { CONNECTIONS, PACED_CONNECTIONS, WARMUP_S, DURATION_S, FIXED_RATE, DB_DUMMY_RATE, HEY_WORKERS, PGBENCH_CLIENTS },
    },
  };
});
