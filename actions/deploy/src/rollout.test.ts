// The rollout poller against a fake Compute API on loopback. The fixtures are shaped after the documented API
// (instance_group.proto, instance_group_service.proto), not captured from a live cloud: see fixtures/rollout/README.md.
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { consoleUrl, RolloutError, summarizeGroup, waitForRollout, type RolloutOptions } from './rollout.js';

interface Recorded {
  status: number;
  body?: unknown;
  /** Test-only knobs, never in the fixture files: answer nothing, or drop the connection. */
  hang?: boolean;
  reset?: boolean;
}
interface Fixture {
  description?: string;
  responses: Record<string, Recorded[]>;
}
interface Seen {
  key: string;
  query: URLSearchParams;
  authorization: string | undefined;
}

const fixture = (name: string) => JSON.parse(readFileSync(new URL(`./fixtures/rollout/${name}.json`, import.meta.url), 'utf8')) as Fixture;

const APP = 'cl1q2rm7tmq5bd8ha0ek';
const PROXY = 'cl1fm8e0v3k6n1lsu2dh';
const STUCK_OUTDATED = 'cl1v6hn3e0rjq8kpt5ma';
const STUCK_HEALTH = 'cl1b0ud9k4sx2m7qe3ln';
const ERRORS = 'cl1h7pe2q9cv4jr6gd0x';

let server: Server | undefined;

afterEach(async () => {
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

/** Serves each path's recorded responses in order (the last repeats); records every request. */
async function serve(f: Fixture): Promise<{ base: string; seen: Seen[]; count: (key: string) => number }> {
  const seen: Seen[] = [];
  const served = new Map<string, number>();
  server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const pageToken = url.searchParams.get('pageToken');
    const key = url.pathname.replace(/^\/compute\/v1/, '') + (pageToken ? `?pageToken=${pageToken}` : '');
    seen.push({ key, query: url.searchParams, authorization: req.headers.authorization });
    const list = f.responses[key];
    if (!list?.length) {
      res.writeHead(418, { 'content-type': 'application/json' }).end(JSON.stringify({ code: 3, message: `no fixture for ${key}` }));
      return;
    }
    const n = served.get(key) ?? 0;
    served.set(key, n + 1);
    const r = list[Math.min(n, list.length - 1)]!;
    if (r.hang) return;
    if (r.reset) {
      req.socket.destroy();
      return;
    }
    res.writeHead(r.status, { 'content-type': 'application/json' }).end(JSON.stringify(r.body ?? {}));
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { base: `http://127.0.0.1:${port}/compute/v1`, seen, count: (key) => seen.filter((s) => s.key === key).length };
}

/** A clock that only moves when the poller sleeps. */
function fakeTime() {
  let t = 1_750_000_000_000;
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => t,
    sleep: async (ms: number) => {
      sleeps.push(ms);
      t += ms;
    },
  };
}

function options(base: string, groupIds: string[], extra: Partial<RolloutOptions> = {}) {
  const time = fakeTime();
  const lines: string[] = [];
  let tokens = 0;
  const o: RolloutOptions = {
    groupIds,
    apiBase: base,
    token: async () => `t1.secret-iam-token-${++tokens}`,
    timeoutMs: 600_000,
    intervalMs: 10_000,
    log: (line) => lines.push(line),
    sleep: time.sleep,
    now: time.now,
    ...extra,
  };
  return { o, time, lines, tokens: () => tokens };
}

async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a rejection');
}

