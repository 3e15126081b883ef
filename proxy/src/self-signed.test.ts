import { X509Certificate, createPrivateKey } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { selfSigned } from './self-signed.js';

describe('a self-signed certificate made in-process', () => {
  it('parses, is signed by its own key, names the hosts, and lasts the days asked', () => {
    const now = new Date('2026-12-01T00:00:00Z');
    const c = selfSigned(['shs-proxy-1', 'localhost', '127.0.0.1', '::1'], 30, now);
    const x = new X509Certificate(c.cert);
    expect(x.subject).toBe('CN=shs-proxy-1');
    expect(x.subjectAltName).toBe('DNS:shs-proxy-1, DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1');
    expect(x.verify(x.publicKey)).toBe(true);
    expect(x.checkPrivateKey(createPrivateKey(c.key))).toBe(true);
    expect(new Date(x.validFrom).getTime()).toBe(now.getTime() - 86_400_000);
    expect(new Date(x.validTo).getTime()).toBe(now.getTime() + 30 * 86_400_000);
    expect(x.ca).toBe(false);
    expect(c.key).toContain('-----BEGIN PRIVATE KEY-----');
  });

  it('is a certificate openssl accepts for TLS servers, and a fresh key every time', () => {
    const dir = mkdtempSync(join(tmpdir(), 'self-signed-'));
    try {
      const c = selfSigned(['localhost']);
      writeFileSync(join(dir, 'cert.pem'), c.cert);
      const r = spawnSync('openssl', ['verify', '-purpose', 'sslserver', '-CAfile', join(dir, 'cert.pem'), join(dir, 'cert.pem')], { encoding: 'utf8' });
      expect(r.stdout + r.stderr).toContain(': OK');
      expect(selfSigned(['localhost']).key).not.toBe(c.key);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('dates after 2049 are GeneralizedTime', () => {
    const x = new X509Certificate(selfSigned(['localhost'], 10, new Date('2055-06-01T00:00:00Z')).cert);
    expect(new Date(x.validTo).getUTCFullYear()).toBe(2055);
  });

  it('needs a name', () => {
    expect(() => selfSigned([])).toThrow(/at least one name/);
  });
});
