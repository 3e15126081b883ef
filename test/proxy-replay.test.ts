// What the proxy replays and what it answers when an attempt fails, against scriptable loopback peers (the proxy
// image's entrypoint, proxy/dist/start.cjs, with this machine's nginx + Lua): POST /operation and a POST
// /api/session carrying an Idempotency-Key are replayed on another peer after a read timeout; a peer is ejected
// on its first read timeout; a write without a key that timed out is answered 504 outcome_unknown, not 503;
// an answer marked X-SHS-Retryable: false (the shared database refused) is not tried on the next peer.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startEntrypoint } from './support/proxy-entrypoint.js';
import { eventually } from './support/shs.js';

type Behaviour = 'ok' | 'hang' | 'db-refused' | 'busy' | 'down' | 'slow-once' | 'stall';

interface Peer {
  server: Server;
  port: number;
  behaviour: Behaviour;
  /** Requests received, as "METHOD path". */
  seen: string[];
  hung: ServerResponse[];
}

async function startPeer(): Promise<Peer> {
  const peer = { behaviour: 'ok', seen: [], hung: [] } as unknown as Peer;
  peer.server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.url === '/ping') {
        if (peer.behaviour === 'down') {
          res.writeHead(500);
          return res.end('not ready');
        }
        res.writeHead(200, { 'content-type': 'text/plain' });
        if (peer.behaviour === 'hang') return; // the probe times out too: as a SIGSTOPped process
        return res.end('pong');
      }
      peer.seen.push(`${req.method} ${req.url}`);
      const json = (status: number, body: unknown, headers: Record<string, string> = {}) => {
        res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
        res.end(JSON.stringify(body));
      };
      switch (peer.behaviour) {
        case 'hang':
        case 'stall': // requests hang, its /ping still answers
          peer.hung.push(res);
          return;
        case 'db-refused':
          return json(503, { error: 'database_unavailable', message: 'the database cannot be reached; try again' }, { 'x-shs-retryable': 'false' });
        case 'busy':
          return json(503, { error: 'database_busy', message: 'busy' });
        case 'down': // on its way out (a restart): the connection is cut
          res.socket?.destroy();
          return;
        case 'slow-once': // a stall past the read timeout (1 s), then back to normal
          peer.behaviour = 'ok';
          setTimeout(() => json(200, { port: peer.port, slow: true }), 1500);
          return;
        case 'ok':
          if (req.method === 'POST' && req.url === '/api/session') return json(201, { id: 1, port: peer.port });
          if (req.method === 'DELETE') {
            res.writeHead(204);
            return res.end();
          }
          return json(200, { port: peer.port });
      }
    });
  });
  await new Promise<void>((r) => peer.server.listen(0, '127.0.0.1', r));
  peer.port = (peer.server.address() as AddressInfo).port;
  return peer;
}

let peers: Peer[];
let http: string;
let metrics: string;
let stopProxy: () => Promise<void>;

beforeAll(async () => {
  peers = [await startPeer(), await startPeer()];
  const proxy = await startEntrypoint('proxy-replay', { PROXY_PEERS: peers.map((p) => `127.0.0.1:${p.port}`).join(',') }, false);
  http = proxy.http;
  metrics = proxy.metricsUrl;
  stopProxy = proxy.stop;
  await eventually(async () => (await fetch(`${http}/`).catch(() => null))?.status === 200, 15_000, 100).catch((err: Error) => {
    throw new Error(`${err.message}\n${proxy.output()}`);
  });
}, 30_000);

afterAll(async () => {
  for (const p of peers ?? []) for (const res of p.hung) res.destroy();
  await stopProxy?.();
  for (const p of peers ?? []) p.server.close();
});

async function upMetric(peer: Peer): Promise<number> {
  const m = new RegExp(`shs_proxy_upstream_up\\{peer="127\\.0\\.0\\.1:${peer.port}"\\} (\\d)`).exec(await (await fetch(metrics)).text());
  return Number(m?.[1] ?? -1);
}

beforeEach(async () => {
  for (const p of peers) {
    for (const res of p.hung) res.destroy();
    p.hung = [];
    p.behaviour = 'ok';
    p.seen = [];
  }
  await eventually(async () => (await upMetric(peers[0]!)) === 1 && (await upMetric(peers[1]!)) === 1, 15_000, 50);
  for (const p of peers) p.seen = [];
});

/**
 * Sends until peer `which` receives the request first (round robin), and returns that answer, with what the other
 * peer received for that request (`otherSeen`).
 */