describe('summarizeGroup', () => {
  const f = fixture('outdated-to-actual');
  const step = (n: number) => {
    const group = f.responses[`/instanceGroups/${APP}`]![n]!.body;
    const page = f.responses[`/instanceGroups/${APP}/instances`]![n]!.body as { instances: unknown[]; nextPageToken?: string };
    const rest = page.nextPageToken ? (f.responses[`/instanceGroups/${APP}/instances?pageToken=${page.nextPageToken}`]![0]!.body as { instances: unknown[] }).instances : [];
    return summarizeGroup(group, [...page.instances, ...rest]);
  };

  it('parses the int64-as-string counters and counts from the instance list', () => {
    expect(step(0)).toMatchObject({
      id: APP,
      name: 'app-group',
      status: 'ACTIVE',
      targetSize: 2,
      actual: 0,
      outdated: 2,
      processing: 0,
      reported: { actual: 0, outdated: 2, processing: 0 },
      done: false,
    });
    expect(step(0).instances).toEqual([
      { name: 'app-group-1', status: 'RUNNING_OUTDATED', statusMessage: 'Instance is running, but its template is outdated' },
      { name: 'app-group-2', status: 'RUNNING_OUTDATED', statusMessage: 'Instance is running, but its template is outdated' },
    ]);
    expect(step(5)).toMatchObject({ actual: 0, outdated: 1, processing: 1, done: false });
    expect(step(5).instances.map((i) => i.status)).toEqual(['CHECKING_HEALTH', 'RUNNING_OUTDATED']);
  });

  it('is done only when the list and the group counters agree; left-out zero counters are 0', () => {
    // the list shows both actual, the counters still one processing
    expect(step(10)).toMatchObject({ actual: 2, outdated: 0, processing: 0, reported: { actual: 1, outdated: 0, processing: 1 }, done: false });
    const last = step(11);
    expect((f.responses[`/instanceGroups/${APP}`]![11]!.body as { managedInstancesState: object }).managedInstancesState).not.toHaveProperty('runningOutdatedCount');
    expect(last).toMatchObject({ targetSize: 2, actual: 2, reported: { actual: 2, outdated: 0, processing: 0 }, done: true });
  });

  it('does not trust the counters alone', () => {
    const group = { id: 'g', name: 'g', status: 'ACTIVE', managedInstancesState: { targetSize: '2', runningActualCount: '2' } };
    const actual = { name: 'a', status: 'RUNNING_ACTUAL' };
    expect(summarizeGroup(group, [actual, { name: 'b', status: 'RUNNING_OUTDATED' }]).done).toBe(false);
    expect(summarizeGroup(group, [actual]).done).toBe(false); // one short of the target
    expect(summarizeGroup(group, [actual, { ...actual, name: 'b' }]).done).toBe(true);
    expect(summarizeGroup(group, [actual, { ...actual, name: 'b' }, { name: 'c', status: 'DELETED' }])).toMatchObject({ done: true, instances: [{ name: 'a' }, { name: 'b' }] });
    expect(summarizeGroup({ ...group, status: 'DEPLOYING' }, [actual, { ...actual, name: 'b' }]).done).toBe(false);
  });

  it('is never done at target size 0 and accepts int64 as numbers', () => {
    expect(summarizeGroup({ id: 'g', status: 'ACTIVE' }, []).done).toBe(false);
    expect(summarizeGroup({ id: 'g', status: 'ACTIVE', managedInstancesState: { targetSize: 0 } }, []).done).toBe(false);
    expect(summarizeGroup({ id: 'g', status: 'ACTIVE', managedInstancesState: { targetSize: 1, runningActualCount: 1 } }, [{ name: 'a', status: 'RUNNING_ACTUAL' }])).toMatchObject({
      name: 'g',
      targetSize: 1,
      done: true,
    });
  });

  it('rejects answers that are not the documented shape', () => {
    expect(() => summarizeGroup({ id: 'g', managedInstancesState: { targetSize: 'two' } }, [])).toThrow('managedInstancesState.targetSize: expected an int64, got "two"');
    expect(() => summarizeGroup([], [])).toThrow('instance group: expected a JSON object');
    expect(() => summarizeGroup({ id: 'g' }, [{ name: 'a' }])).toThrow('instances[0]: no "status"');
  });
});

