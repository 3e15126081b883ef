// The Lockbox reader against a loopback stand-in of the metadata service and the Lockbox payload API.
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CachedPassword, LockboxError, type LockboxClientOptions, fetchToken, readLockboxEntry } from './lockbox.js';

const TOKEN = 't1.9euelZrKx-unit-test-token-value';
const PASSWORD = 'unit-test-db-password-Zq8';
const SECRET = 'e6q0unitsecret00000';
const TOKEN_PATH = '/computeMetadata/v1/instance/service-accounts/default/token';
const PAYLOAD_PATH = `/lockbox/v1/secrets/${SECRET}/payload`;

interface Seen {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
}

/** What the stand-in answers for one path: a status and body, or 'hang' (never answers). */
type Answer = { status: number; body: unknown } | 'hang';

let server: Server;
let base: string;
let seen: Seen[] = [];
const answers = new Map<string, Answer[]>();
const hung: ServerResponse[] = [];

function answer(path: string, ...list: Answer[]): void {
  answers.set(path, list);
}
const tokenOk: Answer = { status: 200, body: { access_token: TOKEN, expires_in: 43199, token_type: 'Bearer' } };
const payloadOk: Answer = { status: 200, body: { entries: [{ key: 'user', textValue: 'shs' }, { key: 'password', textValue: PASSWORD }], versionId: 'e6qv1' } };

beforeAll(async () => {
  server = createServer((req, res) => {
    const path = req.url ?? '';
    seen.push({ method: req.method ?? '', path, headers: req.headers });
    const list = answers.get(path) ?? [];
    // The last answer repeats.
    const a = list.length > 1 ? list.shift()! : list[0];
    if (a === undefined) {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"code":5,"message":"not found"}');
      return;
    }
    if (a === 'hang') {
      hung.push(res);
      return;
    }
    res.writeHead(a.status, { 'content-type': 'application/json' }).end(typeof a.body === 'string' ? a.body : JSON.stringify(a.body));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  for (const res of hung) res.destroy();
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});
afterEach(() => {
  seen = [];
  answers.clear();
});

const sleeps: number[] = [];
const retries: string[] = [];
function options(extra: Partial<LockboxClientOptions> = {}): LockboxClientOptions {
  sleeps.length = 0;
  retries.length = 0;
  return {
    metadataUrl: base,
    lockboxUrl: `${base}/`, // a trailing slash is fine
    retry: { attempts: 3, firstDelayMs: 100, maxDelayMs: 150, timeoutMs: 2000 },
    sleep: async (ms) => void sleeps.push(ms),
    onRetry: (m) => retries.push(m),
    ...extra,
  };
}

async function failure(p: Promise<unknown>): Promise<LockboxError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(LockboxError);
  const message = (err as Error).message;
  expect(message).not.toContain(TOKEN);
  expect(message).not.toContain(PASSWORD);
  return err as LockboxError;
}

