// A rolling restart under load with writes: SIGTERM each instance in turn (what a deploy does), wait until the
// supervisor has it back and the proxy routes to it again, then the next; three rounds, under a constant rate of
// reads, POST /api/session and DELETE of the sessions the load created. Nothing may fail, and the database must
// hold exactly what was acknowledged: every created session present, every deleted one gone.
// The rate: PIPELINE_TEST_ROLLOUT_RPS, default 200. While one instance restarts the other takes all of it, fresh from
// its own restart; when it stalls past the proxy's 1 s read timeout, the proxy asks it once more rather than the
// restarting one (balancer.lua). On the 2-core test machine (the stack and the load generator share it) 200 and
// 400 pass with other work running; 800 does not: one instance alone does not carry 800 here.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from './support/shs.js';
import { startStack, type TestStack } from './support/stack.js';
import { acknowledgedRows, describeOutcomes, startWriteLoad, type WriteLoadResult } from './support/write-load.js';

const RATE = Number(process.env.PIPELINE_TEST_ROLLOUT_RPS ?? 200);
if (!Number.isInteger(RATE) || RATE < 1) throw new Error(`PIPELINE_TEST_ROLLOUT_RPS: a whole number of requests a second, not ${process.env.PIPELINE_TEST_ROLLOUT_RPS}`);
const ROUNDS = 3;
const SETTLE_MS = 5000;

let stack: TestStack;

beforeAll(async () => {
  stack = await startStack({ instances: 2, faults: false });
});
afterAll(async () => stack?.stop());

async function peerUp(port: number): Promise<boolean> {
  return new RegExp(`shs_proxy_upstream_up\\{peer="127\\.0\\.0\\.1:${port}"\\} 1`).test(await stack.proxyMetrics());
}

describe('rolling restart', () => {
  it(`SIGTERM of each instance in turn, ${ROUNDS} rounds at ${RATE} RPS with writes: no failed request, the rows as acknowledged`, async () => {
    await eventually(async () => (await peerUp(stack.instancePorts[0]!)) && (await peerUp(stack.instancePorts[1]!)), 20_000, 100);
    const load = startWriteLoad({ base: stack.http, rate: RATE });
    const restarts: string[] = [];
    let result: WriteLoadResult;
    try {
      await new Promise((r) => setTimeout(r, 5000)); // the load's 3 s ramp, then steady
      for (let round = 1; round <= ROUNDS; round++) {
        for (const [i, name] of ['shs-1', 'shs-2'].entries()) {
          const pid = stack.pidOf(name);
          const before = stack.restartsOf(name);
          process.kill(pid, 'SIGTERM');
          // back: a new process, started by the supervisor, and routed to by the proxy again
          await eventually(async () => stack.restartsOf(name) > before && stack.pidOf(name) !== pid && stack.pidOf(name) !== 0 && (await peerUp(stack.instancePorts[i]!)), 30_000, 100);
          restarts.push(`${round}:${name}`);
          // as a deploy waits for a started node before the next (the cloud group: startup_duration): a fresh
          // process serves its first requests slowly (cold code), and must not take the whole load at once
          await new Promise((r) => setTimeout(r, SETTLE_MS));
        }
      }
      await new Promise((r) => setTimeout(r, 1000));
    } finally {
      result = await load.stop();
    }
    expect(restarts).toHaveLength(ROUNDS * 2);
    const { outcomes, created, deleted } = result;
    const failed = outcomes.filter((x) => x.status === 0 || x.status >= 400);
    const kinds = (k: string) => outcomes.filter((x) => x.kind === k).length;
    console.log(`rollout: ${outcomes.length} requests (${kinds('read')} reads, ${kinds('static')} static, ${kinds('create')} POST, ${kinds('delete')} DELETE), ${failed.length} failed, ${result.skipped} skipped; ${created.size} created, ${deleted.size} deleted`);
    expect(failed.length, describeOutcomes(outcomes)).toBe(0);
    expect(result.skipped).toBe(0);
    expect(outcomes.length).toBeGreaterThan(RATE * 10);
    expect(kinds('create')).toBeGreaterThan(1000);
    expect(kinds('delete')).toBeGreaterThan(1000);

    const rows = await acknowledgedRows(() => stack.dbClient(), result);
    expect(rows.present).toBe(rows.kept);
    expect(rows.notGone).toBe(0);
  }, 240_000);
});
