import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseLddOutput, resolveSharedLibraries } from './elf-deps.js';

const LDD = `\tlinux-vdso.so.1 (0x00007ffd)
\tlibdl.so.2 => /lib/x86_64-linux-gnu/libdl.so.2 (0x00007fa4da2b0000)
\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007fa4d9d3e000)
\t/lib64/ld-linux-x86-64.so.2 (0x00007fa4da2c8000)
`;

describe('shared libraries', () => {
  it('parses ldd output: libraries and the interpreter, sorted, no vdso', () => {
    expect(parseLddOutput(LDD, 'x').map((l) => l.path)).toEqual(['/lib/x86_64-linux-gnu/libc.so.6', '/lib/x86_64-linux-gnu/libdl.so.2', '/lib64/ld-linux-x86-64.so.2']);
    expect(parseLddOutput('\tstatically linked\n', 'x')).toEqual([]);
    expect(() => parseLddOutput('\tlibfoo.so.1 => not found\n\tlibbar.so => not found\n', '/bin/x')).toThrow('/bin/x: shared libraries not found on this machine: libfoo.so.1, libbar.so');
  });

  it('resolves the libraries of the running Node binary to real files', async () => {
    const libs = await resolveSharedLibraries(process.execPath);
    if (libs.length === 0) {
      console.log(`skipped: ${process.execPath} is statically linked`);
      return;
    }
    expect(libs.some((l) => /\/libc\.so\.6$/.test(l.path))).toBe(true);
    expect(libs.some((l) => /ld-linux/.test(l.path))).toBe(true);
    for (const l of libs) expect(existsSync(l.source)).toBe(true);
  });
});