async function viaFirst(which: number, path: string, init: RequestInit): Promise<{ status: number; body: string; headers: Headers; otherSeen: string[] }> {
  for (let i = 0; i < 8; i++) {
    const before = peers[which]!.seen.length;
    const other = peers[1 - which]!.seen.length;
    const r = await fetch(`${http}${path}`, init);
    const body = await r.text();
    const otherSeen = peers[1 - which]!.seen.slice(other);
    if (peers[which]!.seen.length > before && (otherSeen.length === 0 || peers[which]!.behaviour !== 'ok')) return { status: r.status, body, headers: r.headers, otherSeen };
  }
  throw new Error(`no request reached peer ${which} first`);
}

const post = (body: unknown, headers: Record<string, string> = {}): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify(body),
});

describe('replays', () => {
  it('POST /operation that reached a hung peer is replayed on the other, and the hung peer is ejected at once', async () => {
    peers[0]!.behaviour = 'hang';
    const r = await viaFirst(0, '/operation', post({ operation: 1 }));
    expect(r.status, r.body).toBe(200);
    expect(JSON.parse(r.body)).toMatchObject({ port: peers[1]!.port });
    // ejected on that read timeout, not after the active checks' `fall` probes
    expect(await upMetric(peers[0]!)).toBe(0);
    const hungBefore = peers[0]!.seen.length;
    for (let i = 0; i < 4; i++) expect((await fetch(`${http}/operation`, post({ operation: i }))).status).toBe(200);
    expect(peers[0]!.seen.length).toBe(hungBefore);
  });

  it('POST /api/session with an Idempotency-Key is replayed; without one, a timed-out write is 504 outcome_unknown', async () => {
    peers[0]!.behaviour = 'hang';
    const keyed = await viaFirst(0, '/api/session', post({ customer_id: 1 }, { 'idempotency-key': 'k-1' }));
    expect(keyed.status, keyed.body).toBe(201);
    expect(peers[1]!.seen).toContain('POST /api/session');

    // both hang: the write reached an instance and nothing answered in time
    peers[1]!.behaviour = 'hang';
    for (const p of peers) p.seen = [];
    const r = await fetch(`${http}/api/session`, post({ customer_id: 1 }));
    expect(r.status).toBe(504);
    expect(await r.json()).toMatchObject({ error: 'outcome_unknown' });
    expect(peers[0]!.seen.length + peers[1]!.seen.length).toBe(1); // never replayed
  }, 30_000);
});

describe('the last peer up', () => {
  it('a GET that timed out on it is asked of it once more, not of a peer that is not up (a rolling restart on a busy machine)', async () => {
    peers[1]!.behaviour = 'down';
    await eventually(async () => (await upMetric(peers[1]!)) === 0, 10_000, 50);
    peers[0]!.behaviour = 'slow-once';
    for (const p of peers) p.seen = [];
    const r = await fetch(`${http}/api/movie/1`);
    const body = await r.text();
    expect(r.status, body).toBe(200);
    expect(JSON.parse(body)).toMatchObject({ port: peers[0]!.port });
    expect(peers[0]!.seen).toEqual(['GET /api/movie/1', 'GET /api/movie/1']);
    expect(peers[1]!.seen).toHaveLength(0);
    expect(await upMetric(peers[0]!)).toBe(1); // the last peer up is never ejected

    // once only: a peer whose requests hang costs two read timeouts, then 503
    peers[0]!.behaviour = 'stall';
    for (const p of peers) p.seen = [];
    const hung = await fetch(`${http}/api/movie/1`);
    expect(hung.status).toBe(503);
    expect(peers[0]!.seen).toHaveLength(2);
  }, 30_000);
});

describe('what the database refused', () => {
  it('a 503 marked X-SHS-Retryable: false is passed on, not tried on the other peer; an instance\'s own 503 is', async () => {
    peers[0]!.behaviour = 'db-refused';
    const refused = await viaFirst(0, '/api/movie/1', { method: 'GET' });
    expect(refused.status).toBe(503);
    expect(JSON.parse(refused.body)).toMatchObject({ error: 'database_unavailable' });
    expect(refused.otherSeen).toHaveLength(0);

    peers[0]!.behaviour = 'busy';
    for (const p of peers) p.seen = [];
    const busy = await viaFirst(0, '/api/movie/1', { method: 'GET' });
    expect(busy.status).toBe(200); // peer 0's own 503, retried on peer 1
    expect(peers[1]!.seen.length).toBeGreaterThanOrEqual(1);
  });
});
