// The drain of connections.ts on a plain node:http server: nothing that carries or is about to carry a request
// is cut; idle connections go after the quiet period.
import { Agent, createServer, request, type Server } from 'node:http';
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { trackConnections } from './connections.js';

let server: Server | null = null;
afterEach(() => {
  server?.closeAllConnections();
  server?.close();
  server = null;
});

/** A server answering after `delayMs`, with Connection: close once `closing` is set (as SHS does while draining). */
async function start(delayMs: number) {
  const state = { closing: false };
  server = createServer((_req, res) => {
    setTimeout(() => {
      if (state.closing) res.setHeader('connection', 'close');
      res.end('ok');
    }, delayMs);
  });
  const tracker = trackConnections(server);
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}/`, port: (server.address() as { port: number }).port, tracker, state };
}

function get(agent: Agent, url: string): Promise<{ status: number; connection: string | undefined }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, connection: res.headers.connection }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('connection drain', () => {
  it('answers a request that arrives on an idle keep-alive connection after the drain began, then closes it', async () => {
    const { url, tracker, state } = await start(0);
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      expect((await get(agent, url)).status).toBe(200); // the connection is now idle, kept alive
      expect(tracker.size).toBe(1);
      state.closing = true;
      const drained = tracker.drain(500);
      // Node's own close() would destroy this idle connection at once, and the request below would be cut
      const r = await get(agent, url);
      expect(r).toEqual({ status: 200, connection: 'close' });
      await drained;
      expect(tracker.size).toBe(0);
      expect(server!.listening).toBe(false);
    } finally {
      agent.destroy();
    }
  });

  it('waits for a request in flight, and closes a connection that stays idle after the quiet period', async () => {
    const { url, port, tracker, state } = await start(300);
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const idle = connect(port, '127.0.0.1');
    let idleClosed = false;
    idle.on('close', () => (idleClosed = true));
    idle.on('error', () => undefined);
    try {
      await new Promise((r) => idle.once('connect', r));
      state.closing = true;
      const inFlight = get(agent, url);
      await new Promise((r) => setTimeout(r, 50));
      let drainedFirst = false;
      const drained = tracker.drain(100).then(() => (drainedFirst = true));
      const r = await inFlight;
      expect(r.status).toBe(200);
      await drained;
      expect(drainedFirst).toBe(true);
      expect(idleClosed).toBe(true);
      expect(tracker.size).toBe(0);
    } finally {
      agent.destroy();
      idle.destroy();
    }
  });
});
