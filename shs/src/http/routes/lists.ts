// What the three lists (/api/movie, /api/customer, /api/session) share: a GET that streams the rows as they
// come (a heavy route), and a HEAD that answers the GET's headers without running the query.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { errorBody } from '../../api/errors.js';
import type { ListWriter } from '../../api/repository.js';
import type { RouteContext } from '../context.js';
import { JSON_TYPE, json, streamJson } from '../reply.js';

/**
 * GET of a list: streamed by `produce` (see streamJson). A client that reads nothing for
 * database.statement_timeout_ms is cut off: it would hold its database connection (a query blocked sending rows
 * escapes the statement timeout).
 */
export function listGet(ctx: RouteContext, produce: (write: ListWriter, signal: AbortSignal) => Promise<void>) {
  return async (_req: FastifyRequest, reply: FastifyReply) => streamJson(reply, ctx.config.database.statement_timeout_ms, produce);
}

/**
 * HEAD of a list: the headers its GET would have, without running the query. No body is built, so no
 * Content-Length is sent (the GET's is chunked); the status is what the GET would answer now: 503 while the
 * heavy requests are at their limit or while the database was unreachable at the last attempt, else 200.
 */
export function listHead({ db, heavy }: RouteContext) {
  return async (_req: FastifyRequest, reply: FastifyReply) => {
    if (heavy.full) return heavy.refuse(reply);
    if (!db.stats().up) return json(reply, 503, errorBody('database_unavailable', 'the database cannot be reached; try again'));
    return reply.code(200).type(JSON_TYPE).send();
  };
}
