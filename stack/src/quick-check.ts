// A short check of a running SHS, printed after `pipeline up`. The full smoke and latency checks are the
// smoke action's; this one only proves the stack answers, reads and writes.
import { readFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import type { TLSSocket } from 'node:tls';
export interface CheckResult {
  name: string;
  ok: boolean;
  detail: string;
}

async function call(url: string, init?: RequestInit): Promise<{ status: number; text: string }> {
  const r = await fetch(url, { ...init, signal: AbortSignal.timeout(10_000) });
  return { status: r.status, text: await r.text() };
}

/** GET over HTTPS, verifying the server against caFile (the stack's own self-signed certificate). */
function httpsGet(url: string, caFile: string): Promise<{ status: number; text: string; protocol: string }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(url, { ca: readFileSync(caFile), timeout: 10_000 }, (res) => {
      const protocol = (res.socket as TLSSocket).getProtocol?.() ?? '?';
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text, protocol }));
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end();
  });
}

export interface QuickCheckOptions {
  https?: { url: string; caFile: string };
}

export async function quickCheck(base: string, options: QuickCheckOptions = {}): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  const check = async (name: string, fn: () => Promise<string>) => {
    try {
      results.push({ name, ok: true, detail: await fn() });
    } catch (err) {
      results.push({ name, ok: false, detail: (err as Error).message });
    }
  };
  const expectStatus = (what: string, got: { status: number; text: string }, want: number) => {
    if (got.status !== want) throw new Error(`${what}: expected ${want}, got ${got.status} ${got.text.slice(0, 120)}`);
  };
  await check('GET /ping', async () => {
    const r = await call(`${base}/ping`);
    expectStatus('/ping', r, 200);
    if (r.text !== 'pong') throw new Error(`expected "pong", got ${JSON.stringify(r.text.slice(0, 40))}`);
    return 'pong';
  });
  await check('GET /api/movie/1', async () => {
    const r = await call(`${base}/api/movie/1`);
    expectStatus('/api/movie/1', r, 200);
    const movie = JSON.parse(r.text) as { name: string; year: number };
    return `${movie.name} (${movie.year})`;
  });
  await check('session write cycle', async () => {
    const created = await call(`${base}/api/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ start_time: new Date().toISOString(), customer_id: 1, movie_id: 1 }),
    });
    expectStatus('POST /api/session', created, 201);
    const id = (JSON.parse(created.text) as { id: number }).id;
    expectStatus('GET', await call(`${base}/api/session/${id}`), 200);
    expectStatus('DELETE', await call(`${base}/api/session/${id}`, { method: 'DELETE' }), 204);
    expectStatus('GET after DELETE', await call(`${base}/api/session/${id}`), 404);
    return `created, read and deleted session ${id}`;
  });
  await check('bad input is refused', async () => {
    const r = await call(`${base}/api/movie/abc`);
    expectStatus('/api/movie/abc', r, 400);
    return '400 with a JSON error';
  });
  if (options.https) {
    const { url, caFile } = options.https;
    await check('HTTPS /ping (certificate verified)', async () => {
      const r = await httpsGet(`${url}/ping`, caFile);
      if (r.status !== 200 || r.text !== 'pong') throw new Error(`expected 200 pong, got ${r.status} ${r.text.slice(0, 60)}`);
      return `pong over ${r.protocol}`;
    });
  }
  return results;
}
