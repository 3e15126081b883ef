// The smoke checks: what a deployment of SHS must do, each judged from real requests. A failed check carries
// its evidence: the request, the status and an excerpt of the answer.
import type { HttpClient, RequestSpec, Response } from '../client.js';
import type { SampleIds } from '../load/mix.js';
import * as shape from './shapes.js';

export type Verdict = 'pass' | 'fail' | 'info';

export interface Evidence {
  request: string;
  status: number | null;
  excerpt: string;
}

export interface CheckResult {
  name: string;
  title: string;
  verdict: Verdict;
  detail: string;
  ms: number;
  evidence?: Evidence;
}

export interface CheckContext {
  /** Base URL of the API (the deployment's entry point). */
  base: string;
  /** HTTPS and plain HTTP entry points, when known. */
  httpsUrl: string | null;
  httpUrl: string | null;
  client: HttpClient;
  /** Ids known to exist (sampled before the checks). */
  ids: SampleIds;
}

/** Thrown inside a check: the check fails with this evidence. */
export class CheckFailure extends Error {
  constructor(
    message: string,
    readonly evidence?: Evidence,
  ) {
    super(message);
  }
}

/** Also thrown inside a check: the check is reported as information, neither pass nor fail. */
export class CheckInfo extends Error {}

export interface Check {
  name: string;
  title: string;
  run(ctx: CheckContext): Promise<string>;
}

function describe(spec: RequestSpec): string {
  return `${spec.method ?? 'GET'} ${spec.path}${spec.body ? ` ${spec.body.slice(0, 120)}` : ''}`;
}

function evidence(spec: RequestSpec, res: Response | null, base: string): Evidence {
  return {
    request: `${describe(spec)} (${base})`,
    status: res?.status ?? null,
    excerpt: res ? `${res.headers['content-type'] ?? ''} ${res.body.slice(0, 300)}`.trim() : '',
  };
}

async function call(ctx: CheckContext, spec: RequestSpec, base = ctx.base): Promise<Response> {
  try {
    return await ctx.client.request(base, spec);
  } catch (err) {
    throw new CheckFailure(`${describe(spec)}: ${(err as Error).message}`, evidence(spec, null, base));
  }
}

/** Calls and insists on a status; returns the response. */
async function expectStatus(ctx: CheckContext, spec: RequestSpec, status: number | number[], base = ctx.base): Promise<Response> {
  const res = await call(ctx, spec, base);
  const wanted = Array.isArray(status) ? status : [status];
  if (!wanted.includes(res.status))
    throw new CheckFailure(`${describe(spec)}: expected ${wanted.join(' or ')}, got ${res.status}`, evidence(spec, res, base));
  return res;
}

function expectJson(spec: RequestSpec, res: Response, base: string): unknown {
  if (!/^application\/json/.test(String(res.headers['content-type'] ?? '')))
    throw new CheckFailure(`${describe(spec)}: content type ${res.headers['content-type'] ?? 'none'}, not application/json`, evidence(spec, res, base));
  try {
    return JSON.parse(res.body);
  } catch {
    throw new CheckFailure(`${describe(spec)}: the body is not JSON`, evidence(spec, res, base));
  }
}

function expectShape(spec: RequestSpec, res: Response, base: string, problem: string | null): void {
  if (problem) throw new CheckFailure(`${describe(spec)}: ${problem}`, evidence(spec, res, base));
}