describe('reading a Lockbox secret with the VM service account', () => {
  it('asks the metadata service for a token, then Lockbox for the payload, with the documented requests', async () => {
    answer(TOKEN_PATH, tokenOk);
    answer(PAYLOAD_PATH, payloadOk);
    const secret = await readLockboxEntry(options(), SECRET, 'password');
    expect(secret).toEqual({ value: PASSWORD, versionId: 'e6qv1' });
    expect(seen.map((s) => `${s.method} ${s.path}`)).toEqual([`GET ${TOKEN_PATH}`, `GET ${PAYLOAD_PATH}`]);
    expect(seen[0]!.headers['metadata-flavor']).toBe('Google');
    expect(seen[0]!.headers.authorization).toBeUndefined();
    expect(seen[1]!.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(seen[1]!.headers['metadata-flavor']).toBeUndefined();
    expect(retries).toEqual([]);
  });

  it('reads a binaryValue (base64) entry and drops one trailing newline', async () => {
    answer(TOKEN_PATH, tokenOk);
    answer(PAYLOAD_PATH, {
      status: 200,
      body: { entries: [{ key: 'db', binaryValue: Buffer.from(`${PASSWORD}\n`).toString('base64') }], versionId: 'v2' },
    });
    expect(await readLockboxEntry(options(), SECRET, 'db')).toEqual({ value: PASSWORD, versionId: 'v2' });
  });

  it('retries an unavailable metadata service and Lockbox with growing pauses', async () => {
    answer(TOKEN_PATH, { status: 503, body: 'starting' }, { status: 500, body: '{}' }, tokenOk);
    answer(PAYLOAD_PATH, { status: 502, body: { message: 'bad gateway' } }, payloadOk);
    const o = options();
    expect((await readLockboxEntry(o, SECRET, 'password')).value).toBe(PASSWORD);
    expect(seen.map((s) => s.path)).toEqual([TOKEN_PATH, TOKEN_PATH, TOKEN_PATH, PAYLOAD_PATH, PAYLOAD_PATH]);
    expect(sleeps).toEqual([100, 150, 100]); // doubled, capped at maxDelayMs; each step starts again
    expect(retries).toHaveLength(3);
    expect(retries[0]).toContain('HTTP 503');
    expect(retries[0]).toContain('attempt 1 of 3');
    expect(retries[2]).toContain(`cannot read secret ${SECRET}`);
    expect(retries[2]).toContain('HTTP 502: bad gateway');
    for (const r of retries) expect(r).not.toContain(TOKEN);
  });

  it('gives up on an unreachable metadata service after the bounded attempts', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const err = await failure(fetchToken(options({ metadataUrl: `http://127.0.0.1:${port}` })));
    expect(err.message).toContain('cannot get an IAM token of the VM service account from the metadata service');
    expect(err.message).toContain(`GET http://127.0.0.1:${port}${TOKEN_PATH}`);
    expect(err.message).toContain('ECONNREFUSED');
    expect(err.message).toContain('gave up after 3 attempts');
    expect(sleeps).toEqual([100, 150]);
  });

  it('bounds each request by the timeout', async () => {
    answer(TOKEN_PATH, tokenOk);
    answer(PAYLOAD_PATH, 'hang');
    const t0 = performance.now();
    const err = await failure(readLockboxEntry(options({ retry: { attempts: 2, firstDelayMs: 1, maxDelayMs: 1, timeoutMs: 200 } }), SECRET, 'password'));
    expect(performance.now() - t0).toBeLessThan(1500); // two bounded attempts, not a hang
    expect(err.message).toContain('no answer within 200 ms');
    expect(err.message).toContain('gave up after 2 attempts');
  });

  it('names a missing service account (404 on the token), without retrying', async () => {
    answer(TOKEN_PATH, { status: 404, body: { message: 'no service account' } });
    const err = await failure(fetchToken(options()));
    expect(err.message).toMatch(/metadata service .*HTTP 404: no service account \(is a service account attached to the VM\?\)/);
    expect(seen).toHaveLength(1);
  });

  it('names a token answer without an access_token', async () => {
    answer(TOKEN_PATH, { status: 200, body: { expires_in: 1 } });
    expect((await failure(fetchToken(options()))).message).toContain('answered without an access_token');
    answer(TOKEN_PATH, { status: 200, body: `not json ${TOKEN}` });
    const notJson = await failure(fetchToken(options()));
    expect(notJson.message).toContain('not JSON');
  });

  it('403: the service account lacks lockbox.payloadViewer; the token never shows, even when echoed', async () => {
    answer(TOKEN_PATH, tokenOk);
    answer(PAYLOAD_PATH, { status: 403, body: { code: 7, message: `Permission denied for Bearer ${TOKEN}` } });
    const err = await failure(readLockboxEntry(options(), SECRET, 'password'));
    expect(err.message).toContain(`cannot read secret ${SECRET}`);
    expect(err.message).toContain('HTTP 403');
    expect(err.message).toContain(`lacks the lockbox.payloadViewer role on secret ${SECRET}`);
    expect(seen.filter((s) => s.path === PAYLOAD_PATH)).toHaveLength(1); // not retried
  });

  it('401 and 404 from Lockbox say what they mean', async () => {
    answer(TOKEN_PATH, tokenOk);
    answer(PAYLOAD_PATH, { status: 401, body: {} });
    expect((await failure(readLockboxEntry(options(), SECRET, 'password'))).message).toContain('HTTP 401 (the IAM token was refused)');
    answer(PAYLOAD_PATH, { status: 404, body: {} });
    expect((await failure(readLockboxEntry(options(), SECRET, 'password'))).message).toContain(`no secret ${SECRET}`);
  });

  it('names a missing key with the keys that are there, an empty entry, and a payload without entries', async () => {
    answer(TOKEN_PATH, tokenOk);
    answer(PAYLOAD_PATH, payloadOk);
    const missing = await failure(readLockboxEntry(options(), SECRET, 'db_password'));
    expect(missing.message).toBe(`Lockbox: secret ${SECRET} (version e6qv1) has no entry "db_password" (its entries: "user", "password")`);
    answer(PAYLOAD_PATH, { status: 200, body: { entries: [{ key: 'password', textValue: '' }], versionId: 'v3' } });
    expect((await failure(readLockboxEntry(options(), SECRET, 'password'))).message).toContain('entry "password" of secret');
    answer(PAYLOAD_PATH, { status: 200, body: { entries: [{ key: 'password' }], versionId: 'v4' } });
    expect((await failure(readLockboxEntry(options(), SECRET, 'password'))).message).toContain('neither textValue nor binaryValue');
    answer(PAYLOAD_PATH, { status: 200, body: { versionId: 'v5' } });
    expect((await failure(readLockboxEntry(options(), SECRET, 'password'))).message).toContain('has no entries');
  });
});

