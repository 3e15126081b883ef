// How fast an instance becomes fit to serve, the service's side of "a failed node recovers in under a minute":
//   1. cold start: process spawn to the first GET /ping 200, with the database up; peer: a bare Node process
//      serving "pong" (spawn to first answer), measured in the same run.
//   2. database comes up: the instance runs with its database unreachable (/ping 500), then a TCP forwarder to
//      PostgreSQL starts listening on the configured port; time from then to the first /ping 200.
//      Target: within a second.
import { connect as netConnect, createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { freePort } from '../../stack/src/ports.js';
import { shsBin, shsEnv } from '../../stack/src/shs-cli.js';
import { runBench, type BenchContext } from '../lib/harness.js';
import { ROOT } from '../lib/paths.js';
import { startBenchPostgres, type BenchDatabase } from '../lib/postgres.js';
import { startBackground } from '../lib/process.js';
import { fmtMs, fmtRatio, type Target } from '../lib/report.js';
import { median, max, ratio } from '../lib/stats.js';

const RUNS = 5;

/** Polls url every 5 ms until it answers 200; resolves with the time of that answer (performance clock). */
async function firstOk(url: string, boundMs: number): Promise<number> {
  const end = performance.now() + boundMs;
  for (;;) {
    const ok = await fetch(url, { signal: AbortSignal.timeout(1000) })
      .then((r) => r.status === 200)
      .catch(() => false);
    if (ok) return performance.now();
    if (performance.now() > end) throw new Error(`${url} did not answer 200 within ${boundMs} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

function env(db: BenchDatabase, port: number, dbPort: number): NodeJS.ProcessEnv {
  return shsEnv({
    SHS_DATABASE_HOSTS: `${db.host}:${dbPort}`,
    SHS_DATABASE_NAME: db.name,
    SHS_DATABASE_USER: db.user,
    SHS_DATABASE_PASSWORD: db.password,
    SHS_SERVER_HOST: '127.0.0.1',
    SHS_SERVER_PORT: String(port),
    SHS_LOG_REQUESTS: 'false',
  });
}

async function coldStart(ctx: BenchContext, db: BenchDatabase, i: number): Promise<number> {
  const port = await freePort();
  const t0 = performance.now();
  const proc = startBackground(process.execPath, [shsBin(ROOT), 'run_server'], join(ctx.workDir, `cold-${i}.log`), env(db, port, db.port));
  try {
    return (await firstOk(`http://127.0.0.1:${port}/ping`, 30_000)) - t0;
  } finally {
    await proc.stop();
  }
}

async function bareNode(ctx: BenchContext, i: number): Promise<number> {
  const port = await freePort();
  const t0 = performance.now();
  const script = `require('http').createServer((q, r) => r.end('pong')).listen(${port}, '127.0.0.1')`;
  const proc = startBackground(process.execPath, ['-e', script], join(ctx.workDir, `bare-${i}.log`));
  try {
    return (await firstOk(`http://127.0.0.1:${port}/`, 30_000)) - t0;
  } finally {
    await proc.stop();
  }
}

/** A TCP forwarder: the database "comes up" on `port` when this starts listening. */
function forwarder(port: number, target: { host: string; port: number }): Promise<Server> {
  const server = createServer((client) => {
    const upstream = netConnect(target.port, target.host);
    client.pipe(upstream).pipe(client);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve(server)));
}

async function databaseComesUp(ctx: BenchContext, db: BenchDatabase, i: number): Promise<number> {
  const port = await freePort();
  const dbPort = await freePort();
  const proc = startBackground(process.execPath, [shsBin(ROOT), 'run_server'], join(ctx.workDir, `db-up-${i}.log`), env(db, port, dbPort));
  try {
    // running, but not fit: /ping answers 500 while nothing listens on dbPort
    for (;;) {
      const status = await fetch(`http://127.0.0.1:${port}/ping`).then((r) => r.status).catch(() => 0);
      if (status === 500) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    await new Promise((r) => setTimeout(r, 300));
    const server = await forwarder(dbPort, db);
    const up = performance.now();
    try {
      return (await firstOk(`http://127.0.0.1:${port}/ping`, 30_000)) - up;
    } finally {
      server.close();
    }
  } finally {
    await proc.stop();
  }
}

runBench('startup', async (ctx) => {
  const db = await startBenchPostgres(ctx);
  const cold: number[] = [];
  const bare: number[] = [];
  const dbUp: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    bare.push(await bareNode(ctx, i));
    cold.push(await coldStart(ctx, db, i));
    dbUp.push(await databaseComesUp(ctx, db, i));
    ctx.log(`run ${i + 1}: bare node ${fmtMs(bare[i]!)}, shs cold start ${fmtMs(cold[i]!)}, database up -> /ping 200 ${fmtMs(dbUp[i]!)}`);
  }
  const targets: Target[] = [
    { name: 'first /ping 200 after the database comes up (max of runs)', target: 'within 1 s', measured: fmtMs(max(dbUp)), met: max(dbUp) < 1000 },
  ];
  return {
    tables: [
      {
        title: `Becoming fit to serve (${RUNS} runs each)`,
        columns: ['what', 'median', 'max', 'vs bare Node'],
        rows: [
          ['bare Node http server: spawn to first answer (peer)', fmtMs(median(bare)), fmtMs(max(bare)), '1.00x'],
          ['shs run_server, database up: spawn to first /ping 200', fmtMs(median(cold)), fmtMs(max(cold)), fmtRatio(ratio(median(cold), median(bare)))],
          ['shs running, database comes up: to first /ping 200', fmtMs(median(dbUp)), fmtMs(max(dbUp)), ''],
        ],
      },
    ],
    targets,
    notes: ['/ping opens a connection of its own to the database; the instance never waits for the database to start listening.'],
    results: { bare, cold, dbUp },
  };
});
