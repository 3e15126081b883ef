// Single HTTP requests from the bench process: timed end to end, and readiness polling.
import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';

export interface TimedResponse {
  status: number;
  /** Body bytes received. */
  bytes: number;
  /** Time to the first byte of the body, seconds. */
  ttfb: number;
  /** Time to the last byte, seconds. */
  total: number;
}

/** GET url on a fresh connection; the body is counted, not kept. */
export function timedGet(url: string, timeoutMs = 60_000): Promise<TimedResponse> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = http.get(url, { agent: false, timeout: timeoutMs }, (res) => {
      let bytes = 0;
      let first = Number.NaN;
      res.on('data', (chunk: Buffer) => {
        if (bytes === 0) first = performance.now();
        bytes += chunk.length;
      });
      res.on('end', () => {
        const now = performance.now();
        resolve({ status: res.statusCode ?? 0, bytes, ttfb: ((bytes ? first : now) - t0) / 1000, total: (now - t0) / 1000 });
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url}: no answer in ${timeoutMs} ms`)));
    req.on('error', reject);
  });
}

/** Polls url until it answers 200, or throws after timeoutMs (isAlive false also stops the wait). */
export async function waitForOk(url: string, timeoutMs = 30_000, isAlive: () => boolean = () => true): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < deadline) {
    if (!isAlive()) throw new Error(`${url}: the server exited before answering (${last})`);
    try {
      const r = await timedGet(url, 2_000);
      if (r.status === 200) return;
      last = `status ${r.status}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await sleep(100);
  }
  throw new Error(`${url} did not answer 200 within ${timeoutMs} ms (last: ${last})`);
}
