// Load with writes, for the rollout and outage tests: an open model (requests start on a fixed schedule, whatever
// the server does, with a bound on those in flight) over reads, POST /api/session and DELETE of sessions this
// load created, remembering which creates and deletes were acknowledged so a test can check the rows afterwards.
import type pg from 'pg';
import { HttpClient, type RequestSpec } from '../../actions/smoke/src/client.js';

/** read: GET of one movie, customer or session; static: GET / or POST /operation; cached: GET /long_dummy. */
export type Kind = 'read' | 'static' | 'cached' | 'create' | 'delete';

export interface Outcome {
  kind: Kind;
  path: string;
  /** performance.now() when the request was due, and how long it took from then. */
  due: number;
  ms: number;
  /** 0: no answer (connection error or client timeout). */
  status: number;
  error?: string;
  /** The body, kept for failures only. */
  body?: string;
}

export interface WriteLoadResult {
  outcomes: Outcome[];
  /** Sessions whose POST was answered 201, by id. */
  created: Set<number>;
  /** Sessions whose DELETE was answered 204. */
  deleted: Set<number>;
  /** Requests that could not start because `maxInFlight` were already waiting. */
  skipped: number;
}

export interface WriteLoad {
  /** Stops starting requests, waits for those in flight, and returns what happened. */
  stop(): Promise<WriteLoadResult>;
  /** Outcomes so far (the array the result will hold). */
  readonly outcomes: Outcome[];
}

export interface WriteLoadOptions {
  base: string;
  rate: number;
  /** Reach `rate` linearly over this long (default 3 s): a cold start of a burst is not what is measured. */
  rampSeconds?: number;
  /** Per request; a request without an answer by then counts as failed (status 0). */
  timeoutMs?: number;
  maxInFlight?: number;
  /** Dataset bounds for reads and new sessions (the test stack's scale 0.001: 29 movies, 500 customers). */
  movies?: number;
  customers?: number;
  /** Weights of the mix (whole numbers), out of their sum. */
  mix?: Partial<Record<Kind, number>>;
}

const DEFAULT_MIX: Record<Kind, number> = { read: 5, static: 1, cached: 0, create: 2, delete: 2 };

