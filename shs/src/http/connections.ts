// The server's connections, for a drain that cuts no request. Node's server.close() destroys every connection
// it deems idle at that instant, which includes one whose next request has arrived but is not parsed yet (a busy
// event loop, or a proxy that just reused it): the client sees a reset, and a write cannot be replayed. Here
// the listener is closed alone, each connection that carries a request is closed after answering it (the
// server sends Connection: close while draining), and one is closed for being idle only once it has been quiet
// for a while, judged after pending input has been read.
import type { Server } from 'node:http';
import { Server as NetServer, type Socket } from 'node:net';

interface Tracked {
  /** Requests being answered on it. */
  busy: number;
  /** performance.now() of its opening, or of its last request's start or end. */
  last: number;
}

export interface ConnectionTracker {
  /** Open connections. */
  readonly size: number;
  /**
   * Stops accepting connections, then resolves once every connection has closed: each after answering what it
   * carries, or after `quietMs` without a request.
   */
  drain(quietMs: number): Promise<void>;
}

export function trackConnections(server: Server): ConnectionTracker {
  const sockets = new Map<Socket, Tracked>();
  server.on('connection', (socket: Socket) => {
    sockets.set(socket, { busy: 0, last: performance.now() });
    socket.once('close', () => sockets.delete(socket));
  });
  server.on('request', (req, res) => {
    const t = sockets.get(req.socket);
    if (!t) return;
    t.busy += 1;
    t.last = performance.now();
    res.once('close', () => {
      t.busy -= 1;
      t.last = performance.now();
    });
  });
  return {
    get size() {
      return sockets.size;
    },
    drain(quietMs) {
      // net.Server's close: stop listening, without http.Server's closing of idle connections.
      if (server.listening) NetServer.prototype.close.call(server);
      return new Promise<void>((resolve) => {
        const sweep = () => {
          // In the check phase, after the poll phase has read what arrived: a request that came in since the
          // last sweep has been parsed and counted, and its connection is not taken for idle.
          setImmediate(() => {
            const now = performance.now();
            for (const [socket, t] of sockets) if (t.busy === 0 && now - t.last >= quietMs) socket.destroy();
            if (sockets.size === 0) resolve();
            else setTimeout(sweep, Math.min(100, quietMs));
          });
        };
        sweep();
      });
    },
  };
}
