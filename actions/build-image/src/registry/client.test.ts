// The registry client against an in-process fake registry (Bearer token auth, faults on demand).
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseChallenge } from './auth.js';
import { RegistryClient } from './client.js';
import { parseReference } from './reference.js';

const digestOf = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

interface Fake {
  blobs: Map<string, Buffer>;
  manifests: Map<string, Buffer>;
  requests: string[];
  /** Statuses to answer (once each) before handling normally. */
  faults: number[];
  lieAboutDigest: boolean;
  tokenRequests: number;
}

const fake: Fake = { blobs: new Map(), manifests: new Map(), requests: [], faults: [], lieAboutDigest: false, tokenRequests: 0 };
let server: Server;
let host: string;

function body(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
  });
}

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url!, `http://${host}`);
  const data = await body(req);
  if (url.pathname === '/token') {
    fake.tokenRequests++;
    const ok = req.headers.authorization === `Basic ${Buffer.from('iam:t1.secret').toString('base64')}`;
    res.writeHead(ok ? 200 : 401, { 'content-type': 'application/json' }).end(JSON.stringify(ok ? { token: 'registry-token' } : { errors: [{ code: 'UNAUTHORIZED', message: 'bad credentials' }] }));
    return;
  }
  fake.requests.push(`${req.method} ${url.pathname}`);
  if (req.headers.authorization !== 'Bearer registry-token') {
    res.writeHead(401, { 'www-authenticate': `Bearer realm="http://${host}/token",service="fake",scope="repository:shs:pull,push"`, 'content-type': 'application/json' });
    res.end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] }));
    return;
  }
  const fault = fake.faults.shift();
  if (fault) {
    res.writeHead(fault, fault === 429 ? { 'retry-after': '0' } : {}).end('try later');
    return;
  }
  let m: RegExpExecArray | null;
  if (url.pathname === '/v2/') res.writeHead(200).end('{}');
  else if ((m = /^\/v2\/(.+)\/blobs\/(sha256:[0-9a-f]+)$/.exec(url.pathname))) res.writeHead(fake.blobs.has(m[2]!) ? 200 : 404).end();
  else if (req.method === 'POST' && /\/blobs\/uploads\/$/.test(url.pathname)) res.writeHead(202, { location: `${url.pathname}u1?_state=abc` }).end();
  else if (req.method === 'PUT' && /\/blobs\/uploads\/u1$/.test(url.pathname)) {
    const digest = url.searchParams.get('digest')!;
    if (url.searchParams.get('_state') !== 'abc') res.writeHead(400).end('lost state');
    else if (digestOf(data) !== digest) res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ errors: [{ code: 'DIGEST_INVALID', message: 'provided digest did not match uploaded content' }] }));
    else {
      fake.blobs.set(digest, data);
      res.writeHead(201, { 'docker-content-digest': digest }).end();
    }
  } else if ((m = /^\/v2\/(.+)\/manifests\/(.+)$/.exec(url.pathname)) && req.method === 'PUT') {
    const parsed = JSON.parse(data.toString()) as { layers: { digest: string }[] };
    const unknown = parsed.layers.find((l) => !fake.blobs.has(l.digest));
    if (unknown) {
      res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ errors: [{ code: 'MANIFEST_BLOB_UNKNOWN', message: 'blob unknown to registry', detail: unknown.digest }] }));
      return;
    }
    fake.manifests.set(m[2]!, data);
    res.writeHead(201, { 'docker-content-digest': fake.lieAboutDigest ? digestOf(Buffer.from('other')) : digestOf(data) }).end();
  } else res.writeHead(404).end();
}

beforeAll(async () => {
  server = createServer((req, res) => void handle(req, res));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));
beforeEach(() => {
  fake.blobs.clear();
  fake.manifests.clear();
  fake.requests = [];
  fake.faults = [];
  fake.lieAboutDigest = false;
  fake.tokenRequests = 0;
});

const client = (password = 't1.secret', masked: string[] = []) =>
  new RegistryClient({ registry: host, repository: 'shs', plainHttp: true, credentials: { username: 'iam', password }, retry: { baseDelayMs: 1 }, mask: (s) => masked.push(s) });

