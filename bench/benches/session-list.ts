// session-list: GET /api/session (100,000 sessions joined with customer and movie) end to end through one
// service instance, against its peer, the same SQL statement run directly (psql, and node-postgres).
import { runBench } from '../lib/harness.js';
import { timedGet, type TimedResponse } from '../lib/http.js';
import { startBenchPostgres } from '../lib/postgres.js';
import { sessionListQuery } from '../lib/queries.js';
import { type Target, fmtBytes, fmtMs, fmtRatio } from '../lib/report.js';
import { ensureFullDataset, startService } from '../lib/shs.js';
import { timeWithNodePg, timeWithPsql } from '../lib/sql-timing.js';
import { max, median, ratio } from '../lib/stats.js';

const WARMUP = 1;
const RUNS = 5;
const TARGET_S = 0.8;

runBench('session-list', async (ctx) => {
  const db = await startBenchPostgres(ctx);
  await ensureFullDataset(ctx, db);
  const service = await startService(ctx, db);
  const query = await sessionListQuery();

  ctx.log(`GET /api/session: ${WARMUP} warm-up + ${RUNS} runs, one at a time`);
  const http: TimedResponse[] = [];
  for (let i = 0; i < WARMUP + RUNS; i++) {
    const r = await timedGet(`${service.url}/api/session`);
    ctx.log(`  ${i < WARMUP ? 'warm-up' : `run ${i - WARMUP + 1}`}: ${r.status}, ${fmtBytes(r.bytes)}, ${fmtMs(r.total * 1000)}`);
    if (i >= WARMUP) http.push(r);
  }

  ctx.log(`peer: the same SQL through psql (${WARMUP} + ${RUNS} runs)`);
  const psql = (await timeWithPsql(db, query, WARMUP + RUNS)).slice(WARMUP);
  ctx.log(`peer: the same SQL through node-postgres (${WARMUP} + ${RUNS} runs)`);
  const nodePg = (await timeWithNodePg(db, query, WARMUP + RUNS)).slice(WARMUP);

  const httpTimes = http.map((r) => r.total);
  const nodePgTimes = nodePg.map((r) => r.seconds);
  const sqlMedian = median(psql);
  const statuses = [...new Set(http.map((r) => r.status))];
  const ok = statuses.length === 1 && statuses[0] === 200;
  const row = (label: string, times: number[], detail: string) => [
    label,
    fmtMs(median(times) * 1000),
    fmtMs(max(times) * 1000),
    fmtRatio(ratio(median(times), sqlMedian)),
    detail,
  ];
  const targets: Target[] = [
    {
      name: 'GET /api/session end to end (median)',
      target: `< ${TARGET_S * 1000} ms, status 200`,
      measured: `${fmtMs(median(httpTimes) * 1000)} (max ${fmtMs(max(httpTimes) * 1000)}), status ${statuses.join('/')}`,
      met: ok && median(httpTimes) < TARGET_S,
    },
  ];
  return {
    tables: [
      {
        title: `GET /api/session vs the same SQL (${RUNS} runs after ${WARMUP} warm-up; PostgreSQL ${db.version})`,
        columns: ['variant', 'median', 'max', 'vs SQL', 'detail'],
        rows: [
          row('GET /api/session (HTTP, time to last byte)', httpTimes, `status ${statuses.join('/')}, ${fmtBytes(median(http.map((r) => r.bytes)))} body, first byte at ${fmtMs(median(http.map((r) => r.ttfb)) * 1000)}`),
          row('SQL via node-postgres (service driver)', nodePgTimes, `${nodePg[0]?.rows ?? 0} rows as text arrays, not rendered`),
          row('SQL via psql (peer)', psql, 'psql \\timing, rows to /dev/null'),
        ],
        note: `vs SQL: median / median of the psql run. The statement is the service's own (Q.sessions), with ${Object.entries(query.settings).map(([k, v]) => `${k}=${v}`).join(', ') || 'no settings'}.`,
      },
    ],
    targets,
    notes: [
      'Each HTTP request uses a new connection, one request at a time; the body is counted, not kept.',
      'node-postgres runs the statement as the service does but renders nothing: HTTP minus node-postgres is rendering the JSON and sending it.',
    ],
    results: { http, psql_s: psql, node_pg: nodePg, query, target_s: TARGET_S },
  };
});
