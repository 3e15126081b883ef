// What every route module gets: the Fastify instance (typed by the schemas) and the service's parts.
import type { FastifyBaseLogger, FastifyInstance, RawReplyDefaultExpression, RawRequestDefaultExpression, RawServerDefault } from 'fastify';
import type { Repository } from '../api/repository.js';
import type { Config } from '../config.js';
import type { DatabaseAccess } from '../db/database.js';
import type { FaultState } from './faults.js';
import type { HeavyLimit } from './heavy.js';
import type { Metrics } from './metrics.js';
import type { SchemaTypeProvider } from './schemas.js';

/** The server as the routes see it: req.params and req.body typed by the route's schemas (see schemas.ts). */
export type App = FastifyInstance<RawServerDefault, RawRequestDefaultExpression, RawReplyDefaultExpression, FastifyBaseLogger, SchemaTypeProvider>;

export interface RouteContext {
  config: Config;
  db: DatabaseAccess;
  repo: Repository;
  /** This instance's name (server.instance_id, else the host name). */
  instance: string;
  version: string;
  metrics: Metrics;
  faults: FaultState;
  heavy: HeavyLimit;
  /** True once SIGTERM started the drain (Server.startDraining): /ping then answers 500. */
  draining(): boolean;
}

/** A route module: registers its routes (and hooks, if any) on the app. */
export type RegisterRoutes = (app: App, ctx: RouteContext) => void;
