// Zero-error rollouts, on the real local stack: a hung instance (SIGSTOP for 20 s) under the full mix at 120
// requests per second (reads, POST /operation, POST /api/session with an Idempotency-Key) fails no request and
// duplicates no row; Idempotency-Key semantics (the first answer again, 422 for another body, 409 while in
// flight); and a write whose commit is slower than the proxy's write timeout is 504 outcome_unknown, not 503.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpClient, type RequestSpec } from '../actions/smoke/src/client.js';
import { eventually } from './support/shs.js';
import { startStack, type TestStack } from './support/stack.js';

const RATE = 120;
const HANG_SECONDS = 20;

let stack: TestStack;

beforeAll(async () => {
  stack = await startStack({ instances: 2, faults: true });
}, 180_000);
afterAll(async () => stack?.stop());

async function peerUp(port: number): Promise<boolean> {
  return new RegExp(`shs_proxy_upstream_up\\{peer="127\\.0\\.0\\.1:${port}"\\} 1`).test(await stack.proxyMetrics());
}
const allUp = () => eventually(async () => (await peerUp(stack.instancePorts[0]!)) && (await peerUp(stack.instancePorts[1]!)), 30_000, 100);

const session = (customer: number) => JSON.stringify({ start_time: '2024-01-01T00:00:00Z', customer_id: 1 + (customer % 500), movie_id: 1 + (customer % 29) });
const create = (body: string, key?: string) =>
  fetch(`${stack.http}/api/session`, { method: 'POST', headers: { 'content-type': 'application/json', ...(key ? { 'idempotency-key': key } : {}) }, body });

async function sessionCount(): Promise<number> {
  const db = await stack.dbClient();
  try {
    return Number((await db.query<{ n: string }>('SELECT count(*) AS n FROM sessions')).rows[0]!.n);
  } finally {
    await db.end();
  }
}

describe('Idempotency-Key', () => {
  it('a repeat gets the first answer and no second row; another body is 422', async () => {
    await allUp();
    const before = await sessionCount();
    const key = randomUUID();
    const first = await create(session(7), key);
    const firstBody = await first.text();
    expect(first.status, firstBody).toBe(201);
    const again = await create(session(7), key);
    expect(again.status).toBe(201);
    expect(await again.text()).toBe(firstBody);
    expect(again.headers.get('location')).toBe(first.headers.get('location'));
    const other = await create(session(8), key);
    expect(other.status).toBe(422);
    expect(await other.json()).toMatchObject({ error: 'idempotency_key_reused' });
    expect(await sessionCount()).toBe(before + 1);
  });
});

describe('a slow commit', () => {
  it('is 504 outcome_unknown (not 503); with a key, 409 while in flight, then the first answer; one row each', async () => {
    await allUp();
    const before = await sessionCount();
    const db = await stack.dbClient();
    let plain: Response;
    let keyedFirst: Response;
    const key = randomUUID();
    try {
      await db.query('BEGIN');
      await db.query('LOCK TABLE sessions IN SHARE ROW EXCLUSIVE MODE'); // every INSERT waits
      [plain, keyedFirst] = await Promise.all([create(session(11)), create(session(12), key)]);
    } finally {
      await db.query('COMMIT');
      await db.end();
    }
    expect(plain.status).toBe(504);
    expect(await plain.json()).toMatchObject({ error: 'outcome_unknown' });
    // the keyed one was replayed on the other instance, which found the first still in flight
    expect([409, 504]).toContain(keyedFirst.status);
    await eventually(async () => (await sessionCount()) === before + 2, 10_000, 100); // both commits went through
    const retry = await create(session(12), key);
    expect(retry.status).toBe(201);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(await sessionCount()).toBe(before + 2);
  }, 60_000);
});

describe('an instance that hangs inside a keyed create', () => {
  it('leaves the key to the replay: PostgreSQL ends its idle transaction, the other instance creates it once (201)', async () => {
    await allUp();
    const before = await sessionCount();
    const lock = await stack.dbClient();
    const watch = await stack.dbClient();
    const key = randomUUID();
    let victim = 0;
    const supervisor = stack.supervisorPid();
    let answer: Response | undefined;
    try {
      await lock.query('BEGIN');
      await lock.query('LOCK TABLE sessions IN SHARE ROW EXCLUSIVE MODE'); // the INSERT waits, inside its transaction
      const pending = create(session(21), key);
      // the instance whose session waits on the lock holds the key's advisory lock: it is the one to hang
      let name = '';
      await eventually(async () => {
        const r = await watch.query<{ application_name: string }>(
          "SELECT application_name FROM pg_stat_activity WHERE application_name LIKE 'shs:%' AND wait_event_type = 'Lock'",
        );
        name = r.rows[0]?.application_name.slice('shs:'.length) ?? '';
        return name !== '';
      }, 10_000, 20);
      victim = stack.pidOf(name);
      // the cloud's auto-healing takes far longer than the proxy's 5 s write timeout: the local supervisor, whose
      // liveness check would kill the hung instance (and so end its transaction) within about 4 s, is paused
      process.kill(supervisor, 'SIGSTOP');
      process.kill(victim, 'SIGSTOP');
      await lock.query('COMMIT'); // its INSERT goes through; its transaction then sits idle, never committed
      answer = await pending;
    } finally {
      if (victim) process.kill(victim, 'SIGCONT');
      process.kill(supervisor, 'SIGCONT');
      await lock.query('ROLLBACK').catch(() => undefined);
      await lock.end();
      await watch.end();
    }
    const body = await answer!.text();
    expect(answer!.status, body).toBe(201);
    expect(await sessionCount()).toBe(before + 1);
    const again = await create(session(21), key);
    expect(again.status).toBe(201);
    expect(await again.text()).toBe(body);
    expect(await sessionCount()).toBe(before + 1);
  }, 60_000);
});

