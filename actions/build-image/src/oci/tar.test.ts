import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { comparePaths, tarChunks, type TarEntry } from './tar.js';

const long = `${'deep/'.repeat(40)}file.txt`; // 208 bytes: needs a PAX header
const entries: TarEntry[] = [
  { path: 'etc', type: 'directory', mode: 0o755, uid: 0, gid: 0, mtime: 1700000000 },
  { path: 'etc/passwd', type: 'file', mode: 0o644, uid: 0, gid: 0, mtime: 1700000000, data: Buffer.from('root:x:0:0::/:/sbin/nologin\n') },
  { path: 'tmp', type: 'directory', mode: 0o1777, uid: 0, gid: 0, mtime: 1700000000 },
  { path: 'usr/bin/app', type: 'file', mode: 0o755, uid: 65532, gid: 65532, mtime: 1700000000, data: Buffer.alloc(1000, 7) },
  { path: 'usr/bin/link', type: 'symlink', mode: 0o777, uid: 0, gid: 0, mtime: 1700000000, linkname: 'app' },
  { path: long, type: 'file', mode: 0o600, uid: 0, gid: 0, mtime: 1700000000, data: Buffer.from('x') },
];

describe('tar', () => {
  it('writes an archive GNU tar reads back exactly', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tar-test-'));
    const file = join(dir, 'a.tar');
    writeFileSync(file, Buffer.concat(tarChunks(entries)));
    const listing = execFileSync('tar', ['--numeric-owner', '--utc', '-tvf', file], { encoding: 'utf8' }).trim().split('\n');
    expect(listing).toHaveLength(entries.length);
    expect(listing[0]).toMatch(/^drwxr-xr-x 0\/0 +0 2023-11-14 22:13 etc\/$/);
    expect(listing[2]).toMatch(/^drwxrwxrwt 0\/0 .* tmp\/$/);
    expect(listing[3]).toMatch(/^-rwxr-xr-x 65532\/65532 +1000 .* usr\/bin\/app$/);
    expect(listing[4]).toMatch(/^lrwxrwxrwx .* usr\/bin\/link -> app$/);
    expect(listing[5]).toContain(long);
    const out = join(dir, 'x');
    execFileSync('mkdir', [out]);
    execFileSync('tar', ['-xf', file, '-C', out]);
    expect(execFileSync('cat', [join(out, 'etc/passwd')], { encoding: 'utf8' })).toBe('root:x:0:0::/:/sbin/nologin\n');
  });

  it('is byte-for-byte deterministic', () => {
    expect(Buffer.concat(tarChunks(entries)).equals(Buffer.concat(tarChunks(entries.map((e) => ({ ...e })))))).toBe(true);
  });

  it('orders paths byte-wise, parents first', () => {
    expect(['usr/bin', 'usr', 'usr-x', 'a/b', 'a'].sort(comparePaths)).toEqual(['a', 'a/b', 'usr', 'usr-x', 'usr/bin']);
  });
});
