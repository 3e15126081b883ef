// The HTTP API on Fastify: routes, error mapping, one log line per request, metrics, health and the fault switch.
import { randomUUID } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { ApiError, badRequest, errorBody, notFound } from '../api/errors.js';
import { INT4_MAX, INT8_MAX, parseId } from '../api/ids.js';
import { IDEMPOTENCY_KEY_TTL_HOURS, expireKeys, fingerprint, once, parseIdempotencyKey } from '../api/idempotency.js';
import { parseNewSession, parseOperation } from '../api/inputs.js';
import { Repository } from '../api/repository.js';
import type { Config } from '../config.js';
import {
  type Database,
  DatabaseBusyError,
  DatabaseUnavailableError,
  PasswordUnavailableError,
  QueryAbortedError,
  ReadOnlyHostError,
  SchemaNotReadyError,
  isAuthFailure,
  isConnectionError,
} from '../db/database.js';
import { type ConnectionTracker, trackConnections } from './connections.js';
import { FAULT_MODES, FaultState, type FaultMode } from './faults.js';
import { Metrics, routeLabel } from './metrics.js';

export interface ServerDeps {
  config: Config;
  db: Database;
  instance: string;
  version: string;
}

export interface Server {
  app: FastifyInstance;
  metrics: Metrics;
  faults: FaultState;
  /** The HTTP connections, for a drain that cuts no request (see connections.ts). */
  connections: ConnectionTracker;
  /**
   * Set on SIGTERM: /ping answers 500 so the balancers take the instance out of rotation, while every other
   * route keeps answering; each response then carries Connection: close, so keep-alive connections end one by
   * one after their next answer instead of being cut while a request may be on its way.
   */
  startDraining(): void;
}

const JSON_TYPE = 'application/json; charset=utf-8';
const TEXT_TYPE = 'text/plain; charset=utf-8';
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'] as const;
type Method = (typeof METHODS)[number];
type Handler = (req: FastifyRequest, reply: FastifyReply) => Promise<unknown>;

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

function json(reply: FastifyReply, status: number, body: string): FastifyReply {
  return reply.code(status).type(JSON_TYPE).send(body);
}

/** What the body stream of a list buffers before its producer waits for 'drain' (two chunks of the longest list). */
const LIST_STREAM_HIGH_WATER = 1 << 20;

/**
 * Answers 200 with a JSON body produced in chunks. The status is sent only once the first chunk exists, so a
 * failure before any row (database down) is still a proper error answer; a failure after that can only cut
 * the connection, which the client sees as an incomplete answer.
 * Backpressure: when the body has LIST_STREAM_HIGH_WATER buffered, `write` returns a promise that settles on
 * 'drain' (or when the client is gone), and the producer reads no more rows until then. A client that reads
 * nothing for `stallMs` (0: no limit) is cut off, so it cannot hold a database connection forever.
 * The signal given to `produce` is aborted when the client goes away before the end (the query is cancelled).
 */
async function streamJson(
  reply: FastifyReply,
  stallMs: number,
  produce: (write: (chunk: string) => void | Promise<void>, signal: AbortSignal) => Promise<void>,
): Promise<FastifyReply> {
  const body = new PassThrough({ highWaterMark: LIST_STREAM_HIGH_WATER });
  const gone = new AbortController();
  const res = reply.raw;
  res.once('close', () => {
    if (!res.writableFinished) gone.abort();
  });
  const write = (chunk: string): void | Promise<void> => {
    if (gone.signal.aborted || body.destroyed || body.write(chunk)) return undefined;
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(stall);
        body.off('drain', done);
        body.off('close', done);
        gone.signal.removeEventListener('abort', done);
        resolve();
      };
      const stall = stallMs > 0 ? setTimeout(() => res.destroy(), stallMs) : undefined;
      body.once('drain', done);
      body.once('close', done);
      gone.signal.addEventListener('abort', done, { once: true });
    });
  };
  await new Promise<void>((resolve, reject) => {
    let started = false;
    produce((chunk) => {
      const wait = write(chunk);
      if (!started) {
        started = true;
        resolve();
      }
      return wait;
    }, gone.signal).then(
      () => {
        body.end();
        resolve();
      },
      (err: unknown) => {
        // a client that went away is not an error of ours: its stream just ends
        if (started) body.destroy(err instanceof QueryAbortedError ? undefined : (err as Error));
        else reject(err);
      },
    );
  });
  return reply.code(200).type(JSON_TYPE).send(body);
}

