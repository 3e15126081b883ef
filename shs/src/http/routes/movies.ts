// The movies: the whole list, and one by id.
import { notFound } from '../../api/errors.js';
import type { App, RouteContext } from '../context.js';
import { json } from '../reply.js';
import { movieId } from '../schemas.js';
import { listGet, listHead } from './lists.js';

export function register(app: App, ctx: RouteContext): void {
  const { repo, heavy } = ctx;
  app.get('/api/movie', { exposeHeadRoute: false, preHandler: heavy.admit }, listGet(ctx, (write, signal) => repo.movies(write, signal)));
  app.head('/api/movie', listHead(ctx));

  app.get('/api/movie/:id', { schema: { params: movieId } }, async (req, reply) => {
    const { id } = req.params;
    const body = id.value === null ? null : await repo.movie(id.value);
    if (body === null) throw notFound(`movie ${id.given} does not exist`);
    return json(reply, 200, body);
  });
}
