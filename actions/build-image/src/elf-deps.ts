// The shared libraries an ELF binary loads, resolved at build time with the host's dynamic loader (ldd).
// Each library goes in the image at the path the loader looks it up by (e.g. /lib/x86_64-linux-gnu/libc.so.6),
// with the content of the file that path resolves to on the host; the interpreter (PT_INTERP, e.g.
// /lib64/ld-linux-x86-64.so.2) is included the same way.
import { realpathSync } from 'node:fs';
import { ProgramNotFoundError, runProgram, type ProgramResult } from '../../common/src/exec.js';

export interface SharedLibrary {
  /** Where the loader finds it: the path in the image. */
  path: string;
  /** The host file behind that path (symlinks resolved). */
  source: string;
}

/** Parses `ldd` output. Throws on "not found" lines, naming the missing libraries. */
export function parseLddOutput(output: string, binary: string): SharedLibrary[] {
  const libs = new Map<string, SharedLibrary>();
  const missing: string[] = [];
  for (const raw of output.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('linux-vdso') || line.startsWith('linux-gate')) continue;
    if (/statically linked|not a dynamic executable/.test(line)) return [];
    let m = /^(\S+)\s+=>\s+not found/.exec(line);
    if (m) {
      missing.push(m[1]!);
      continue;
    }
    m = /^\S+\s+=>\s+(\/\S+)\s+\(0x[0-9a-f]+\)$/.exec(line) ?? /^(\/\S+)\s+\(0x[0-9a-f]+\)$/.exec(line);
    if (m) libs.set(m[1]!, { path: m[1]!, source: m[1]! });
  }
  if (missing.length > 0) throw new Error(`${binary}: shared libraries not found on this machine: ${missing.join(', ')}`);
  return [...libs.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** Resolves the shared libraries of `binary` with ldd; sources are real paths (symlinks followed). */
export async function resolveSharedLibraries(binary: string): Promise<SharedLibrary[]> {
  let r: ProgramResult;
  try {
    r = await runProgram('ldd', [binary], { env: { ...process.env, LC_ALL: 'C' } });
  } catch (err) {
    if (err instanceof ProgramNotFoundError) throw new Error(`cannot resolve the shared libraries of ${binary}: ldd is not installed`);
    throw err;
  }
  if (r.exitCode !== 0) {
    // ldd exits 1 for static binaries ("not a dynamic executable").
    if (/not a dynamic executable|statically linked/.test(`${r.stdout}${r.stderr}`)) return [];
    throw new Error(`ldd ${binary} failed: ${(r.stderr || `exit code ${r.exitCode}`).trim()}`);
  }
  const stdout = r.stdout;
  return parseLddOutput(stdout, binary).map((lib) => ({ path: lib.path, source: realpathSync(lib.path) }));
}
