// The database going away, on the real local stack under load: PostgreSQL stopped for 10 s, then killed.
// Liveness (/livez, what the supervisor checks) does not depend on the database, readiness (/ping, what the
// proxy checks) does: no instance may be restarted for an outage, routes that need the database must fail fast
// (503, not timeouts), the others must keep answering, and full service must come back by itself right after
// the database does. A killed PostgreSQL is started again by the supervisor.
import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stackPaths } from '../stack/src/local.js';
import { PostgresServer } from '../stack/src/postgres.js';
import { readStatus } from '../stack/src/supervisor.js';
import { eventually } from './support/shs.js';
import { startStack, type TestStack } from './support/stack.js';
import { acknowledgedRows, describeOutcomes, startWriteLoad, type Outcome } from './support/write-load.js';

const RATE = 100;
const OUTAGE_MS = 10_000;
const CLIENT_TIMEOUT_MS = 10_000;

let stack: TestStack;
let postgresDir: string;

beforeAll(async () => {
  stack = await startStack({ instances: 2, faults: false });
  postgresDir = stackPaths(stack.stateDir).postgres;
});
afterAll(async () => stack?.stop());

async function peerUp(port: number): Promise<boolean> {
  return new RegExp(`shs_proxy_upstream_up\\{peer="127\\.0\\.0\\.1:${port}"\\} 1`).test(await stack.proxyMetrics());
}

/** Full service: both instances in rotation again and a database route answering through the proxy. */
async function fullService(): Promise<boolean> {
  if (!(await peerUp(stack.instancePorts[0]!)) || !(await peerUp(stack.instancePorts[1]!))) return false;
  return (await fetch(`${stack.http}/api/movie/1`)).status === 200;
}

const failed = (x: Outcome) => x.status === 0 || x.status >= 400;
const needsDatabase = (x: Outcome) => x.kind === 'read' || x.kind === 'create' || x.kind === 'delete';

/** The postmaster and every process it started (backends, checkpointer, ...), from /proc. */
function postgresProcesses(postmaster: number): number[] {
  const children = readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .filter((d) => {
      try {
        const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
        return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === postmaster;
      } catch {
        return false; // gone meanwhile
      }
    })
    .map(Number);
  return [postmaster, ...children];
}

/**
 * Runs the load, takes the database away with `begin` (resolving once it is away) for OUTAGE_MS, brings it back
 * with `end` (resolving once it answers again), and checks what the issue asks of an outage.
 */
async function outage(
  name: string,
  begin: () => Promise<void>,
  end: () => Promise<void>,
  limits: { readsWithinMs: number; writesWithinMs: number; outcomeUnknownWrites: boolean; backWithinMs: number; settleMs: number },
): Promise<void> {
  await eventually(fullService, 30_000, 100);
  expect((await fetch(`${stack.http}/long_dummy`)).status).toBe(200); // the cache holds it
  const restarts = { 'shs-1': stack.restartsOf('shs-1'), 'shs-2': stack.restartsOf('shs-2') };
  const load = startWriteLoad({ base: stack.http, rate: RATE, timeoutMs: CLIENT_TIMEOUT_MS, mix: { read: 3, static: 2, cached: 1, create: 1, delete: 1 } });
  let result;
  let stopping = 0;
  let down = 0;
  let up = 0;
  let backMs = -1;
  try {
    await new Promise((r) => setTimeout(r, 5000));
    stopping = performance.now();
    await begin();
    down = performance.now();
    await new Promise((r) => setTimeout(r, OUTAGE_MS));
    await end();
    up = performance.now();
    await eventually(fullService, limits.backWithinMs, 50);
    backMs = performance.now() - up;
    await new Promise((r) => setTimeout(r, limits.settleMs + 3000));
  } finally {
    result = await load.stop();
  }
  const { outcomes } = result;
  const before = outcomes.filter((x) => x.due + x.ms < stopping);
  const after = outcomes.filter((x) => x.due >= up + backMs + limits.settleMs);
  const max = (xs: Outcome[]) => Math.max(0, ...xs.map((x) => x.ms));
  // from the stop on (while it shuts down, database routes may still succeed) until it is back
  const dbDuring = outcomes.filter((x) => needsDatabase(x) && x.due >= down && x.due + x.ms <= up);
  const otherDuring = outcomes.filter((x) => !needsDatabase(x) && x.due >= stopping && x.due <= up + backMs);
  console.log(
    `${name}: ${outcomes.length} requests; during the outage ${dbDuring.length} needing the database (${dbDuring.filter((x) => x.status === 503).length} answered 503, slowest ${max(dbDuring).toFixed(0)} ms) ` +
      `and ${otherDuring.length} not (${otherDuring.filter((x) => x.status === 200).length} answered 200); full service ${backMs.toFixed(0)} ms after PostgreSQL answered again`,
  );

  // no restart: the supervisor checks liveness, which the database does not take down
  expect({ 'shs-1': stack.restartsOf('shs-1'), 'shs-2': stack.restartsOf('shs-2') }).toEqual(restarts);
  expect(before.filter(failed), describeOutcomes(before)).toHaveLength(0);
  // routes without the database answer as usual (the proxy still routes to instances that are alive but not ready)
  expect(otherDuring.length).toBeGreaterThan(RATE * 2);
  expect(otherDuring.filter(failed), describeOutcomes(otherDuring)).toHaveLength(0);
  // routes with it fail fast with 503, well within the client's timeout
  expect(dbDuring.length).toBeGreaterThan(RATE * 2);
  // (a write already sent to a database that then stops answering may yet happen: 504 outcome_unknown is the
  // honest answer to it, where allowed; never a 503 that says it did not happen)
  const write = (x: Outcome) => x.kind === 'create' || x.kind === 'delete';
  const honest = (x: Outcome) => x.status === 503 || (limits.outcomeUnknownWrites && write(x) && x.status === 504 && /outcome_unknown/.test(x.body ?? ''));
  expect(dbDuring.filter((x) => !honest(x)), describeOutcomes(dbDuring)).toHaveLength(0);
  expect(max(dbDuring.filter((x) => !write(x)))).toBeLessThan(limits.readsWithinMs);
  expect(max(dbDuring.filter(write))).toBeLessThan(limits.writesWithinMs);
  // and everything is back
  expect(after.filter(failed), describeOutcomes(after)).toHaveLength(0);
  expect(backMs).toBeGreaterThanOrEqual(0);

  // what was acknowledged is what the database holds
  const rows = await acknowledgedRows(() => stack.dbClient(), result);
  expect(rows.present).toBe(rows.kept);
  expect(rows.notGone).toBe(0);
}

