// The customers: the list (the first 100,000), and one by id.
import { notFound } from '../../api/errors.js';
import type { App, RouteContext } from '../context.js';
import { json } from '../reply.js';
import { customerId } from '../schemas.js';
import { listGet, listHead } from './lists.js';

export function register(app: App, ctx: RouteContext): void {
  const { repo, heavy } = ctx;
  app.get('/api/customer', { exposeHeadRoute: false, preHandler: heavy.admit }, listGet(ctx, (write, signal) => repo.customers(write, signal)));
  app.head('/api/customer', listHead(ctx));

  app.get('/api/customer/:id', { schema: { params: customerId } }, async (req, reply) => {
    const { id } = req.params;
    const body = id.value === null ? null : await repo.customer(id.value);
    if (body === null) throw notFound(`customer ${id.given} does not exist`);
    return json(reply, 200, body);
  });
}
