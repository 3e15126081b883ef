// What a route accepts in its path and body, checked by Fastify before the handler runs, and typed for it.
// A schema is a parse function: it returns what the handler gets (req.params, req.body), or throws an ApiError
// whose status and message are the answer. The messages are those of api/ids.ts and api/inputs.ts.
// Fastify's own (Ajv, JSON Schema) validation is not used: its messages are not the service's.
import type { FastifySchemaCompiler, FastifyTypeProvider } from 'fastify';
import { ApiError, badRequest } from '../api/errors.js';
import { INT4_MAX, INT8_MAX, parseId } from '../api/ids.js';
import { type NewSession, parseNewSession, parseOperation } from '../api/inputs.js';
import { FAULT_MODES, type FaultMode } from './faults.js';

export interface Schema<T> {
  /** What the handler gets; throws an ApiError (the answer) when the input is not acceptable. */
  parse(input: unknown): T;
}

/** Types req.params and req.body from the route's schema: `{ schema: { params: movieId } }` gives `{ id: PathId }`. */
export interface SchemaTypeProvider extends FastifyTypeProvider {
  validator: this['schema'] extends Schema<infer T> ? T : unknown;
  serializer: unknown;
}

/**
 * Fastify's validator compiler for these schemas. An ApiError is the validation error, answered by the error
 * handler as it is; any other exception is a bug in the schema and is answered 500 (Fastify's way).
 */
export const compileSchema: FastifySchemaCompiler<Schema<unknown>> =
  ({ schema }) =>
  (input) => {
    try {
      return { value: schema.parse(input) };
    } catch (err) {
      if (err instanceof ApiError) return { error: err };
      throw err;
    }
  };

/** A path id: `given` as the client wrote it (for messages), `value` the id to look up, null when none can exist. */
export interface PathId {
  given: string;
  value: string | null;
}

function field(input: unknown, name: string): unknown {
  return typeof input === 'object' && input !== null ? (input as Record<string, unknown>)[name] : undefined;
}

/** `:id` of a path: decimal digits, else 400; 0 or past `max` (the column's range) is `value: null` (404). */
function idParams(what: string, max: bigint): Schema<{ id: PathId }> {
  return {
    parse(params) {
      const given = field(params, 'id');
      const id = parseId(typeof given === 'string' ? given : undefined, max, what);
      return { id: { given: String(given), value: id.kind === 'id' ? id.value : null } };
    },
  };
}

export const movieId = idParams('movie', INT4_MAX);
export const customerId = idParams('customer', INT4_MAX);
export const sessionId = idParams('session', INT8_MAX);

/**
 * POST /api/session: {"start_time", "customer_id", "movie_id"} (see api/inputs.ts). The handler gets the body's
 * own fields in the client's order (the values are those checked): an Idempotency-Key's fingerprint is of the
 * body as sent.
 */
export const newSession: Schema<NewSession> = {
  parse(body) {
    const checked = parseNewSession(body); // an object with exactly these fields, else thrown
    return { ...(body as object), ...checked };
  },
};

/** POST /operation: {"operation": <integer>}. */
export const operation: Schema<{ operation: number }> = { parse: (body) => ({ operation: parseOperation(body) }) };

/** POST /_fault: {"mode": "healthy" | "sick" | "slow" | "crash"}. */
export const faultMode: Schema<{ mode: FaultMode }> = {
  parse(body) {
    const given = field(body, 'mode');
    const mode = FAULT_MODES.find((m) => m === given);
    if (mode === undefined) throw badRequest(`mode must be one of ${FAULT_MODES.join(', ')}`);
    return { mode };
  },
};
