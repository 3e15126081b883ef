import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { buildImage } from './build.js';
import { closeGzipPool } from './oci/gzip.js';
import type { Provenance } from './provenance.js';
import { parseSpec } from './spec.js';

afterAll(closeGzipPool);

const dir = mkdtempSync(join(tmpdir(), 'build-test-'));
writeFileSync(join(dir, 'app.js'), 'console.log("hi")\n');
const raw = {
  title: 'demo',
  layers: [
    { name: 'runtime', entries: [{ path: '/etc/passwd', content: 'nonroot:x:65532:65532::/:/sbin/nologin\n' }, { path: '/tmp', type: 'directory', mode: '1777' }] },
    { name: 'app', entries: [{ path: '/app/app.js', source: 'app.js' }] },
  ],
  config: { user: '65532', entrypoint: ['/bin/app'], env: { A: '1' }, exposedPorts: ['8080'], labels: { x: 'y' } },
};
const prov = (epoch: number): Provenance => ({ created: new Date(epoch * 1000), createdFrom: 'source-date-epoch', revision: 'abc123', source: 'https://example.test/repo' });

describe('buildImage', () => {
  it('is reproducible, and the timestamp is part of the digest', async () => {
    const spec = parseSpec(raw, join(dir, 'image.json'));
    const a = await buildImage({ spec, provenance: prov(1700000000) });
    const b = await buildImage({ spec, provenance: prov(1700000000) });
    expect(a.manifestDigest).toBe(b.manifestDigest);
    expect(a.layers.map((l) => l.digest)).toEqual(b.layers.map((l) => l.digest));
    const c = await buildImage({ spec, provenance: prov(1700000001) });
    expect(c.manifestDigest).not.toBe(a.manifestDigest);
  });

  it('writes a single OCI manifest, the config, labels and separate layers', async () => {
    const spec = parseSpec(raw, join(dir, 'image.json'));
    const img = await buildImage({ spec, provenance: prov(1700000000) });
    const manifest = JSON.parse(img.manifest.toString()) as { mediaType: string; layers: { digest: string }[]; config: { digest: string } };
    expect(manifest.mediaType).toBe('application/vnd.oci.image.manifest.v1+json');
    expect(manifest.layers.map((l) => l.digest)).toEqual(img.layers.map((l) => l.digest));
    const config = JSON.parse(img.config.toString()) as { created: string; config: Record<string, unknown>; rootfs: { diff_ids: string[] } };
    expect(config.created).toBe('2023-11-14T22:13:20Z');
    expect(config.config.Labels).toEqual({
      'org.opencontainers.image.created': '2023-11-14T22:13:20Z',
      'org.opencontainers.image.revision': 'abc123',
      'org.opencontainers.image.source': 'https://example.test/repo',
      'org.opencontainers.image.title': 'demo',
      x: 'y',
    });
    expect(config.config.ExposedPorts).toEqual({ '8080/tcp': {} });
    expect(config.rootfs.diff_ids).toEqual(img.layers.map((l) => l.diffId));
    expect(img.layers[0]!.paths).toEqual(['etc/', 'etc/passwd', 'tmp/']);
    expect(img.layers[1]!.paths).toEqual(['app/', 'app/app.js']);
    expect(gunzipSync(img.layers[1]!.data).length).toBe(img.layers[1]!.uncompressedSize);
  });

  it('reuses a cached compressed layer and gets the same digest', async () => {
    const spec = parseSpec(raw, join(dir, 'image.json'));
    const cacheDir = join(dir, 'cache');
    const a = await buildImage({ spec, provenance: prov(1), cacheDir });
    const b = await buildImage({ spec, provenance: prov(1), cacheDir });
    expect(a.layers.every((l) => !l.fromCache)).toBe(true);
    expect(b.layers.every((l) => l.fromCache)).toBe(true);
    expect(b.manifestDigest).toBe(a.manifestDigest);
  });

  it('names a missing source', async () => {
    const spec = parseSpec({ ...raw, layers: [{ name: 'app', entries: [{ path: '/app/x', source: 'missing.js' }] }] }, join(dir, 'image.json'));
    await expect(buildImage({ spec, provenance: prov(1) })).rejects.toThrow(`/app/x: cannot read its source ${join(dir, 'missing.js')}: ENOENT`);
  });
});
