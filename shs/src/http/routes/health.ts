// The greeting and the two health checks. /livez (liveness) says the process answers; /ping (readiness) says
// this instance should get traffic: not draining, not sick, and its database reachable, writable and migrated.
import { PasswordUnavailableError, ReadOnlyHostError, SchemaNotReadyError } from '../../db/database.js';
import type { App, RouteContext } from '../context.js';
import { TEXT_TYPE } from '../reply.js';

export function register(app: App, { db, faults, draining }: RouteContext): void {
  app.get('/', async (_req, reply) => reply.type(TEXT_TYPE).send('SHS: the session history storage of Filmopoisk\n'));

  // Liveness: the process answers. Nothing else is checked (not the database: an outage must not get every
  // instance restarted), and it stays 200 while draining. What restarts a process (the local supervisor, the
  // cloud instance group) checks this; what routes traffic (the proxy) checks /ping.
  app.get('/livez', async (_req, reply) => reply.type(TEXT_TYPE).send('alive'));

  app.get('/ping', async (req, reply) => {
    if (draining()) return reply.code(500).type(TEXT_TYPE).send('draining\n');
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
  });
}
