// The fault switch, for resilience tests only (faults.enabled; refused in production by config.ts): POST /_fault
// turns this instance sick (every route but /_fault and /metrics answers 500), slow (every request waits
// faults.slow_delay_ms first) or healthy again, or crashes it; GET /_fault says the mode. Disabled, none of it
// exists (404).
import { setTimeout as sleep } from 'node:timers/promises';
import { errorBody } from '../../api/errors.js';
import type { App, RouteContext } from '../context.js';
import { json } from '../reply.js';
import { faultMode } from '../schemas.js';

export function register(app: App, { config, faults }: RouteContext): void {
  if (!config.faults.enabled) return;

  // The switch's effects, before any route runs (the switch itself stays reachable, and so do the metrics).
  app.addHook('onRequest', async (req, reply) => {
    if (faults.mode === 'healthy' || req.routeOptions.url === '/_fault' || req.routeOptions.url === '/metrics') return;
    if (faults.mode === 'slow') {
      await sleep(config.faults.slow_delay_ms);
      return;
    }
    return json(reply, 500, errorBody('sick', 'this instance is sick (fault switch)'));
  });

  app.get('/_fault', async (_req, reply) => json(reply, 200, JSON.stringify({ mode: faults.mode })));
  app.post('/_fault', { schema: { body: faultMode } }, async (req, reply) => {
    const { mode } = req.body;
    req.log.warn({ mode }, 'fault switch');
    if (mode === 'crash') {
      reply.raw.once('finish', () => process.kill(process.pid, 'SIGKILL'));
      return json(reply, 202, JSON.stringify({ mode }));
    }
    faults.mode = mode;
    return json(reply, 200, JSON.stringify({ mode }));
  });
}