interface Outcome {
  kind: 'read' | 'operation' | 'create';
  status: number;
  body?: string;
}

describe('a hung instance', () => {
  // The supervisor is paused for the hang, as the cloud's auto-healing would take longer than 20 s: the instance
  // stays hung the whole time, and it is the proxy (read-timeout ejection, replays of what is replayable) and
  // PostgreSQL (idle_in_transaction_session_timeout ends a create caught mid-transaction) that keep every answer.
  it(`SIGSTOP of one instance for ${HANG_SECONDS} s under the full mix at ${RATE} RPS: no failed request, no duplicate row`, async () => {
    await allUp();
    const before = await sessionCount();
    const client = new HttpClient({ timeoutMs: 15_000, maxSockets: 512 });
    const outcomes: Outcome[] = [];
    const created = new Set<string>();
    const inFlight = new Set<Promise<void>>();
    let n = 0;
    const fire = () => {
      const i = n++;
      const slot = i % 10;
      const kind: Outcome['kind'] = slot < 5 ? 'read' : slot < 7 ? 'operation' : 'create';
      const spec: RequestSpec =
        kind === 'read'
          ? { path: [`/api/movie/${1 + (i % 29)}`, `/api/customer/${1 + (i % 500)}`, `/api/session/${1 + (i % 5000)}`, '/'][i % 4]! }
          : kind === 'operation'
            ? { method: 'POST', path: '/operation', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ operation: i }) }
            : { method: 'POST', path: '/api/session', headers: { 'content-type': 'application/json', 'idempotency-key': `load-${i}-${randomUUID()}` }, body: session(i) };
      const p = client.request(stack.http, spec).then(
        (res) => {
          outcomes.push({ kind, status: res.status, ...(res.status >= 400 ? { body: res.body.slice(0, 200) } : {}) });
          if (kind === 'create' && res.status === 201) created.add(String((JSON.parse(res.body) as { id: number }).id));
        },
        (err: Error) => {
          outcomes.push({ kind, status: 0, body: err.message });
        },
      );
      const tracked = p.finally(() => inFlight.delete(tracked));
      inFlight.add(tracked);
    };
    const start = performance.now();
    const timer = setInterval(() => {
      const due = Math.floor(((performance.now() - start) / 1000) * RATE);
      while (n < due) fire();
    }, 5);
    const victim = stack.pidOf('shs-2');
    const supervisor = stack.supervisorPid();
    try {
      await new Promise((r) => setTimeout(r, 2000));
      process.kill(supervisor, 'SIGSTOP');
      process.kill(victim, 'SIGSTOP');
      await new Promise((r) => setTimeout(r, HANG_SECONDS * 1000));
    } finally {
      try {
        process.kill(victim, 'SIGCONT');
      } catch {
        /* the supervisor may have replaced it already */
      }
      process.kill(supervisor, 'SIGCONT');
    }
    await new Promise((r) => setTimeout(r, 3000));
    clearInterval(timer);
    while (inFlight.size > 0) await Promise.all([...inFlight]);
    client.close();

    const failed = outcomes.filter((x) => x.status === 0 || x.status >= 400);
    const count = (k: Outcome['kind']) => outcomes.filter((x) => x.kind === k).length;
    const byStatus: Record<string, number> = {};
    for (const x of outcomes) byStatus[`${x.kind} ${x.status}`] = (byStatus[`${x.kind} ${x.status}`] ?? 0) + 1;
    console.log(`hung instance: ${outcomes.length} requests (${count('read')} reads, ${count('operation')} /operation, ${count('create')} creates), ${failed.length} failed; ${JSON.stringify(byStatus)}`);
    expect(failed.length, JSON.stringify({ byStatus, examples: failed.slice(0, 8) })).toBe(0);
    expect(outcomes.length).toBeGreaterThan(RATE * (HANG_SECONDS + 3));
    // every acknowledged create is one row, and there is no other: sessions created = sessions acknowledged
    await new Promise((r) => setTimeout(r, 1000));
    expect(await sessionCount()).toBe(before + created.size);
    expect(created.size).toBe(count('create'));
  }, 120_000);
});
