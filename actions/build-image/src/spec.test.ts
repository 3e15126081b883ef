import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSpec, parseSpec } from './spec.js';

const ROOT = join(__dirname, '..', '..', '..');
const minimal = (over: Record<string, unknown> = {}) => ({ title: 't', layers: [{ name: 'l', entries: [{ path: '/a', content: 'x' }] }], ...over });

describe('image spec', () => {
  it('loads the SHS spec: runtime and app layers, non-root user, no shell', () => {
    const spec = loadSpec(join(ROOT, 'shs', 'image.json'));
    expect(spec.layers.map((l) => l.name)).toEqual(['runtime', 'app']);
    expect(spec.config.user).toBe('65532:65532');
    const paths = spec.layers.flatMap((l) => l.entries.map((e) => e.path));
    expect(paths).toContain('/tmp');
    expect(paths).toContain('/etc/passwd');
    expect(paths.some((p) => /\/(sh|bash|busybox)$/.test(p))).toBe(false);
    const app = spec.layers[1]!.entries[0]!;
    expect(app.type === 'file' && app.source).toBe(join(ROOT, 'shs', 'dist', 'shs.cjs'));
  });

  it('names the key at fault', () => {
    expect(() => parseSpec({}, '/x/image.json')).toThrow('title: expected a non-empty string');
    expect(() => parseSpec(minimal({ layers: [] }), '/x')).toThrow('layers: expected a non-empty array');
    expect(() => parseSpec(minimal({ extra: 1 }), '/x')).toThrow('unknown key "extra"');
    expect(() => parseSpec(minimal({ layers: [{ name: 'l', entries: [{ path: 'rel', content: '' }] }] }), '/x')).toThrow('layers[0].entries[0].path: "rel" must be an absolute path');
    expect(() => parseSpec(minimal({ layers: [{ name: 'l', entries: [{ path: '/a' }] }] }), '/x')).toThrow('exactly one of "source" and "content"');
    expect(() => parseSpec(minimal({ layers: [{ name: 'l', entries: [{ path: '/a', content: '', mode: '999' }] }] }), '/x')).toThrow('layers[0].entries[0].mode');
    expect(() =>
      parseSpec(minimal({ layers: [{ name: 'a', entries: [{ path: '/a', content: '' }] }, { name: 'b', entries: [{ path: '/a/', content: '' }] }] }), '/x'),
    ).toThrow('layers[1].entries[0]: "/a" is already declared at layers[0].entries[0]');
    expect(() => parseSpec(minimal({ config: { env: { 'A-B': 'x' } } }), '/x')).toThrow('config.env: "A-B" is not a variable name');
    expect(() => parseSpec(minimal({ config: { exposedPorts: ['http'] } }), '/x')).toThrow('config.exposedPorts');
    expect(() => parseSpec(minimal({ compression: { level: 0 } }), '/x')).toThrow('compression.level');
  });

  it('resolves relative sources against the spec directory and defaults the platform', () => {
    const spec = parseSpec(minimal({ layers: [{ name: 'l', entries: [{ path: '/bin/x', source: 'bin/x', mode: '0755' }] }] }), '/srv/img/image.json');
    expect(spec.layers[0]!.entries[0]).toMatchObject({ type: 'file', source: '/srv/img/bin/x', mode: 0o755, uid: 0 });
    expect(spec.os).toBe('linux');
    expect(spec.mediaTypes).toBe('oci');
    expect(spec.compressionLevel).toBe(6);
  });
});