describe('the cached password', () => {
  function source(values: (string | Error)[], interval = 60_000) {
    let clock = 0;
    let reads = 0;
    const events: string[] = [];
    const cached = new CachedPassword(
      async () => {
        const v = values[Math.min(reads, values.length - 1)]!;
        reads += 1;
        await new Promise((r) => setTimeout(r, 5));
        if (v instanceof Error) throw v;
        return { value: v, versionId: `v${reads}` };
      },
      { onObtained: (v) => events.push(`obtained ${v}`), onFailed: (e) => events.push(`failed ${e.message}`), onRefresh: () => events.push('refresh') },
      interval,
      () => clock,
    );
    return { cached, reads: () => reads, events, tick: (ms: number) => (clock += ms) };
  }

  it('reads once for concurrent callers and keeps the value', async () => {
    const s = source(['first']);
    expect(s.cached.ready).toBe(false);
    expect(s.cached.problem).toBe('still being read from Lockbox');
    expect(await Promise.all([s.cached.get(), s.cached.get(), s.cached.get()])).toEqual(['first', 'first', 'first']);
    expect(await s.cached.get()).toBe('first');
    expect(s.reads()).toBe(1);
    expect(s.cached.ready).toBe(true);
    expect(s.events).toEqual(['obtained v1']);
  });

  it('does not keep a failure: the next caller reads again', async () => {
    const s = source([new LockboxError('Lockbox: down'), 'second']);
    await expect(s.cached.get()).rejects.toThrow('Lockbox: down');
    expect(s.cached.ready).toBe(false);
    expect(s.cached.problem).toBe('Lockbox: down');
    expect(await s.cached.get()).toBe('second');
    expect(s.reads()).toBe(2);
  });

  it('a refused password is read again at once, then at most once per interval', async () => {
    const s = source(['old', 'new', 'newer']);
    expect(await s.cached.get()).toBe('old');
    expect(s.cached.rejected()).toBe(true); // starts the read
    expect(s.cached.ready).toBe(false);
    expect(s.cached.problem).toBe('still being read from Lockbox');
    expect(s.cached.rejected()).toBe(false); // one read under way already
    expect(await s.cached.get()).toBe('new');
    s.tick(59_000);
    expect(s.cached.rejected()).toBe(false); // within the interval: keeps what it has
    expect(await s.cached.get()).toBe('new');
    expect(s.reads()).toBe(2);
    s.tick(1_000);
    expect(s.cached.rejected()).toBe(true);
    expect(await s.cached.get()).toBe('newer');
    expect(s.reads()).toBe(3);
    expect(s.events).toEqual(['obtained v1', 'refresh', 'obtained v2', 'refresh', 'obtained v3']);
  });
});
