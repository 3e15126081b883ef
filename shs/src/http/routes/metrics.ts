// GET /metrics: the Prometheus text of metrics.ts (kept off the public entry point by the proxy's allowlist).
import type { App, RouteContext } from '../context.js';

export function register(app: App, { metrics }: RouteContext): void {
  app.get('/metrics', async (_req, reply) => reply.type(metrics.contentType).send(await metrics.text()));
}
