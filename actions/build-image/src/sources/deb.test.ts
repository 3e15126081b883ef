// deb: sources with a real .deb (dpkg-deb --build) served by a local HTTP server: SHA-256 verified before caching,
// 404s and mismatches named, extraction and symlinks resolved inside the package.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { debCachePath, extractDeb, fetchDeb, fileInPackage, sha256Hex } from './deb.js';
import type { DebPin } from './lock.js';

const tmp = mkdtempSync(join(tmpdir(), 'deb-source-'));
const cache = join(tmp, 'tools');
let deb: Buffer;
let server: Server;
let base = '';
const served: string[] = [];

/** A real, tiny .deb: a library, an absolute symlink to it (like /lib64/ld-linux-x86-64.so.2), a relative one. */
function buildDeb(): Buffer {
  const root = join(tmp, 'pkg');
  mkdirSync(join(root, 'DEBIAN'), { recursive: true });
  writeFileSync(join(root, 'DEBIAN', 'control'), 'Package: libfake1\nVersion: 1.0-1\nArchitecture: amd64\nMaintainer: test <t@example.test>\nDescription: fake\n');
  mkdirSync(join(root, 'lib', 'x86_64-linux-gnu'), { recursive: true });
  mkdirSync(join(root, 'lib64'));
  writeFileSync(join(root, 'lib', 'x86_64-linux-gnu', 'libfake.so.1.0.0'), 'ELF? not really');
  symlinkSync('libfake.so.1.0.0', join(root, 'lib', 'x86_64-linux-gnu', 'libfake.so.1'));
  symlinkSync('/lib/x86_64-linux-gnu/libfake.so.1', join(root, 'lib64', 'libfake.so'));
  symlinkSync('loop-b', join(root, 'lib64', 'loop-a'));
  symlinkSync('loop-a', join(root, 'lib64', 'loop-b'));
  execFileSync('dpkg-deb', ['--root-owner-group', '-Zgzip', '--build', root, join(tmp, 'libfake1.deb')], { stdio: 'ignore' });
  return readFileSync(join(tmp, 'libfake1.deb'));
}

const pin = (over: Partial<DebPin> = {}): DebPin => ({
  name: 'libfake1',
  version: '1.0-1',
  architecture: 'amd64',
  size: deb.length,
  sha256: sha256Hex(deb),
  urls: [`${base}/pool/libfake1.deb`],
  ...over,
});
const options = { toolCacheDir: cache, lockFile: '/repo/images/runtime.lock.json', attempts: 1 };

beforeAll(async () => {
  deb = buildDeb();
  server = createServer((req, res) => {
    served.push(req.url!);
    if (req.url === '/pool/libfake1.deb') res.end(deb);
    else if (req.url === '/pool/tampered.deb') res.end(Buffer.concat([deb, Buffer.from('x')]));
    else res.writeHead(404).end('not found');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((r) => server.close(r));
  rmSync(tmp, { recursive: true, force: true });
});
beforeEach(() => {
  rmSync(cache, { recursive: true, force: true });
  served.length = 0;
});

describe('deb: sources', () => {
  it('downloads, verifies and caches by SHA-256; the cached copy is used next time', async () => {
    const file = await fetchDeb(pin(), options);
    expect(file).toBe(join(cache, 'debs', `${sha256Hex(deb)}.deb`));
    expect(readFileSync(file).equals(deb)).toBe(true);
    expect(await fetchDeb(pin(), options)).toBe(file);
    expect(served).toEqual(['/pool/libfake1.deb']);
  });

  it('refuses a download whose SHA-256 is not the pinned one, naming the package, and caches nothing', async () => {
    const bad = pin({ urls: [`${base}/pool/tampered.deb`] });
    await expect(fetchDeb(bad, options)).rejects.toThrow(
      `libfake1 1.0-1 (amd64): refused: the downloaded .deb does not have the SHA-256 pinned in /repo/images/runtime.lock.json (nothing was cached):\n  ${base}/pool/tampered.deb: SHA-256 ${sha256Hex(Buffer.concat([deb, Buffer.from('x')]))}, not the pinned ${sha256Hex(deb)}`,
    );
    expect(existsSync(join(cache, 'debs')) ? readdirSync(join(cache, 'debs')) : []).toEqual([]);
  });

  it('a 404 says the mirror no longer has the version and names the script; a fallback URL is tried first', async () => {
    const gone = pin({ urls: [`${base}/pool/old.deb`, `${base}/snapshot/old.deb`] });
    const err = await fetchDeb(gone, options).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toContain('libfake1 1.0-1 (amd64): the mirror no longer has this version (HTTP 404)');
    expect((err as Error).message).toContain(`${base}/pool/old.deb: HTTP 404 (not found)`);
    expect((err as Error).message).toContain(`${base}/snapshot/old.deb: HTTP 404 (not found)`);
    expect((err as Error).message).toContain('Refresh the pins with: node scripts/update-runtime-lock.mjs');
    const file = await fetchDeb(pin({ urls: [`${base}/pool/old.deb`, `${base}/pool/libfake1.deb`] }), options);
    expect(readFileSync(file).equals(deb)).toBe(true);
  });

  it('names an unreachable host', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(closed.address() as AddressInfo).port}/pool/x.deb`;
    await new Promise((r) => closed.close(r));
    await expect(fetchDeb(pin({ urls: [url] }), options)).rejects.toThrow(`could not download it from any URL pinned in /repo/images/runtime.lock.json:\n  ${url}: ECONNREFUSED`);
  });

  it('downloads again when the cached copy is damaged', async () => {
    mkdirSync(join(cache, 'debs'), { recursive: true });
    writeFileSync(debCachePath(cache, pin()), 'damaged');
    const logs: string[] = [];
    const file = await fetchDeb(pin(), { ...options, log: (m) => logs.push(m) });
    expect(readFileSync(file).equals(deb)).toBe(true);
    expect(logs[0]).toContain('damaged');
  });

  it('extracts with dpkg-deb; files are found inside the package, symlinks followed inside it', async () => {
    const dir = join(tmp, 'x');
    await extractDeb(await fetchDeb(pin(), options), dir);
    const real = join(dir, 'lib', 'x86_64-linux-gnu', 'libfake.so.1.0.0');
    expect(fileInPackage(dir, 'lib/x86_64-linux-gnu/libfake.so.1', 'libfake1 1.0-1')).toBe(real);
    expect(fileInPackage(dir, 'lib64/libfake.so', 'libfake1 1.0-1')).toBe(real); // absolute target: from the package root, not the host's /lib
    expect(() => fileInPackage(dir, 'lib/x86_64-linux-gnu/libnope.so', 'libfake1 1.0-1')).toThrow('libfake1 1.0-1 has no file lib/x86_64-linux-gnu/libnope.so');
    expect(() => fileInPackage(dir, 'lib64', 'libfake1 1.0-1')).toThrow('libfake1 1.0-1: lib64 is not a regular file');
    expect(() => fileInPackage(dir, 'lib64/loop-a', 'libfake1 1.0-1')).toThrow('too many levels of symbolic links');
  });

  it('names a .deb dpkg-deb cannot read', async () => {
    writeFileSync(join(tmp, 'not.deb'), 'not a deb');
    await expect(extractDeb(join(tmp, 'not.deb'), join(tmp, 'y'))).rejects.toThrow(`dpkg-deb -x ${join(tmp, 'not.deb')} failed`);
  });
});