describe('registry client', () => {
  it('gets a Bearer token once, skips blobs that exist, uploads the others, verifies digests', async () => {
    const masked: string[] = [];
    const c = client('t1.secret', masked);
    const blob = Buffer.from('layer bytes');
    const d = digestOf(blob);
    expect(await c.hasBlob(d)).toBe(false);
    await c.uploadBlob(d, blob);
    expect(await c.hasBlob(d)).toBe(true);
    const manifest = Buffer.from(JSON.stringify({ layers: [{ digest: d }] }));
    expect(await c.putManifest('v1', 'application/vnd.oci.image.manifest.v1+json', manifest, digestOf(manifest))).toBe(digestOf(manifest));
    expect(fake.tokenRequests).toBe(1);
    expect(masked).toEqual(['registry-token']);
    c.close();
  });

  it('retries 503, 429 and 500, then succeeds (bounded)', async () => {
    const c = client();
    fake.faults = [503, 429, 500];
    const blob = Buffer.from('retry me');
    await c.uploadBlob(digestOf(blob), blob);
    expect(fake.blobs.has(digestOf(blob))).toBe(true);
    fake.faults = [502, 502, 502, 502, 502];
    await expect(c.hasBlob(digestOf(blob))).rejects.toThrow(/answered 502 to HEAD \/v2\/shs\/blobs\/sha256:/);
    expect(fake.faults).toEqual([502]); // 4 attempts, then the error
    c.close();
  });

  it("names the registry's own message, does not retry 4xx, and catches a digest the registry changed", async () => {
    const c = client();
    await c.ping();
    fake.requests = [];
    const manifest = Buffer.from(JSON.stringify({ layers: [{ digest: digestOf(Buffer.from('missing')) }] }));
    await expect(c.putManifest('v1', 'application/vnd.oci.image.manifest.v1+json', manifest, digestOf(manifest))).rejects.toThrow(
      /answered 400 to PUT \/v2\/shs\/manifests\/v1: MANIFEST_BLOB_UNKNOWN: blob unknown to registry \(sha256:/,
    );
    expect(fake.requests.filter((r) => r.startsWith('PUT')).length).toBe(1);
    await expect(c.uploadBlob(digestOf(Buffer.from('a')), Buffer.from('b'))).rejects.toThrow('DIGEST_INVALID: provided digest did not match uploaded content');
    fake.lieAboutDigest = true;
    const ok = Buffer.from(JSON.stringify({ layers: [] }));
    await expect(c.putManifest('v2', 'application/vnd.oci.image.manifest.v1+json', ok, digestOf(ok))).rejects.toThrow(/stored manifest v2 as sha256:.*expected/);
    c.close();
  });

  it('reports refused credentials with the token endpoint message', async () => {
    const c = client('wrong');
    await expect(c.ping()).rejects.toThrow(/token endpoint .*\/token answered 401 for user "iam": bad credentials/);
    c.close();
  });

  it('retries network errors', async () => {
    const dead = new RegistryClient({ registry: '127.0.0.1:1', repository: 'shs', plainHttp: true, retry: { attempts: 2, baseDelayMs: 1 } });
    await expect(dead.ping()).rejects.toThrow(/ECONNREFUSED/);
    dead.close();
  });
});

describe('references and challenges', () => {
  it('parses references with an explicit registry', () => {
    expect(parseReference('cr.yandex/crp123/shs:sha-1')).toEqual({ registry: 'cr.yandex', repository: 'crp123/shs', tag: 'sha-1' });
    expect(parseReference('localhost:5000/a/b')).toEqual({ registry: 'localhost:5000', repository: 'a/b' });
    expect(() => parseReference('shs:latest')).toThrow('must start with a registry host');
    expect(() => parseReference('cr.yandex/shs@sha256:00')).toThrow('has a digest');
  });

  it('parses WWW-Authenticate challenges', () => {
    expect(parseChallenge('Bearer realm="https://auth.example/token",service="registry",scope="repository:a:pull,push"')).toEqual({
      scheme: 'bearer',
      params: { realm: 'https://auth.example/token', service: 'registry', scope: 'repository:a:pull,push' },
    });
    expect(parseChallenge('Basic realm="Registry Realm"')).toEqual({ scheme: 'basic', params: { realm: 'Registry Realm' } });
  });
});
