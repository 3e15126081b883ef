// Where the registry credentials go: fake registries, token realms and upload stores on loopback record every
// request's Authorization header. Credentials (Basic, and the Bearer token got with them) go to the registry's
// own origin only, and to a token realm only on the registry's host (or Yandex's for cr.yandex), over https
// unless the registry itself is plain HTTP.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { checkRealm } from './auth.js';
import { RegistryClient } from './client.js';
import { credentialsScope } from '../build-and-push.js';
import { parseReference } from './reference.js';

const digestOf = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const CREDS = { username: 'iam', password: 't1.secret' };
const BASIC = `Basic ${Buffer.from('iam:t1.secret').toString('base64')}`;

interface Seen {
  method: string;
  path: string;
  authorization: string | undefined;
}

const servers: Server[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

type Handler = (req: IncomingMessage, res: ServerResponse, body: Buffer) => void;

/** A loopback server that records what it was sent. `https` uses a self-signed certificate for 127.0.0.1. */
async function recorder(handler: Handler, tls?: { key: Buffer; cert: Buffer }): Promise<{ port: number; seen: Seen[] }> {
  const seen: Seen[] = [];
  const listener = (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seen.push({ method: req.method!, path: req.url!, authorization: req.headers.authorization });
      handler(req, res, Buffer.concat(chunks));
    });
  };
  const server = tls ? createHttpsServer(tls, listener) : createServer(listener);
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as AddressInfo).port, seen };
}

/** A token service: a token for the right Basic credentials, else 401. */
const tokenService: Handler = (req, res) => {
  const ok = req.headers.authorization === BASIC;
  res.writeHead(ok ? 200 : 401, { 'content-type': 'application/json' }).end(JSON.stringify(ok ? { token: 'registry-token' } : { errors: [{ code: 'UNAUTHORIZED', message: 'bad credentials' }] }));
};

/** A registry asking for a Bearer token from `realm`; `location` is where it sends uploads. */
function registry(realm: () => string, location?: () => string): Handler {
  return (req, res, body) => {
    const url = new URL(req.url!, 'http://x');
    if (req.headers.authorization !== 'Bearer registry-token') {
      res.writeHead(401, { 'www-authenticate': `Bearer realm="${realm()}",service="fake"` }).end('{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}');
      return;
    }
    if (url.pathname === '/v2/') res.writeHead(200).end('{}');
    else if (req.method === 'POST' && url.pathname.endsWith('/blobs/uploads/')) res.writeHead(202, { location: location ? location() : `${url.pathname}u1?_state=s` }).end();
    else if (req.method === 'HEAD' && url.pathname.includes('/blobs/')) res.writeHead(307, { location: `${location?.() ?? ''}/blob` }).end();
    else res.writeHead(201, { 'docker-content-digest': url.searchParams.get('digest') ?? digestOf(body) }).end();
  };
}

/** An upload store on another origin: takes any PUT, answers what a registry would. */
const store: Handler = (req, res) => {
  const url = new URL(req.url!, 'http://x');
  res.writeHead(201, { 'docker-content-digest': url.searchParams.get('digest') ?? '' }).end();
};

const client = (host: string, options: Partial<ConstructorParameters<typeof RegistryClient>[0]> = {}) =>
  new RegistryClient({ registry: host, repository: 'shs', plainHttp: true, credentials: CREDS, retry: { attempts: 1, baseDelayMs: 1 }, ...options });

