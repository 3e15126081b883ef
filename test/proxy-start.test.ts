// The proxy image's entrypoint (proxy/dist/start.cjs) with this machine's nginx + Lua: configured only by
// PROXY_* variables, it serves the app instances over HTTP and HTTPS, downloads its certificate from
// Certificate Manager with the VM's token (a loopback stand-in of both APIs), serves a self-signed one until
// the managed one can be had, picks up a renewed certificate without a restart, refuses HTTP/3 it cannot
// serve, and stops gracefully on SIGQUIT with nginx's status.
import type { ChildProcess } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { afterAll, describe, expect, it } from 'vitest';
import { selfSigned } from '../proxy/src/self-signed.js';
import { startFakeCloud, type FakeCloud } from './support/fake-cloud.js';
import { spawnEntrypoint } from './support/proxy-entrypoint.js';
import { startFake, type FakeShs } from './support/fake-shs.js';
import { eventually } from './support/shs.js';

const cleanup: (() => Promise<unknown> | void)[] = [];
afterAll(async () => {
  for (const fn of cleanup.reverse()) await fn();
});

interface Proxy {
  child: ChildProcess;
  http: string;
  https: number;
  metrics: string;
  runDir: string;
  output: () => string;
  exited: Promise<number | null>;
}

async function startProxy(env: Record<string, string>): Promise<Proxy> {
  const e = await spawnEntrypoint('proxy-start', env, true);
  cleanup.push(e.stop);
  return { child: e.child, http: e.http, https: e.httpsPort, metrics: e.metricsUrl.replace(/\/metrics$/, ''), runDir: e.runDir, output: e.output, exited: e.exited };
}

/** The certificate the HTTPS listener presents. */
function presented(port: number): Promise<X509Certificate> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, servername: 'localhost', rejectUnauthorized: false }, () => {
      const raw = socket.getPeerX509Certificate();
      socket.end();
      if (raw) resolve(raw);
      else reject(new Error('no certificate'));
    });
    socket.on('error', reject);
  });
}

async function serving(p: Proxy): Promise<void> {
  await eventually(async () => {
    if (p.child.exitCode !== null) throw new Error(`the proxy exited ${p.child.exitCode}:\n${p.output()}`);
    return (await fetch(`${p.metrics}/healthz`).catch(() => null))?.status === 200;
  }, 20_000);
}

describe('the proxy image\'s entrypoint', () => {
  let app: FakeShs;
  let cloud: FakeCloud;

  it('serves the app over HTTP and HTTPS with the Certificate Manager certificate, downloaded with the VM\'s token; a renewal is picked up without a restart', async () => {
    app = await startFake();
    cleanup.push(() => app.close());
    cloud = await startFakeCloud('unused', 'unused');
    cleanup.push(() => cloud.close());
    const first = selfSigned(['shs.example.com']);
    cloud.certificates['fpq-cert-1'] = { certificateChain: [first.cert], privateKey: first.key };
    const p = await startProxy({
      PROXY_PEERS: new URL(app.url).host,
      PROXY_CERTIFICATE_ID: 'fpq-cert-1',
      PROXY_METADATA_URL: cloud.url,
      PROXY_CERTIFICATE_MANAGER_URL: cloud.url,
      PROXY_CERTIFICATE_REFRESH_SECONDS: '1',
    });
    await serving(p);
    expect(await (await fetch(`${p.http}/api/movie/1`)).json()).toMatchObject({ id: 1 });
    expect((await presented(p.https)).fingerprint256).toBe(new X509Certificate(first.cert).fingerprint256);
    // The documented requests: the token with Metadata-Flavor, the content with that token, PKCS#8 asked for.
    const content = cloud.requests.find((r) => r.path.startsWith('/certificate-manager/'));
    expect(content?.path).toBe('/certificate-manager/v1/certificates/fpq-cert-1:getContent?privateKeyFormat=PKCS8');
    expect(content?.headers.authorization).toBe(`Bearer ${cloud.token}`);
    expect(cloud.requests.some((r) => r.path.endsWith('/service-accounts/default/token') && r.headers['metadata-flavor'] === 'Google')).toBe(true);
    expect(statSync(join(p.runDir, 'tls', 'key.pem')).mode & 0o777).toBe(0o600);
    // nginx's workers (nobody, when this runs as root) can reach the cache under the run directory
    expect((await fetch(`${p.http}/long_dummy`)).status).toBe(200);
    expect((await fetch(`${p.http}/long_dummy`)).headers.get('x-cache-status')).toBe('HIT');

    const renewed = selfSigned(['shs.example.com']);
    cloud.certificates['fpq-cert-1'] = { certificateChain: [renewed.cert], privateKey: renewed.key };
    await eventually(async () => (await presented(p.https)).fingerprint256 === new X509Certificate(renewed.cert).fingerprint256, 20_000);
    expect(p.output()).toContain('certificate changed: reloading nginx');
    expect(p.output()).not.toContain(cloud.token);
    expect(p.output()).not.toContain(renewed.key.split('\n')[1]!);

    p.child.kill('SIGQUIT');
    expect(await p.exited).toBe(0);
    expect(p.output()).toContain('SIGQUIT: passing SIGQUIT to nginx');
  });

  it('serves a self-signed certificate while the managed one cannot be had, then switches to it', async () => {
    const p = await startProxy({
      PROXY_PEERS: new URL(app.url).host,
      PROXY_CERTIFICATE_ID: 'fpq-not-yet',
      PROXY_METADATA_URL: cloud.url,
      PROXY_CERTIFICATE_MANAGER_URL: cloud.url,
      PROXY_CERTIFICATE_REFRESH_SECONDS: '1',
    });
    await serving(p);
    const stand_in = await presented(p.https);
    expect(stand_in.subjectAltName).toContain('DNS:localhost');
    expect(p.output()).toMatch(/serving a self-signed certificate until the managed one can be downloaded.*not issued yet/);
    const issued = selfSigned(['shs.example.com']);
    cloud.certificates['fpq-not-yet'] = { certificateChain: [issued.cert], privateKey: issued.key };
    await eventually(async () => (await presented(p.https)).fingerprint256 === new X509Certificate(issued.cert).fingerprint256, 20_000);
  });

  it('refuses HTTP/3 that this nginx cannot serve, and unknown variables, naming them', async () => {
    const h3 = await startProxy({ PROXY_PEERS: new URL(app.url).host, PROXY_HTTP3: 'true' });
    expect(await h3.exited).toBe(1);
    expect(h3.output()).toMatch(/PROXY_HTTP3: .* was built without HTTP\/3/);
    const typo = await startProxy({ PROXY_PEERS: new URL(app.url).host, PROXY_PEER: 'x:1' });
    expect(await typo.exited).toBe(2);
    expect(typo.output()).toContain('PROXY_PEER: unknown variable');
  });
});
