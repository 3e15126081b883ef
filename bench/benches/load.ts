// load: a full-scale `shs prepare_db --scale 1 --force` (500,000 customers, 29,019 movies, 5,000,000 sessions,
// keys and indexes) against its peer `pgbench -i -s 50 -q` (5,000,000 pgbench_accounts rows plus the primary
// key), both on the same PostgreSQL server, one after the other, each after a CHECKPOINT.
import { FULL_SCALE } from '../../shs/src/db/prepare.js';
import { runBench } from '../lib/harness.js';
import { checkpoint, startBenchPostgres } from '../lib/postgres.js';
import { pgbenchInit } from '../lib/pgbench.js';
import { type Target, fmtCount, fmtRatio, fmtS } from '../lib/report.js';
import { prepareDb } from '../lib/shs.js';

const TARGET_S = 15;
const PGBENCH_SCALE = 50; // 100,000 accounts per unit: 5,000,000 rows, as many as sessions
const PGBENCH_DB = 'bench_pgbench';
const SHS_ROWS = FULL_SCALE.customers + FULL_SCALE.movies + FULL_SCALE.sessions;
const PGBENCH_ROWS = PGBENCH_SCALE * (100_000 + 10 + 1); // accounts, tellers, branches

runBench('load', async (ctx) => {
  const db = await startBenchPostgres(ctx);
  await db.server.ensureDatabase(PGBENCH_DB, db.user, db.password);
  ctx.defer(`drop database ${PGBENCH_DB}`, () => db.server.dropDatabase(PGBENCH_DB));

  ctx.log(`peer: pgbench -i -s ${PGBENCH_SCALE} -q (5,000,000 rows + primary key)`);
  await checkpoint(db);
  const peer = await pgbenchInit(db, PGBENCH_DB, PGBENCH_SCALE);
  ctx.log(`peer done in ${peer.wallSeconds.toFixed(2)} s`);
  await db.server.dropDatabase(PGBENCH_DB); // its 5M rows are not needed any more: free the memory and disk

  ctx.log('shs prepare_db --scale 1 --force (full load with keys and indexes)');
  await checkpoint(db);
  const shs = await prepareDb(db, { scale: 1, force: true });
  ctx.log(`shs done in ${shs.wallSeconds.toFixed(2)} s`);

  const ratio = shs.wallSeconds / peer.wallSeconds;
  const targets: Target[] = [
    {
      name: 'prepare_db --scale 1 --force wall time',
      target: `< ${TARGET_S} s`,
      measured: fmtS(shs.wallSeconds),
      met: shs.wallSeconds < TARGET_S,
    },
  ];
  return {
    tables: [
      {
        title: `Full load on PostgreSQL ${db.version} (wall time, process start to exit)`,
        columns: ['load', 'rows', 'wall', 'reported by the tool', 'vs peer'],
        rows: [
          ['shs prepare_db --scale 1 --force', fmtCount(SHS_ROWS), fmtS(shs.wallSeconds), fmtS(shs.reportedSeconds ?? Number.NaN), fmtRatio(ratio)],
          [peer.command, fmtCount(PGBENCH_ROWS), fmtS(peer.wallSeconds), fmtS(peer.reportedSeconds), '1.00x'],
        ],
        note: 'vs peer: shs wall time / pgbench wall time (lower is faster)',
      },
      {
        title: 'shs prepare_db steps (as it printed them)',
        columns: ['step', 'time'],
        rows: shs.steps.map((s) => [s.step, fmtS(s.seconds)]),
      },
      {
        title: 'pgbench -i steps (as it printed them)',
        columns: ['step', 'time'],
        rows: peer.steps.map((s) => [s.step, fmtS(s.seconds)]),
      },
    ],
    targets,
    notes: [
      'Both loads run on the same server (fsync on, wal_level=minimal), one after the other, each after a CHECKPOINT.',
      'prepare_db generates its rows inside the server (INSERT ... SELECT), then builds 3 primary keys, 3 list indexes (the one on sessions covering), 2 foreign keys (NOT VALID), ANALYZEs and VACUUMs.',
      'pgbench -i sends its rows from the client (COPY), VACUUMs, then builds 4 primary keys (the big one on pgbench_accounts).',
    ],
    results: { shs, peer, ratio, target_s: TARGET_S },
  };
});