/** Starts the load at once; stop() ends it. */
export function startWriteLoad(o: WriteLoadOptions): WriteLoad {
  const client = new HttpClient({ timeoutMs: o.timeoutMs ?? 10_000, maxSockets: 512 });
  const mix = { ...DEFAULT_MIX, ...o.mix };
  // a smooth weighted round robin: each slot goes to the kind furthest behind its share
  const kinds = (Object.keys(mix) as Kind[]).filter((k) => mix[k] > 0);
  const total = kinds.reduce((n, k) => n + mix[k], 0);
  const slots: Kind[] = [];
  const given = new Map(kinds.map((k) => [k, 0]));
  for (let i = 1; i <= total; i++) {
    const kind = kinds.reduce((best, k) => ((i * mix[k]) / total - given.get(k)! > (i * mix[best]) / total - given.get(best)! ? k : best));
    given.set(kind, given.get(kind)! + 1);
    slots.push(kind);
  }
  const movies = o.movies ?? 29;
  const customers = o.customers ?? 500;
  const maxInFlight = o.maxInFlight ?? 2000;
  const outcomes: Outcome[] = [];
  const created = new Set<number>();
  const deleted = new Set<number>();
  const deletable: number[] = [];
  const inFlight = new Set<Promise<void>>();
  let skipped = 0;
  let n = 0;
  let stopped = false;
  const start = performance.now();
  const ramp = Math.max(0.001, o.rampSeconds ?? 3);
  /** Requests due by t seconds: rate x t, but ramping up linearly over the first `ramp` seconds. */
  const dueBy = (t: number) => Math.floor(o.rate * (t < ramp ? (t * t) / (2 * ramp) : t - ramp / 2));
  /** When request i is due, in seconds (dueBy's inverse). */
  const dueAt = (i: number) => (i < (o.rate * ramp) / 2 ? Math.sqrt((2 * ramp * i) / o.rate) : i / o.rate + ramp / 2);

  const request = (kind: Kind, i: number, id: number | undefined): RequestSpec => {
    const json = { 'content-type': 'application/json' };
    switch (kind) {
      case 'create':
        return { method: 'POST', path: '/api/session', headers: json, body: JSON.stringify({ start_time: new Date().toISOString(), customer_id: 1 + (i % customers), movie_id: 1 + (i % movies) }) };
      case 'delete':
        return { method: 'DELETE', path: `/api/session/${id}` };
      case 'cached':
        return { path: '/long_dummy' };
      case 'static':
        return i % 2 === 0 ? { path: '/' } : { method: 'POST', path: '/operation', headers: json, body: JSON.stringify({ operation: i }) };
      case 'read':
        return [{ path: `/api/movie/${1 + (i % movies)}` }, { path: `/api/customer/${1 + (i % customers)}` }, { path: `/api/session/${1 + (i % 5000)}` }][i % 3]!;
    }
  };

  const fire = (i: number) => {
    let kind = slots[i % slots.length]!;
    let id: number | undefined;
    if (kind === 'delete') {
      id = deletable.shift();
      if (id === undefined) kind = 'read';
    }
    const spec = request(kind, i, id);
    const due = start + dueAt(i) * 1000;
    const p = client.request(o.base, spec).then(
      (res) => {
        const outcome: Outcome = { kind, path: spec.path, due, ms: performance.now() - due, status: res.status };
        if (res.status >= 400) outcome.body = res.body.slice(0, 200);
        outcomes.push(outcome);
        if (kind === 'create' && res.status === 201) {
          const made = (JSON.parse(res.body) as { id: number }).id;
          created.add(made);
          deletable.push(made);
        }
        if (kind === 'delete' && res.status === 204) deleted.add(id!);
      },
      (err: Error) => {
        outcomes.push({ kind, path: spec.path, due, ms: performance.now() - due, status: 0, error: err.message });
      },
    );
    const tracked = p.finally(() => inFlight.delete(tracked));
    inFlight.add(tracked);
  };

  const timer = setInterval(() => {
    if (stopped) return;
    const target = dueBy((performance.now() - start) / 1000);
    while (n < target) {
      if (inFlight.size >= maxInFlight) {
        skipped += target - n;
        n = target;
        break;
      }
      fire(n++);
    }
  }, 2);

  return {
    outcomes,
    async stop() {
      stopped = true;
      clearInterval(timer);
      while (inFlight.size > 0) await Promise.all([...inFlight]);
      client.close();
      return { outcomes, created, deleted, skipped };
    },
  };
}

/** Counts by status, and a few failures as examples, for assertion messages. */
export function describeOutcomes(outcomes: Outcome[]): string {
  const byStatus: Record<string, number> = {};
  for (const x of outcomes) byStatus[`${x.kind} ${x.status}`] = (byStatus[`${x.kind} ${x.status}`] ?? 0) + 1;
  const failures = outcomes.filter((x) => x.status === 0 || x.status >= 400).slice(0, 8);
  return JSON.stringify({ total: outcomes.length, byStatus, failures });
}

/**
 * What the database holds of what the load was told: of the sessions acknowledged created and not acknowledged
 * deleted (`kept`), how many are there (`present`); of those acknowledged deleted, how many are still there
 * (`notGone`). A delete answered 504 outcome_unknown may have happened: its session counts in neither.
 */
export async function acknowledgedRows(
  client: () => Promise<pg.Client>,
  result: Pick<WriteLoadResult, 'outcomes' | 'created' | 'deleted'>,
): Promise<{ kept: number; present: number; notGone: number }> {
  const unknown = new Set(result.outcomes.filter((x) => x.kind === 'delete' && x.status === 504).map((x) => Number(x.path.slice(x.path.lastIndexOf('/') + 1))));
  const kept = [...result.created].filter((id) => !result.deleted.has(id) && !unknown.has(id));
  const db = await client();
  try {
    const count = async (ids: number[]) => Number((await db.query<{ n: string }>('SELECT count(*) AS n FROM sessions WHERE id = ANY($1::bigint[])', [ids])).rows[0]!.n);
    return { kept: kept.length, present: await count(kept), notGone: await count([...result.deleted]) };
  } finally {
    await db.end();
  }
}