describe('waitForRollout', () => {
  it('follows a rollout from outdated to actual, page by page, with the bearer token', async () => {
    const api = await serve(fixture('outdated-to-actual'));
    const { o, lines, time, tokens } = options(api.base, [APP, PROXY]);
    const groups = await waitForRollout(o);

    expect(groups.map((g) => [g.name, g.done, g.actual, g.targetSize])).toEqual([
      ['app-group', true, 2, 2],
      ['proxy-group', true, 2, 2],
    ]);
    // 12 recorded steps, one poll each; a done group is not asked again
    expect(api.count(`/instanceGroups/${APP}`)).toBe(12);
    expect(api.count(`/instanceGroups/${PROXY}`)).toBe(1);
    expect(time.sleeps).toEqual(Array(11).fill(10_000));
    // pagination: both second pages were asked for, with the page size
    expect(api.count(`/instanceGroups/${APP}/instances?pageToken=pg-3`)).toBe(1);
    expect(api.count(`/instanceGroups/${APP}/instances?pageToken=pg-8`)).toBe(1);
    expect(api.seen.filter((s) => s.key.includes('/instances')).every((s) => s.query.get('pageSize') === '1000')).toBe(true);
    // a fresh token each poll, sent as a bearer token on every request
    expect(tokens()).toBe(12);
    expect(api.seen.every((s) => /^Bearer t1\.secret-iam-token-\d+$/.test(s.authorization ?? ''))).toBe(true);
    expect(api.seen.at(-1)!.authorization).toBe('Bearer t1.secret-iam-token-12');

    // The groups are polled side by side: which one reports first depends on timing.
    expect(lines.slice(0, 2)).toContain('app-group: 0/2 actual, 2 outdated, 0 processing');
    expect(lines).toContain('proxy-group: 2/2 actual, 0 outdated, 0 processing - done');
    expect(lines).toContain('app-group: 0/2 actual, 1 outdated, 1 processing (CHECKING_HEALTH)');
    expect(lines).toContain('app-group: 2/2 actual, 0 outdated, 0 processing; group state says 1 actual, 0 outdated, 1 processing');
    expect(lines.at(-1)).toBe('app-group: 2/2 actual, 0 outdated, 0 processing - done');
    // a line only when something changed
    expect(new Set(lines).size).toBe(lines.length);
    expect(lines.join('\n')).not.toContain('secret-iam-token');
  });

  it('times out with rollout-timeout when an instance stays outdated', async () => {
    const api = await serve(fixture('stuck-outdated'));
    const { o, time, lines } = options(api.base, [STUCK_OUTDATED], { timeoutMs: 120_000 });
    const err = await rejection(waitForRollout(o));
    // 13 polls, 4 distinct states: a line per change, none for the repeats
    expect(lines).toEqual([
      'app-group: 0/2 actual, 2 outdated, 0 processing',
      'app-group: 0/2 actual, 1 outdated, 1 processing (UPDATING_INSTANCE)',
      'app-group: 0/2 actual, 1 outdated, 1 processing (CHECKING_HEALTH)',
      'app-group: 1/2 actual, 1 outdated, 0 processing',
    ]);

    expect(err).toBeInstanceOf(RolloutError);
    const e = err as RolloutError;
    expect(e.reason).toBe('rollout-timeout');
    expect(e.message).toMatch(/^rollout not finished after 120 s: 1 instance group not fully on the new template/);
    expect(e.message).toContain('app-group: 1/2 actual, 1 outdated, 0 processing');
    expect(e.message).toContain('app-group-2: RUNNING_OUTDATED');
    expect(e.message).toContain('app-group-1: RUNNING_ACTUAL');
    expect(e.groups).toHaveLength(1);
    expect(e.groups[0]).toMatchObject({ id: STUCK_OUTDATED, done: false, outdated: 1 });
    // polled up to the deadline, not past it
    expect(time.sleeps.reduce((a, b) => a + b, 0)).toBe(120_000);
    expect(api.count(`/instanceGroups/${STUCK_OUTDATED}`)).toBe(13);
  });

  it('times out with instances-unhealthy when a new instance never passes its health check', async () => {
    const api = await serve(fixture('stuck-health'));
    const { o } = options(api.base, [STUCK_HEALTH], { timeoutMs: 300_000 });
    const e = (await rejection(waitForRollout(o))) as RolloutError;

    expect(e).toBeInstanceOf(RolloutError);
    expect(e.reason).toBe('instances-unhealthy');
    expect(e.message).toMatch(/^instances not healthy after 300 s/);
    expect(e.message).toContain('app-group-2: CHECKING_HEALTH (Health check /ping on port 8080 failed)');
    expect(e.groups[0]).toMatchObject({ actual: 1, outdated: 0, processing: 1, done: false });
  });

  it('calls it a rollout timeout when one group is stuck outdated and another unhealthy', async () => {
    const api = await serve({ responses: { ...fixture('stuck-outdated').responses, ...fixture('stuck-health').responses } });
    const { o } = options(api.base, [STUCK_HEALTH, STUCK_OUTDATED], { timeoutMs: 100_000 });
    const e = (await rejection(waitForRollout(o))) as RolloutError;
    expect(e.reason).toBe('rollout-timeout');
    expect(e.message).toContain('2 instance groups');
    expect(e.message).toContain('app-group-2: CHECKING_HEALTH');
    expect(e.message).toContain('app-group-2: RUNNING_OUTDATED');
  });

  it('fails at once on 401, naming the group and the status', async () => {
    const api = await serve(fixture('unauthorized'));
    const { o, time } = options(api.base, [ERRORS]);
    const err = await rejection(waitForRollout(o));
    expect(err).not.toBeInstanceOf(RolloutError);
    expect(err.message).toContain(`instance group ${ERRORS}`);
    expect(err.message).toContain('(401)');
    expect(err.message).toContain('Token is invalid or has expired.');
    expect(err.message).not.toContain('secret-iam-token');
    expect(time.sleeps).toEqual([]);
    expect(api.seen).toHaveLength(1);
  });

  it('fails at once on 403', async () => {
    const api = await serve({ responses: { [`/instanceGroups/${ERRORS}`]: [{ status: 403, body: { code: 7, message: 'Permission denied' } }] } });
    const { o, time } = options(api.base, [ERRORS]);
    const err = await rejection(waitForRollout(o));
    expect(err.message).toMatch(/refused access \(403\).*Permission denied/);
    expect(time.sleeps).toEqual([]);
  });

  it('says a missing group is not found', async () => {
    const api = await serve(fixture('not-found'));
    const { o } = options(api.base, [ERRORS]);
    const err = await rejection(waitForRollout(o));
    expect(err).not.toBeInstanceOf(RolloutError);
    expect(err.message).toMatch(new RegExp(`^instance group ${ERRORS} not found`));
  });

  it('retries 503 and 429 on the next poll and then succeeds', async () => {
    const api = await serve(fixture('flaky-503'));
    const { o, lines, time } = options(api.base, [ERRORS]);
    const [g] = await waitForRollout(o);
    expect(g).toMatchObject({ name: 'app-group', done: true });
    expect(time.sleeps).toHaveLength(3);
    expect(lines.filter((l) => l.includes('answered 503: Service is unavailable (retrying at the next poll)'))).toHaveLength(2);
    expect(lines.filter((l) => l.includes('answered 429: Too many requests'))).toHaveLength(1);
    expect(lines.at(-1)).toBe('app-group: 2/2 actual, 0 outdated, 0 processing - done');
  });

  it('reports the last error when the API stays unavailable until the deadline', async () => {
    const api = await serve({ responses: { [`/instanceGroups/${ERRORS}`]: [{ status: 503, body: { code: 14, message: 'Service is unavailable' } }] } });
    const { o } = options(api.base, [ERRORS], { timeoutMs: 30_000 });
    const e = (await rejection(waitForRollout(o))) as RolloutError;
    expect(e).toBeInstanceOf(RolloutError);
    expect(e.reason).toBe('rollout-timeout');
    expect(e.message).toContain(`${ERRORS}: no answer from the Compute API`);
    expect(e.message).toMatch(/last error: GET http:\/\/127\.0\.0\.1:\d+\/compute\/v1\/instanceGroups\/cl1h7pe2q9cv4jr6gd0x answered 503: Service is unavailable/);
    expect(e.groups[0]).toMatchObject({ id: ERRORS, status: 'UNKNOWN', done: false });
  });

  it('retries request timeouts and dropped connections', async () => {
    const f = fixture('flaky-503');
    const ok = f.responses[`/instanceGroups/${ERRORS}`]!.at(-1)!;
    const api = await serve({
      responses: {
        [`/instanceGroups/${ERRORS}`]: [{ status: 200, hang: true }, { status: 200, reset: true }, ok],
        [`/instanceGroups/${ERRORS}/instances`]: [f.responses[`/instanceGroups/${ERRORS}/instances`]!.at(-1)!],
      },
    });
    const { o, lines } = options(api.base, [ERRORS], { requestTimeoutMs: 200 });
    const [g] = await waitForRollout(o);
    expect(g!.done).toBe(true);
    expect(lines[0]).toMatch(/failed: no answer within 200 ms \(retrying at the next poll\)$/);
    expect(lines[1]).toMatch(/failed: fetch failed/);
  });

  it('lets a client error other than 401/403/404 fail at once', async () => {
    const api = await serve({ responses: {} });
    const { o } = options(api.base, [ERRORS]);
    await expect(waitForRollout(o)).rejects.toThrow(/answered 418: no fixture for/);
  });
});

describe('consoleUrl', () => {
  it('links the instance group in the console', () => {
    expect(consoleUrl('b1g7qmf5nrh0ovnbm4ak', APP)).toBe(`https://console.yandex.cloud/folders/b1g7qmf5nrh0ovnbm4ak/compute/instance-group/${APP}`);
  });
});
