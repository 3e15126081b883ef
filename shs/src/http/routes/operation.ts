// POST /operation: facts about the instance that answered, around the client's number. No side effects: the
// proxy may send it again to another instance.
import { hostname } from 'node:os';
import type { App, RouteContext } from '../context.js';
import { json } from '../reply.js';
import { operation } from '../schemas.js';

export function register(app: App, { instance, version }: RouteContext): void {
  const host = hostname(); // read once: a system call per request showed in profiles
  const startedAt = Date.now();
  app.post('/operation', { schema: { body: operation } }, async (req, reply) =>
    json(
      reply,
      200,
      JSON.stringify({
        operation: req.body.operation,
        instance,
        hostname: host,
        pid: process.pid,
        version,
        uptime_seconds: Math.round((Date.now() - startedAt) / 1000),
        time: new Date().toISOString(),
      }),
    ),
  );
}