describe('registry credentials stay with the registry', () => {
  it('an upload Location on another origin gets the blob but no Authorization; a redirect elsewhere is not followed', async () => {
    const other = await recorder(store);
    const realm = await recorder(tokenService);
    const reg = await recorder(registry(() => `http://127.0.0.1:${realm.port}/token`, () => `http://localhost:${other.port}/upload/u1?_state=s`));
    const c = client(`127.0.0.1:${reg.port}`);
    const blob = Buffer.from('layer');
    await c.uploadBlob(digestOf(blob), blob);
    // The registry saw the token; the store on another origin got the bytes without it.
    expect(reg.seen.filter((s) => s.method === 'POST').map((s) => s.authorization)).toEqual([undefined, 'Bearer registry-token']);
    expect(other.seen).toEqual([{ method: 'PUT', path: `/upload/u1?_state=s&digest=${encodeURIComponent(digestOf(blob))}`, authorization: undefined }]);
    // A 307 to the other origin is an error, and nothing is sent there.
    await expect(c.hasBlob(digestOf(blob))).rejects.toThrow(/answered 307/);
    expect(other.seen).toHaveLength(1);
    c.close();
  });

  it('Basic credentials go to a token realm on the registry host only; another host gets no request at all', async () => {
    const realm = await recorder(tokenService);
    // The same host on another port: the usual registry + token service pair.
    const sameHost = await recorder(registry(() => `http://127.0.0.1:${realm.port}/token`));
    const ok = client(`127.0.0.1:${sameHost.port}`);
    await ok.ping();
    expect(realm.seen.map((s) => s.authorization)).toEqual([BASIC]);
    ok.close();

    const elsewhere = await recorder(tokenService);
    const foreign = await recorder(registry(() => `http://localhost:${elsewhere.port}/token`));
    const refused = client(`127.0.0.1:${foreign.port}`);
    await expect(refused.ping()).rejects.toThrow(new RegExp(`token realm http://localhost:${elsewhere.port}/token is not on the registry's host 127\\.0\\.0\\.1: the credentials are not sent there`));
    expect(elsewhere.seen).toEqual([]);
    refused.close();
    // Without credentials there is nothing to leak: an anonymous token may come from anywhere (https, or http for a plain-HTTP registry).
    const anonymous = client(`127.0.0.1:${foreign.port}`, { credentials: undefined });
    await expect(anonymous.ping()).rejects.toThrow(/answered 401 .*no credentials given/);
    expect(elsewhere.seen.map((s) => s.authorization)).toEqual([undefined]);
    anonymous.close();
  });

  it('an https registry whose token realm is plain http: refused before any request to the realm', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'registry-tls-'));
    dirs.push(dir);
    const r = spawnSync(
      'openssl',
      ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')],
      { encoding: 'utf8' },
    );
    expect(r.status, r.stderr).toBe(0);
    const tls = { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) };
    const realm = await recorder(tokenService);
    const reg = await recorder(registry(() => `http://127.0.0.1:${realm.port}/token`), tls);
    const c = client(`127.0.0.1:${reg.port}`, { plainHttp: false, tls: { ca: tls.cert } });
    await expect(c.ping()).rejects.toThrow(/token realm http:\/\/127\.0\.0\.1:\d+\/token is plain HTTP; the registry is https/);
    expect(realm.seen).toEqual([]);
    expect(reg.seen.map((s) => s.authorization)).toEqual([undefined]);
    c.close();
  });
});

describe('the realm rule', () => {
  const https = { host: 'cr.yandex', plainHttp: false };
  it('https, on the registry host (any port), or for cr.yandex on a cr.yandex host; plain http only for a plain-HTTP registry', () => {
    expect(checkRealm(new URL('https://cr.yandex/token'), https, true)).toBeUndefined();
    expect(checkRealm(new URL('https://auth.cr.yandex/token'), https, true)).toBeUndefined();
    expect(checkRealm(new URL('https://cr.yandex.evil.example/token'), https, true)).toMatch(/not on the registry's host cr\.yandex/);
    expect(checkRealm(new URL('https://evilcr.yandex/token'), https, true)).toMatch(/not on the registry's host/);
    expect(checkRealm(new URL('https://auth.example/token'), https, false)).toBeUndefined();
    expect(checkRealm(new URL('http://cr.yandex/token'), https, false)).toMatch(/plain HTTP/);
    expect(checkRealm(new URL('https://registry.example:5001/token'), { host: 'registry.example:5000', plainHttp: false }, true)).toBeUndefined();
    expect(checkRealm(new URL('https://auth.cr.yandex/token'), { host: 'registry.example', plainHttp: false }, true)).toMatch(/not on the registry's host registry\.example/);
    expect(checkRealm(new URL('http://127.0.0.1:9/token'), { host: '127.0.0.1:5000', plainHttp: true }, true)).toBeUndefined();
    expect(checkRealm(new URL('ftp://127.0.0.1/token'), { host: '127.0.0.1:5000', plainHttp: true }, false)).toMatch(/http/);
  });
});

describe('which push target gets which credentials', () => {
  const targets = ['cr.yandex/crp1/shs:1', '127.0.0.1:5000/shs:1', 'cr.yandex/crp1/shs-copy:1'].map((r) => parseReference(r));
  it('registry-username/password: the first target\'s registry only; Yandex credentials: cr.yandex only', () => {
    const explicit = credentialsScope({ credentials: CREDS, source: 'registry-username', push: targets });
    expect(explicit('cr.yandex')).toBe(CREDS);
    expect(explicit('127.0.0.1:5000')).toBeUndefined();
    const local = credentialsScope({ credentials: CREDS, source: 'registry-username', push: [targets[1]!, targets[0]!] });
    expect(local('127.0.0.1:5000')).toBe(CREDS);
    expect(local('cr.yandex')).toBeUndefined();
    const yandex = credentialsScope({ credentials: CREDS, source: 'yandex', push: [targets[1]!, targets[0]!] });
    expect(yandex('cr.yandex')).toBe(CREDS);
    expect(yandex('127.0.0.1:5000')).toBeUndefined();
    expect(credentialsScope({ push: targets })('cr.yandex')).toBeUndefined();
  });
});
