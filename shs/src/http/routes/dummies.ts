// The contract's two load-test routes: /long_dummy takes over a second and may be cached by the proxy;
// /db_dummy sleeps 100 ms in the database (a heavy route: it holds a connection).
import { setTimeout as sleep } from 'node:timers/promises';
import type { App, RouteContext } from '../context.js';
import { TEXT_TYPE, json } from '../reply.js';

export function register(app: App, { config, instance, repo, heavy }: RouteContext): void {
  app.get('/long_dummy', async (_req, reply) => {
    await sleep(config.long_dummy.delay_ms);
    reply.header('cache-control', 'public, max-age=30, stale-while-revalidate=30');
    return json(reply, 200, JSON.stringify({ produced_at: new Date().toISOString(), instance }));
  });

  app.get('/db_dummy', { preHandler: heavy.admit }, async (_req, reply) => {
    await repo.dbDummy();
    return reply.type(TEXT_TYPE).send('ok');
  });
}