export function buildServer({ config, db, instance, version }: ServerDeps): Server {
  const repo = new Repository(db);
  const faults = new FaultState();
  const metrics = new Metrics(instance, () => db.stats());
  let draining = false;
  const startedAt = Date.now();
  const host = hostname(); // read once: a system call per request showed in profiles
  // The heavy routes (the three lists, /db_dummy) hold a database connection for long (a list also a core): at
  // most heavyLimit of them run at once, more are refused at once (see heavy()).
  const heavyLimit = config.server.heavy_concurrency || Math.max(1, Math.floor(config.database.pool_size / 2));
  let heavyInFlight = 0;
  metrics.trackHeavy(() => ({ inFlight: heavyInFlight, limit: heavyLimit }));
  // A list whose client reads nothing for this long is cut off: it would hold its database connection (a query
  // blocked sending rows escapes the statement timeout).
  const listStallMs = config.database.statement_timeout_ms;

  const app = Fastify({
    logger: {
      level: config.log.level,
      base: { instance },
      messageKey: 'msg',
      timestamp: () => `,"time":"${new Date().toISOString()}"`,
      formatters: { level: (label) => ({ level: label }) },
    },
    disableRequestLogging: true,
    bodyLimit: config.server.body_limit_bytes,
    // Once closing (after the shutdown delay), requests still arriving on open connections are served, with
    // Connection: close, rather than refused: a refused write could not be replayed by the proxy.
    return503OnClosing: false,
    forceCloseConnections: 'idle',
    keepAliveTimeout: 65_000, // longer than the proxy's upstream keepalive, so the proxy closes first
    requestIdLogLabel: 'req_id',
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false } },
    // Requests Node's parser rejects (malformed framing, oversized headers): our JSON error, then close.
    clientErrorHandler: (err, socket) => {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ECONNRESET' || !socket.writable) return void socket.destroy();
      const [status, text] =
        code === 'HPE_HEADER_OVERFLOW' ? [431, 'Request Header Fields Too Large'] : code === 'ERR_HTTP_REQUEST_TIMEOUT' ? [408, 'Request Timeout'] : [400, 'Bad Request'];
      const body = errorBody('bad_request', `malformed HTTP request (${code ?? 'parse error'})`);
      socket.end(
        `HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: ${JSON_TYPE}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
      );
    },
  });

  app.addHook('onSend', async (req, reply, payload) => {
    reply.header('x-request-id', req.id);
    // While draining, close each keep-alive connection after its response so the drain can finish.
    if (draining) reply.header('connection', 'close');
    if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
    return payload;
  });

  const record = (req: FastifyRequest, status: number, elapsedMs: number) => {
    const route = routeLabel(req.routeOptions.url);
    metrics.observe(req.method, route, status, elapsedMs / 1000);
    if (config.log.requests)
      req.log.info({ method: req.method, route, path: req.url.split('?')[0], status, ms: Math.round(elapsedMs * 10) / 10 }, 'request');
  };
  app.addHook('onResponse', async (req, reply) => record(req, reply.statusCode, reply.elapsedTime));
  // A client (or proxy) that gave up before the answer: counted as 499, like nginx does.
  const requestStart = new WeakMap<FastifyRequest, number>();
  app.addHook('onRequest', async (req) => {
    requestStart.set(req, performance.now());
  });
  app.addHook('onRequestAbort', async (req) => record(req, 499, performance.now() - (requestStart.get(req) ?? performance.now())));

  // Fault switch effects, before any route runs (the switch itself stays reachable).
  app.addHook('onRequest', async (req, reply) => {
    if (faults.mode === 'healthy' || req.routeOptions.url === '/_fault' || req.routeOptions.url === '/metrics') return;
    if (faults.mode === 'slow') {
      await sleep(config.faults.slow_delay_ms);
      return;
    }
    return json(reply, 500, errorBody('sick', 'this instance is sick (fault switch)'));
  });

  app.setErrorHandler((err: unknown, req, reply) => {
    if (err instanceof ApiError) return json(reply, err.status, errorBody(err.code, err.message));
    // The client went away before its list started: nobody to answer (counted as 499 by onRequestAbort).
    if (err instanceof QueryAbortedError) {
      req.log.debug('list cancelled: the client went away');
      return reply.code(499).send();
    }
    const e = err as { statusCode?: number; code?: string; message?: string; validation?: unknown };
    if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
      const code = e.statusCode === 413 ? 'payload_too_large' : e.statusCode === 415 ? 'unsupported_media_type' : 'bad_request';
      return json(reply, e.statusCode, errorBody(code, e.message ?? 'bad request'));
    }
    // Every connection of the pool busy for connect_timeout_ms: this instance is overloaded, the database is not
    // known to be down (another instance may answer).
    if (err instanceof DatabaseBusyError) {
      req.log.warn({ err: { message: err.message } }, 'database pool busy');
      return json(reply, 503, errorBody('database_busy', 'every database connection of this instance is busy; try again'));
    }
    // A refused or not yet obtained password: this instance cannot use the database now (another may).
    // So is a host that does not accept writes (a standby, or demoted: 25006) while no other one does.
    if (
      isConnectionError(err) ||
      e.code === '57014' /* statement timeout */ ||
      e.code === '25006' /* read-only transaction */ ||
      err instanceof ReadOnlyHostError ||
      err instanceof DatabaseUnavailableError ||
      err instanceof PasswordUnavailableError ||
      isAuthFailure(err)
    ) {
      req.log.warn({ err: { message: e.message, code: e.code } }, 'database unavailable');
      // The shared database refused (not this instance's own trouble: its password, its pool): another instance
      // would ask the same database, so the proxy passes this on instead of trying the next peer.
      if (!(err instanceof PasswordUnavailableError) && !isAuthFailure(err)) reply.header('x-shs-retryable', 'false');
      return json(reply, 503, errorBody('database_unavailable', 'the database cannot be reached; try again'));
    }
    req.log.error({ err }, 'unhandled error');
    return json(reply, 500, errorBody('internal', 'internal error'));
  });

  app.setNotFoundHandler((req, reply) => json(reply, 404, errorBody('not_found', `no route for ${req.method} ${req.url.split('?')[0]}`)));

  // Idempotency keys older than IDEMPOTENCY_KEY_TTL_HOURS are deleted at most this often per instance.
  const KEY_EXPIRY_EVERY_MS = (IDEMPOTENCY_KEY_TTL_HOURS * 3_600_000) / 144;
  let keysExpiredAt = 0;

  /**
   * At most heavyLimit heavy requests in flight, from the handler's start to the end of the response (or the
   * client's going away): more are answered 503 `overloaded` with Retry-After: 1 at once, so that a burst of
   * them cannot take the whole pool (the light routes need connections) nor every core (a list renders JSON).
   */
  const heavy =
    (handler: Handler): Handler =>
    async (req, reply) => {
      if (heavyInFlight >= heavyLimit) return overloaded(reply);
      heavyInFlight += 1;
      reply.raw.once('close', () => {
        heavyInFlight -= 1;
      });
      return handler(req, reply);
    };
  const overloaded = (reply: FastifyReply) => {
    reply.header('retry-after', '1');
    return json(reply, 503, errorBody('overloaded', `this instance is already serving ${heavyLimit} heavy requests (lists, /db_dummy); try again shortly`));
  };
  // HEAD of a list: the headers its GET would have, without running the query. No body is built, so no
  // Content-Length is sent (the GET's is chunked); the status is what the GET would answer now: 503 while the
  // heavy requests are at their limit or while the database was unreachable at the last attempt, else 200.
  const listHead: Handler = async (_req, reply) => {
    if (heavyInFlight >= heavyLimit) return overloaded(reply);
    if (!db.stats().up) return json(reply, 503, errorBody('database_unavailable', 'the database cannot be reached; try again'));
    return reply.code(200).type(JSON_TYPE).send();
  };

  // Routes: path -> method -> handler. Other methods on a known path answer 405 with Allow.
  const routes: Record<string, Partial<Record<Method, Handler>>> = {
    '/': { GET: async (_req, reply) => reply.type(TEXT_TYPE).send('SHS: the session history storage of Filmopoisk\n') },
    // Liveness: the process answers. Nothing else is checked (not the database: an outage must not get every
    // instance restarted), and it stays 200 while draining. What restarts a process (the local supervisor, the
    // cloud instance group) checks this; what routes traffic (the proxy) checks /ping.
    '/livez': { GET: async (_req, reply) => reply.type(TEXT_TYPE).send('alive') },
    '/ping': {
      GET: async (req, reply) => {
        if (draining) return reply.code(500).type(TEXT_TYPE).send('draining\n');
        if (faults.mode === 'sick') return reply.code(500).type(TEXT_TYPE).send('sick\n');
        try {
          await db.checkHealth();
        } catch (err) {
          if (err instanceof PasswordUnavailableError) {
            req.log.warn({ err: { message: err.message } }, 'ping: database password unavailable');
            return reply.code(500).type(TEXT_TYPE).send('database password unavailable\n');
          }
          if (err instanceof ReadOnlyHostError) {
            req.log.warn({ err: { message: err.message } }, 'ping: database does not accept writes');
            return reply.code(500).type(TEXT_TYPE).send('database does not accept writes\n');
          }
          if (err instanceof SchemaNotReadyError) {
            req.log.warn({ err: { message: err.message } }, 'ping: schema not ready');
            return reply.code(500).type(TEXT_TYPE).send('schema not ready\n');
          }
          req.log.warn({ err: { message: (err as Error).message } }, 'ping: database unreachable');
          return reply.code(500).type(TEXT_TYPE).send('database unreachable\n');
        }
        return reply.type(TEXT_TYPE).send('pong');
      },
    },
    '/long_dummy': {
      GET: async (_req, reply) => {
        await sleep(config.long_dummy.delay_ms);
        reply.header('cache-control', 'public, max-age=30, stale-while-revalidate=30');
        return json(reply, 200, JSON.stringify({ produced_at: new Date().toISOString(), instance }));
      },
    },
    '/db_dummy': {
      GET: heavy(async (_req, reply) => {
        await repo.dbDummy();
        return reply.type(TEXT_TYPE).send('ok');
      }),
    },
    '/operation': {
      POST: async (req, reply) => {
        const operation = parseOperation(req.body);
        return json(
          reply,
          200,
          JSON.stringify({
            operation,
            instance,
            hostname: host,
            pid: process.pid,
            version,
            uptime_seconds: Math.round((Date.now() - startedAt) / 1000),
            time: new Date().toISOString(),
          }),
        );
      },
    },
    '/api/movie': {
      GET: heavy(async (_req, reply) => streamJson(reply, listStallMs, (write, signal) => repo.movies(write, signal))),
      HEAD: listHead,
    },
    '/api/movie/:id': {
      GET: async (req, reply) => {
        const id = parseId((req.params as { id?: string }).id, INT4_MAX, 'movie');
        const body = id.kind === 'id' ? await repo.movie(id.value) : null;
        if (body === null) throw notFound(`movie ${(req.params as { id: string }).id} does not exist`);
        return json(reply, 200, body);
      },
    },
    '/api/customer': {
      GET: heavy(async (_req, reply) => streamJson(reply, listStallMs, (write, signal) => repo.customers(write, signal))),
      HEAD: listHead,
    },
    '/api/customer/:id': {
      GET: async (req, reply) => {
        const id = parseId((req.params as { id?: string }).id, INT4_MAX, 'customer');
        const body = id.kind === 'id' ? await repo.customer(id.value) : null;
        if (body === null) throw notFound(`customer ${(req.params as { id: string }).id} does not exist`);
        return json(reply, 200, body);
      },
    },
    '/api/session': {
      GET: heavy(async (_req, reply) => streamJson(reply, listStallMs, (write, signal) => repo.sessions(write, signal))),
      POST: async (req, reply) => {
        const key = parseIdempotencyKey(req.headers['idempotency-key']);
        const input = parseNewSession(req.body);
        if (key === null) {
          const created = await repo.createSession(input);
          reply.header('location', `/api/session/${created.id}`);
          return json(reply, 201, created.json);
        }
        const answer = await once(db, key, fingerprint('POST', '/api/session', req.body), async (client) => {
          const created = await repo.createSession(input, client);
          return { status: 201, body: created.json, location: `/api/session/${created.id}` };
        });
        if (Date.now() - keysExpiredAt > KEY_EXPIRY_EVERY_MS) {
          keysExpiredAt = Date.now();
          expireKeys(db).catch((err: Error) => req.log.warn({ err: { message: err.message } }, 'expiring idempotency keys'));
        }
        if (answer.location) reply.header('location', answer.location);
        if (answer.replayed) reply.header('idempotent-replayed', 'true');
        return json(reply, answer.status, answer.body);
      },
      HEAD: listHead,
    },
    '/api/session/:id': {
      GET: async (req, reply) => {
        const id = parseId((req.params as { id?: string }).id, INT8_MAX, 'session');
        const body = id.kind === 'id' ? await repo.session(id.value) : null;
        if (body === null) throw notFound(`session ${(req.params as { id: string }).id} does not exist`);
        return json(reply, 200, body);
      },
      DELETE: async (req, reply) => {
        const id = parseId((req.params as { id?: string }).id, INT8_MAX, 'session');
        const deleted = id.kind === 'id' ? await repo.deleteSession(id.value) : false;
        if (!deleted) throw notFound(`session ${(req.params as { id: string }).id} does not exist`);
        return reply.code(204).send();
      },
    },
    '/metrics': {
      GET: async (_req, reply) => reply.type(metrics.contentType).send(await metrics.text()),
    },
  };

  if (config.faults.enabled) {
    routes['/_fault'] = {
      GET: async (_req, reply) => json(reply, 200, JSON.stringify({ mode: faults.mode })),
      POST: async (req, reply) => {
        const mode = (req.body as { mode?: unknown } | null)?.mode;
        if (typeof mode !== 'string' || !FAULT_MODES.includes(mode as FaultMode))
          throw badRequest(`mode must be one of ${FAULT_MODES.join(', ')}`);
        req.log.warn({ mode }, 'fault switch');
        if (mode === 'crash') {
          reply.raw.on('finish', () => process.kill(process.pid, 'SIGKILL'));
          return json(reply, 202, JSON.stringify({ mode }));
        }
        faults.mode = mode as Exclude<FaultMode, 'crash'>;
        return json(reply, 200, JSON.stringify({ mode }));
      },
    };
  }

  for (const [url, handlers] of Object.entries(routes)) {
    const allowed = Object.keys(handlers) as Method[];
    if (allowed.includes('GET') && !allowed.includes('HEAD')) allowed.push('HEAD');
    for (const [method, handler] of Object.entries(handlers) as [Method, Handler][]) {
      app.route({ method, url, handler, exposeHeadRoute: method === 'GET' && !handlers.HEAD });
    }
    const others = METHODS.filter((m) => !allowed.includes(m));
    if (others.length > 0)
      app.route({
        method: others,
        url,
        handler: async (req, reply) => {
          reply.header('allow', allowed.join(', '));
          return json(reply, 405, errorBody('method_not_allowed', `${req.method} is not allowed on ${url} (allowed: ${allowed.join(', ')})`));
        },
      });
  }

  return {
    app,
    metrics,
    faults,
    connections: trackConnections(app.server),
    startDraining() {
      draining = true;
    },
  };
}