const json = (body: unknown): Pick<RequestSpec, 'headers' | 'body'> => ({ headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

export const CHECKS: Check[] = [
  {
    name: 'ping',
    title: 'GET /ping answers pong',
    async run(ctx) {
      const spec = { path: '/ping' };
      const res = await expectStatus(ctx, spec, 200);
      if (res.body.trim() !== 'pong') throw new CheckFailure(`expected "pong", got ${JSON.stringify(res.body.slice(0, 40))}`, evidence(spec, res, ctx.base));
      return `pong in ${res.ms.toFixed(0)} ms`;
    },
  },
  {
    name: 'root',
    title: 'GET / answers text',
    async run(ctx) {
      const spec = { path: '/' };
      const res = await expectStatus(ctx, spec, 200);
      if (!/^text\/plain/.test(String(res.headers['content-type']))) throw new CheckFailure(`content type ${res.headers['content-type']}, not text/plain`, evidence(spec, res, ctx.base));
      return 'text/plain';
    },
  },
  {
    name: 'movie',
    title: 'GET /api/movie/{id}: JSON movie',
    async run(ctx) {
      const spec = { path: `/api/movie/${ctx.ids.movies[0]}` };
      const res = await expectStatus(ctx, spec, 200);
      expectShape(spec, res, ctx.base, shape.movie(expectJson(spec, res, ctx.base)));
      return `movie ${ctx.ids.movies[0]}`;
    },
  },
  {
    name: 'customer',
    title: 'GET /api/customer/{id}: JSON customer',
    async run(ctx) {
      const spec = { path: `/api/customer/${ctx.ids.customers[0]}` };
      const res = await expectStatus(ctx, spec, 200);
      expectShape(spec, res, ctx.base, shape.customer(expectJson(spec, res, ctx.base)));
      return `customer ${ctx.ids.customers[0]}`;
    },
  },
  {
    name: 'session',
    title: 'GET /api/session/{id}: session with customer and movie',
    async run(ctx) {
      const spec = { path: `/api/session/${ctx.ids.sessions[0]}` };
      const res = await expectStatus(ctx, spec, 200);
      expectShape(spec, res, ctx.base, shape.session(expectJson(spec, res, ctx.base)));
      return `session ${ctx.ids.sessions[0]}`;
    },
  },
  {
    name: 'errors',
    title: 'unknown ids 404, malformed ids 400, with JSON errors',
    async run(ctx) {
      for (const [path, status] of [['/api/movie/2147483647', 404], ['/api/session/0', 404], ['/api/movie/abc', 400], ['/api/customer/-1', 400]] as const) {
        const spec = { path };
        const res = await expectStatus(ctx, spec, status);
        expectShape(spec, res, ctx.base, shape.error(expectJson(spec, res, ctx.base)));
      }
      const bad = { method: 'POST', path: '/api/session', ...json({ start_time: 'yesterday', customer_id: 1, movie_id: 1 }) };
      const res = await expectStatus(ctx, bad, 400);
      expectShape(bad, res, ctx.base, shape.error(expectJson(bad, res, ctx.base)));
      return '404 and 400 with {"error", "message"}';
    },
  },
  {
    name: 'lists',
    title: 'the lists answer (one request at a time)',
    async run(ctx) {
      const parts: string[] = [];
      for (const [path, limit] of [['/api/movie', Infinity], ['/api/customer', 100_000], ['/api/session', 100_000]] as const) {
        const spec = { path };
        const res = await expectStatus(ctx, spec, 200);
        const list = expectJson(spec, res, ctx.base);
        if (!Array.isArray(list) || list.length === 0) throw new CheckFailure(`${path}: expected a non-empty JSON array`, evidence(spec, res, ctx.base));
        if (list.length > limit) throw new CheckFailure(`${path}: ${list.length} rows, more than ${limit}`, evidence(spec, res, ctx.base));
        parts.push(`${path} ${list.length} rows in ${res.ms.toFixed(0)} ms`);
      }
      return parts.join('; ');
    },
  },
  {
    name: 'db_dummy',
    title: 'GET /db_dummy waits on the database',
    async run(ctx) {
      const spec = { path: '/db_dummy' };
      const res = await expectStatus(ctx, spec, 200);
      if (res.ms < 100) throw new CheckFailure(`answered in ${res.ms.toFixed(0)} ms: pg_sleep(0.1) cannot have run (or it was cached)`, evidence(spec, res, ctx.base));
      return `${res.ms.toFixed(0)} ms`;
    },
  },
  {
    name: 'operation',
    title: 'POST /operation answers facts about the host',
    async run(ctx) {
      const spec = { method: 'POST', path: '/operation', ...json({ operation: 7 }) };
      const res = await expectStatus(ctx, spec, 200);
      const body = expectJson(spec, res, ctx.base) as Record<string, unknown>;
      if (body.operation !== 7) throw new CheckFailure('the answer does not carry the operation', evidence(spec, res, ctx.base));
      return `served by ${String(body.instance ?? body.hostname ?? '?')}`;
    },
  },
  {
    name: 'write-cycle',
    title: 'create, read, delete a session; nothing left behind',
    async run(ctx) {
      const create = { method: 'POST', path: '/api/session', ...json({ start_time: '2021-12-09T16:12:52.059188Z', customer_id: ctx.ids.customers[0], movie_id: ctx.ids.movies[0] }) };
      const created = await expectStatus(ctx, create, 201);
      const body = expectJson(create, created, ctx.base) as { id?: unknown };
      expectShape(create, created, ctx.base, shape.session(body));
      const id = body.id as number;
      await expectStatus(ctx, { path: `/api/session/${id}` }, 200);
      await expectStatus(ctx, { method: 'DELETE', path: `/api/session/${id}` }, [200, 204]);
      await expectStatus(ctx, { path: `/api/session/${id}` }, 404);
      return `session ${id} created, read, deleted, gone`;
    },
  },
  {
    name: 'long-dummy-cache',
    title: '/long_dummy is answered from cache, never over 60 s stale',
    async run(ctx) {
      const spec = { path: '/long_dummy' };
      const first = await expectStatus(ctx, spec, 200);
      const second = await expectStatus(ctx, spec, 200);
      const produced = [first, second].map((r) => (JSON.parse(r.body) as { produced_at?: string }).produced_at);
      const cached = produced[0] !== undefined && produced[0] === produced[1];
      if (!cached) throw new CheckFailure(`two requests in a row got different answers (${produced.join(' / ')}): not cached`, evidence(spec, second, ctx.base));
      // Age by the server's own clock: its Date header against the production time in the body.
      const served = Date.parse(String(second.headers.date));
      const age = (served - Date.parse(produced[1]!)) / 1000;
      if (!Number.isFinite(age)) throw new CheckFailure('no Date header or no produced_at to judge staleness', evidence(spec, second, ctx.base));
      if (age > 61) throw new CheckFailure(`the cached answer is ${age.toFixed(0)} s old (limit 60 s)`, evidence(spec, second, ctx.base));
      return `cached (second answer in ${second.ms.toFixed(0)} ms), ${Math.max(0, age).toFixed(0)} s old`;
    },
  },
  {
    name: 'not-cached',
    title: 'nothing else is cached: answers that must change do',
    async run(ctx) {
      const op = { method: 'POST', path: '/operation', ...json({ operation: 1 }) };
      const a = await expectStatus(ctx, op, 200);
      await new Promise((r) => setTimeout(r, 20));
      const b = await expectStatus(ctx, op, 200);
      if (a.body === b.body) throw new CheckFailure('POST /operation answered the same body twice: cached', evidence(op, b, ctx.base));
      const create = { method: 'POST', path: '/api/session', ...json({ start_time: '2022-01-01T00:00:00Z', customer_id: ctx.ids.customers[0], movie_id: ctx.ids.movies[0] }) };
      const id = (JSON.parse((await expectStatus(ctx, create, 201)).body) as { id: number }).id;
      await expectStatus(ctx, { path: `/api/session/${id}` }, 200);
      await expectStatus(ctx, { method: 'DELETE', path: `/api/session/${id}` }, [200, 204]);
      const after = { path: `/api/session/${id}` };
      const res = await call(ctx, after);
      if (res.status !== 404) throw new CheckFailure(`a deleted session still answers ${res.status}: a stale (cached) answer`, evidence(after, res, ctx.base));
      return '/operation and a deleted session change as they must';
    },
  },
  {
    name: 'allowlist',
    title: 'only the contract routes are exposed',
    async run(ctx) {
      for (const path of ['/definitely/not/a/route', '/metrics', '/_fault']) {
        const spec = { path };
        const res = await call(ctx, spec);
        if (res.status !== 404 && res.status !== 403) throw new CheckFailure(`${path} answered ${res.status}: not refused`, evidence(spec, res, ctx.base));
      }
      const wrong = { method: 'DELETE', path: '/api/movie' };
      await expectStatus(ctx, wrong, 405);
      return 'unknown and internal paths refused, wrong method 405';
    },
  },
  {
    name: 'https',
    title: 'HTTPS answers with a valid certificate',
    async run(ctx) {
      if (!ctx.httpsUrl) throw new CheckInfo('no HTTPS URL given');
      const res = await expectStatus(ctx, { path: '/ping' }, 200, ctx.httpsUrl);
      return `${res.tls} at ${ctx.httpsUrl}`;
    },
  },
  {
    name: 'http',
    title: 'plain HTTP answers, without a redirect',
    async run(ctx) {
      if (!ctx.httpUrl) throw new CheckInfo('no plain HTTP URL given');
      const spec = { path: '/ping' };
      const res = await call(ctx, spec, ctx.httpUrl);
      if (res.status >= 300 && res.status < 400) throw new CheckFailure(`redirected (${res.status} to ${res.headers.location ?? '?'})`, evidence(spec, res, ctx.httpUrl));
      if (res.status !== 200) throw new CheckFailure(`expected 200, got ${res.status}`, evidence(spec, res, ctx.httpUrl));
      return `200 at ${ctx.httpUrl}`;
    },
  },
  {
    name: 'http3',
    title: 'HTTP/3 advertised (reported, not required)',
    async run(ctx) {
      if (!ctx.httpsUrl) throw new CheckInfo('no HTTPS URL given');
      // Information only, whatever goes wrong: a failing HTTPS entry point is the https check's business.
      let res: Response;
      try {
        res = await ctx.client.request(ctx.httpsUrl, { path: '/ping' });
      } catch (err) {
        throw new CheckInfo(`not checked: GET /ping at ${ctx.httpsUrl}: ${(err as Error).message}`);
      }
      const altSvc = String(res.headers['alt-svc'] ?? '');
      if (!/\bh3\b|h3=/.test(altSvc)) throw new CheckInfo('not advertised (no Alt-Svc h3)');
      return `Alt-Svc: ${altSvc}`;
    },
  },
];

export async function runChecks(ctx: CheckContext, checks: Check[] = CHECKS, onResult?: (r: CheckResult) => void): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  for (const check of checks) {
    const started = performance.now();
    let result: CheckResult;
    try {
      const detail = await check.run(ctx);
      result = { name: check.name, title: check.title, verdict: 'pass', detail, ms: performance.now() - started };
    } catch (err) {
      const info = err instanceof CheckInfo;
      result = {
        name: check.name,
        title: check.title,
        verdict: info ? 'info' : 'fail',
        detail: (err as Error).message,
        ms: performance.now() - started,
        ...(err instanceof CheckFailure && err.evidence ? { evidence: err.evidence } : {}),
      };
    }
    results.push(result);
    onResult?.(result);
  }
  return results;
}