describe('database outage', () => {
  it('PostgreSQL stopped for 10 s under load: no instance restarted, database routes 503 at once, the others 200, back by itself', async () => {
    await outage(
      'stopped',
      async () => {
        await PostgresServer.attach(postgresDir)!.stop('fast'); // a clean stop: the supervisor leaves it stopped
      },
      async () => {
        expect(readStatus(stackPaths(stack.stateDir).supervisorStatus)!.programs.find((p) => p.name === 'postgres')!.state).toBe('stopped');
        await PostgresServer.start({ dir: postgresDir }); // returns once it accepts connections
      },
      { readsWithinMs: CLIENT_TIMEOUT_MS / 4, writesWithinMs: CLIENT_TIMEOUT_MS / 4, outcomeUnknownWrites: false, backWithinMs: 2000, settleMs: 500 },
    );
  }, 120_000);

  // Frozen (every PostgreSQL process stopped: a VM paused, a network partition that drops packets): connections
  // stay open and nothing answers, so no error comes back by itself; a database route must still fail as fast.
  it('PostgreSQL frozen for 10 s under load: no instance restarted, reads 503 within 3.5 s, writes 503 or outcome_unknown, the others 200, back by itself', async () => {
    let frozen: number[] = [];
    await outage(
      'frozen',
      async () => {
        frozen = postgresProcesses(PostgresServer.attach(postgresDir)!.pid()!);
        for (const pid of frozen) process.kill(pid, 'SIGSTOP');
      },
      async () => {
        for (const pid of frozen) process.kill(pid, 'SIGCONT');
      },
      // reads 503 once a connection or a pool slot is not had within connect_timeout_ms (1 s); a read already sent
      // on a pooled connection waits out the proxy's read timeouts (1 s on each peer, and the last one up asked
      // once more: up to 3 s); a write sent on one waits out the write timeout (5 s) and is 504 outcome_unknown
      // after the thaw, PostgreSQL first works off the connection attempts queued while it was frozen, a fork for
      // each; the service makes one attempt at a time while its connections time out (Database.noteSlowHost), so
      // few are queued, and full service is back within a second (with a pool connecting freely, hundreds were,
      // and new connections kept timing out for up to 6 s after the thaw)
      { readsWithinMs: 3500, writesWithinMs: 6000, outcomeUnknownWrites: true, backWithinMs: 5000, settleMs: 1000 },
    );
  }, 120_000);

  it('PostgreSQL killed: the supervisor starts it again, and service comes back', async () => {
    await eventually(fullService, 30_000, 100);
    const pg = PostgresServer.attach(postgresDir)!;
    const victim = pg.pid()!;
    const before = stack.restartsOf('postgres');
    process.kill(victim, 'SIGKILL');
    const killed = performance.now();
    await eventually(async () => stack.restartsOf('postgres') > before && pg.pid() !== null && pg.pid() !== victim, 60_000, 100);
    await eventually(fullService, 30_000, 100);
    console.log(`killed PostgreSQL: running again and full service ${(performance.now() - killed).toFixed(0)} ms after the kill`);
    expect(readStatus(stackPaths(stack.stateDir).supervisorStatus)!.programs.find((p) => p.name === 'postgres')!.lastRestartReason).toMatch(/died/);
  }, 120_000);
});
