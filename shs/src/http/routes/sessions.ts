// The sessions: the list, one by id, creation (with an optional Idempotency-Key) and deletion.
import type { FastifyRequest } from 'fastify';
import { notFound } from '../../api/errors.js';
import { IDEMPOTENCY_KEY_TTL_HOURS, expireKeys, fingerprint, once, parseIdempotencyKey } from '../../api/idempotency.js';
import type { App, RouteContext } from '../context.js';
import { json } from '../reply.js';
import { newSession, sessionId } from '../schemas.js';
import { listGet, listHead } from './lists.js';

/** Idempotency keys older than IDEMPOTENCY_KEY_TTL_HOURS are deleted at most this often per instance. */
const KEY_EXPIRY_EVERY_MS = (IDEMPOTENCY_KEY_TTL_HOURS * 3_600_000) / 144;

const idempotencyKey = (req: FastifyRequest) => parseIdempotencyKey(req.headers['idempotency-key']);

export function register(app: App, ctx: RouteContext): void {
  const { db, repo, heavy } = ctx;
  let keysExpiredAt = 0;

  app.get('/api/session', { exposeHeadRoute: false, preHandler: heavy.admit }, listGet(ctx, (write, signal) => repo.sessions(write, signal)));

  app.post(
    '/api/session',
    {
      schema: { body: newSession },
      // The key is checked before the body (a request wrong in both is told about its key).
      preValidation: async (req) => void idempotencyKey(req),
    },
    async (req, reply) => {
      const key = idempotencyKey(req);
      const input = req.body;
      if (key === null) {
        const created = await repo.createSession(input);
        reply.header('location', `/api/session/${created.id}`);
        return json(reply, 201, created.json);
      }
      const answer = await once(db, key, fingerprint('POST', '/api/session', input), async (client) => {
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
  );

  app.head('/api/session', listHead(ctx));

  app.get('/api/session/:id', { schema: { params: sessionId } }, async (req, reply) => {
    const { id } = req.params;
    const body = id.value === null ? null : await repo.session(id.value);
    if (body === null) throw notFound(`session ${id.given} does not exist`);
    return json(reply, 200, body);
  });

  app.delete('/api/session/:id', { schema: { params: sessionId } }, async (req, reply) => {
    const { id } = req.params;
    const deleted = id.value === null ? false : await repo.deleteSession(id.value);
    if (!deleted) throw notFound(`session ${id.given} does not exist`);
    return reply.code(204).send();
  });
}
