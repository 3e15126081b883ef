// The faults the original deployment had to survive, on the real local stack (proxy, two SHS instances,
// supervisor, PostgreSQL) under a constant 120 requests per second of idempotent requests.
// POST and DELETE are left out of the load on purpose: a write that reached an instance which then died cannot
// be replayed safely, so it may fail by design (see proxy/README.md); the API tests cover writes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from './support/shs.js';
import { startLoad, summarize, type Sample } from './support/load.js';
import { startStack, type TestStack } from './support/stack.js';

const RATE = 120;
const PATHS = ['/api/movie/1', '/api/customer/2', '/api/session/3', '/ping', '/api/movie/4', '/db_dummy', '/api/session/5', '/long_dummy', '/'];

let stack: TestStack;

beforeAll(async () => {
  stack = await startStack({ instances: 2, faults: true });
});
afterAll(async () => stack?.stop());

async function peerUp(port: number): Promise<boolean> {
  const text = await stack.proxyMetrics();
  return new RegExp(`shs_proxy_upstream_up\\{peer="127\\.0\\.0\\.1:${port}"\\} 1`).test(text);
}

async function allHealthy(): Promise<void> {
  await eventually(async () => (await peerUp(stack.instancePorts[0]!)) && (await peerUp(stack.instancePorts[1]!)), 20_000, 100);
}

/** Runs load for `seconds`, calling `during` after `after` seconds; returns the samples. */
async function underLoad(seconds: number, after: number, during: () => Promise<void>): Promise<Sample[]> {
  const load = startLoad(stack.http, RATE, PATHS);
  await new Promise((r) => setTimeout(r, after * 1000));
  await during();
  await new Promise((r) => setTimeout(r, (seconds - after) * 1000));
  return load.stop();
}

function describeFailures(samples: Sample[]): string {
  const bad = samples.filter((s) => s.status < 200 || s.status >= 400);
  return JSON.stringify({ ...summarize(samples), examples: bad.slice(0, 5) });
}

describe('resilience at 120 RPS', () => {
  it('SIGKILL of one instance: no failed request, and the instance is back within 10 s', async () => {
    await allHealthy();
    const victim = stack.pidOf('shs-1');
    const restartsBefore = stack.restartsOf('shs-1');
    let killedAt = 0;
    const samples = await underLoad(8, 2, async () => {
      process.kill(victim, 'SIGKILL');
      killedAt = Date.now();
    });
    const s = summarize(samples);
    expect(s.total).toBeGreaterThan(RATE * 7);
    expect(s.failed, describeFailures(samples)).toBe(0);
    // back: restarted by the supervisor and healthy again behind the proxy, within 10 s of the kill
    await eventually(async () => stack.restartsOf('shs-1') > restartsBefore && (await peerUp(stack.instancePorts[0]!)), Math.max(0, killedAt + 10_000 - Date.now()), 100);
    expect(stack.pidOf('shs-1')).not.toBe(victim);
  });

  // A request in flight on the instance when it hangs waits out its route's read timeout and is retried on the
  // other one: /long_dummy's (longReadTimeoutMs, 2.5 s) keeps that within the client's 5 s.
  it('SIGSTOP of one instance (hung): no failed request, p99 under 1.5 s during the event', async () => {
    await allHealthy();
    const victim = stack.pidOf('shs-2');
    let stoppedAt = 0;
    const samples = await underLoad(7, 2, async () => {
      process.kill(victim, 'SIGSTOP');
      stoppedAt = performance.now();
    });
    try {
      process.kill(victim, 'SIGCONT');
    } catch {
      /* the supervisor may have replaced it already */
    }
    const during = samples.filter((x) => x.due >= stoppedAt);
    const s = summarize(samples);
    expect(s.failed, describeFailures(samples)).toBe(0);
    expect(during.length).toBeGreaterThan(RATE * 4);
    expect(summarize(during).p99).toBeLessThan(1500);
    expect(await stack.proxyMetrics()).toMatch(new RegExp(`shs_proxy_upstream_down_transitions_total\\{peer="127\\.0\\.0\\.1:${stack.instancePorts[1]}"\\} [1-9]`));
  });

  it('a sick instance (alive, /ping 500, requests failing) leaves rotation within 3 s with at most 0.1% errors', async () => {
    await allHealthy();
    const port = stack.instancePorts[0]!;
    let outAfterMs = -1;
    const samples = await underLoad(8, 2, async () => {
      await stack.fault(0, 'sick');
      const t0 = performance.now();
      await eventually(async () => !(await peerUp(port)), 3000, 50);
      outAfterMs = performance.now() - t0;
    });
    const s = summarize(samples);
    expect(outAfterMs).toBeGreaterThanOrEqual(0);
    expect(s.failed / s.total, describeFailures(samples)).toBeLessThanOrEqual(0.001);
    await stack.fault(0, 'healthy').catch(() => undefined); // or the supervisor has restarted it
  });

  it('both instances down: the proxy answers 503 at once, then recovers by itself', async () => {
    await allHealthy();
    const pids = [stack.pidOf('shs-1'), stack.pidOf('shs-2')];
    const samples = await underLoad(6, 1, async () => {
      for (const pid of pids) process.kill(pid, 'SIGKILL');
    });
    const statuses = new Set(samples.map((x) => x.status));
    for (const st of statuses) expect([200, 503], describeFailures(samples)).toContain(st);
    expect(samples.filter((x) => x.status === 0)).toHaveLength(0); // nobody hung or was cut off
    expect(summarize(samples.filter((x) => x.status === 503)).max).toBeLessThan(2000);
    await allHealthy();
    const r = await fetch(`${stack.http}/api/movie/1`);
    expect(r.status).toBe(200);
  });
});
