// The source reader: a layer built from npm, deb and host sources; pins checked when the sources are opened.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { buildImage } from '../build.js';
import { closeGzipPool } from '../oci/gzip.js';
import { parseSpec } from '../spec.js';
import { sha256Hex } from './deb.js';
import { openSources } from './reader.js';

afterAll(closeGzipPool);
const tmp = mkdtempSync(join(tmpdir(), 'sources-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

// A repository: a pinned npm package installed in node_modules, a pinned .deb served by a fake fetch, a host file.
const INTEGRITY = `sha512-${'A'.repeat(86)}==`;
mkdirSync(join(tmp, 'node_modules', 'fake-rt', 'bin'), { recursive: true });
writeFileSync(join(tmp, 'node_modules', 'fake-rt', 'package.json'), JSON.stringify({ name: 'fake-rt', version: '1.2.3' }));
writeFileSync(join(tmp, 'node_modules', 'fake-rt', 'bin', 'tool'), 'npm tool');
writeFileSync(join(tmp, 'package-lock.json'), JSON.stringify({ packages: { 'node_modules/fake-rt': { version: '1.2.3', integrity: INTEGRITY } } }));
mkdirSync(join(tmp, 'pkg', 'DEBIAN'), { recursive: true });
writeFileSync(join(tmp, 'pkg', 'DEBIAN', 'control'), 'Package: libfake1\nVersion: 1.0-1\nArchitecture: amd64\nMaintainer: t <t@example.test>\nDescription: fake\n');
mkdirSync(join(tmp, 'pkg', 'lib'));
writeFileSync(join(tmp, 'pkg', 'lib', 'libfake.so.1'), 'deb library');
execFileSync('dpkg-deb', ['--root-owner-group', '-Zgzip', '--build', join(tmp, 'pkg'), join(tmp, 'libfake1.deb')], { stdio: 'ignore' });
const deb = readFileSync(join(tmp, 'libfake1.deb'));
writeFileSync(join(tmp, 'app.js'), 'host file');
mkdirSync(join(tmp, 'images'));
const lockFile = join(tmp, 'images', 'runtime.lock.json');
writeFileSync(
  lockFile,
  JSON.stringify({
    npm: { 'fake-rt': { version: '1.2.3', integrity: INTEGRITY } },
    debian: { suite: 'bookworm', architecture: 'amd64', packages: { libfake1: { version: '1.0-1', architecture: 'amd64', size: deb.length, sha256: sha256Hex(deb), urls: ['http://mirror.test/libfake1.deb'] } } },
  }),
);
const fetched: string[] = [];
const fetch = async (url: string) => {
  fetched.push(url);
  return new Response(deb);
};
const spec = (entries: unknown[], over: Record<string, unknown> = { lock: 'images/runtime.lock.json' }) => parseSpec({ title: 't', ...over, layers: [{ name: 'l', entries }] }, join(tmp, 'image.json'));
const ENTRIES = [
  { path: '/usr/bin/tool', source: 'npm:fake-rt/bin/tool', mode: '0755' },
  { path: '/lib/libfake.so.1', source: 'deb:libfake1/lib/libfake.so.1' },
  { path: '/app/app.js', source: 'app.js' },
];

describe('source reader', () => {
  it('builds a layer from npm, deb and host sources; the .deb is fetched once and cached', async () => {
    const toolCacheDir = join(tmp, 'tools');
    const image = await buildImage({ spec: spec(ENTRIES), provenance: { created: new Date(0), createdFrom: 'source-date-epoch', revision: '', source: '' }, sourceOptions: { toolCacheDir, fetch } });
    const tar = gunzipSync(image.layers[0]!.data).toString('latin1');
    for (const text of ['npm tool', 'deb library', 'host file']) expect(tar).toContain(text);
    expect(image.layers[0]!.paths).toEqual(['app/', 'app/app.js', 'lib/', 'lib/libfake.so.1', 'usr/', 'usr/bin/', 'usr/bin/tool']);
    const again = await buildImage({ spec: spec(ENTRIES), provenance: { created: new Date(0), createdFrom: 'source-date-epoch', revision: '', source: '' }, sourceOptions: { toolCacheDir, fetch } });
    expect(again.manifestDigest).toBe(image.manifestDigest);
    expect(fetched).toEqual(['http://mirror.test/libfake1.deb']);
  });

  it('checks every pinned source against the lock file when opened, naming the entry', () => {
    expect(() => openSources(spec([{ path: '/lib/x', source: 'deb:libother1/lib/x' }]))).toThrow(
      `/lib/x: source "deb:libother1/lib/x": libother1 is not pinned in ${lockFile} (debian.packages; add it with node scripts/update-runtime-lock.mjs --add libother1)`,
    );
    expect(() => openSources(spec([{ path: '/bin/x', source: 'npm:other-rt/bin/x' }]))).toThrow(`/bin/x: source "npm:other-rt/bin/x": other-rt is not pinned in ${lockFile} (npm;`);
    expect(() => openSources(spec([{ path: '/bin/x', source: 'npm:fake-rt/bin/nope' }]))).toThrow('/bin/x: source "npm:fake-rt/bin/nope": fake-rt 1.2.3 has no file bin/nope');
    expect(() => openSources(spec(ENTRIES, { lock: 'images/missing.json' }))).toThrow(`cannot read the lock file ${join(tmp, 'images', 'missing.json')}: ENOENT`);
  });

  it('names the entry and the package when a file is not in the .deb', async () => {
    const sources = openSources(spec([{ path: '/lib/x', source: 'deb:libfake1/lib/libnope.so' }]), { toolCacheDir: join(tmp, 'tools'), fetch });
    await expect(sources.read({ kind: 'deb', package: 'libfake1', file: 'lib/libnope.so' }, '/lib/x')).rejects.toThrow('/lib/x: source "deb:libfake1/lib/libnope.so": libfake1 1.0-1 has no file lib/libnope.so');
    sources.close();
  });
});
