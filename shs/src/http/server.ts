// The HTTP API on Fastify, assembled: server options, one log line and the metrics per request, request ids,
// the error mapping, 404 and 405 answers, and the drain. The routes are in routes/, one module per job, their
// params and bodies checked by the schemas of schemas.ts.
import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyRequest, LogController } from 'fastify';
import { ApiError, errorBody } from '../api/errors.js';
import { Repository } from '../api/repository.js';
import type { Config } from '../config.js';
import {
  type DatabaseAccess,
  DatabaseBusyError,
  DatabaseUnavailableError,
  PasswordUnavailableError,
  QueryAbortedError,
  ReadOnlyHostError,
  isAuthFailure,
  isConnectionError,
} from '../db/database.js';
import { type ConnectionTracker, trackConnections } from './connections.js';
import type { RegisterRoutes, RouteContext } from './context.js';
import { FaultState } from './faults.js';
import { HeavyLimit } from './heavy.js';
import { Metrics, routeLabel } from './metrics.js';
import { JSON_TYPE, json } from './reply.js';
import * as customers from './routes/customers.js';
import * as dummies from './routes/dummies.js';
import * as faultSwitch from './routes/faults.js';
import * as health from './routes/health.js';
import * as metricsRoute from './routes/metrics.js';
import * as movies from './routes/movies.js';
import * as operation from './routes/operation.js';
import * as sessions from './routes/sessions.js';
import { type SchemaTypeProvider, compileSchema } from './schemas.js';

export interface ServerDeps {
  config: Config;
  db: DatabaseAccess;
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

/** Every route module. */
const ROUTES: RegisterRoutes[] = [
  health.register,
  dummies.register,
  operation.register,
  movies.register,
  customers.register,
  sessions.register,
  metricsRoute.register,
  faultSwitch.register,
];

/** The methods a 405 can name; a known path answers 405 with Allow for those it does not serve. */
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'] as const;

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export function buildServer({ config, db, instance, version }: ServerDeps): Server {
  let draining = false;
  const metrics = new Metrics(instance, () => db.stats());
  // The heavy routes (the three lists, /db_dummy): at most this many at once, more are refused (heavy.ts).
  const heavy = new HeavyLimit(config.server.heavy_concurrency || Math.max(1, Math.floor(config.database.pool_size / 2)));
  metrics.trackHeavy(() => ({ inFlight: heavy.inFlight, limit: heavy.limit }));

  const app = Fastify({
    logger: {
      level: config.log.level,
      base: { instance },
      messageKey: 'msg',
      timestamp: () => `,"time":"${new Date().toISOString()}"`,
      formatters: { level: (label) => ({ level: label }) },
    },
    // Fastify's own request lines are off: one line per request is written by the onResponse hook below.
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'req_id' }),
    bodyLimit: config.server.body_limit_bytes,
    // Once closing (after the shutdown delay), requests still arriving on open connections are served, with
    // Connection: close, rather than refused: a refused write could not be replayed by the proxy.
    return503OnClosing: false,
    forceCloseConnections: 'idle',
    keepAliveTimeout: 65_000, // longer than the proxy's upstream keepalive, so the proxy closes first
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
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
  }).withTypeProvider<SchemaTypeProvider>();
  app.setValidatorCompiler(compileSchema);

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

  app.setErrorHandler((err: unknown, req, reply) => {
    if (err instanceof ApiError) return json(reply, err.status, errorBody(err.code, err.message));
    // The client went away before its list started: nobody to answer (counted as 499 by onRequestAbort).
    if (err instanceof QueryAbortedError) {
      req.log.debug('list cancelled: the client went away');
      return reply.code(499).send();
    }
    const e = err as { statusCode?: number; code?: string; message?: string };
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

  // The methods of each path as the modules register them (a GET's HEAD, which Fastify adds, is named last).
  const paths = new Map<string, { methods: string[]; headOfGet: boolean }>();
  let registering = true;
  app.addHook('onRoute', ({ method, url, exposeHeadRoute }) => {
    if (!registering) return;
    const path = paths.get(url) ?? { methods: [], headOfGet: false };
    paths.set(url, path);
    for (const m of [method].flat()) {
      if (m === 'HEAD' && path.headOfGet) continue;
      path.methods.push(m);
      if (m === 'GET' && exposeHeadRoute !== false) path.headOfGet = true;
    }
  });
  const ctx: RouteContext = { config, db, repo: new Repository(db), instance, version, metrics, faults: new FaultState(), heavy, draining: () => draining };
  for (const register of ROUTES) register(app, ctx);
  registering = false;

  // Other methods on a known path: 405 with Allow.
  for (const [url, { methods, headOfGet }] of paths) {
    const allowed = headOfGet ? [...methods, 'HEAD'] : methods;
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
    faults: ctx.faults,
    connections: trackConnections(app.server),
    startDraining() {
      draining = true;
    },
  };
}
