// "deb:<package>/<file>" sources: a file inside a Debian package pinned in the lock file. The .deb is downloaded
// from the first of the pin's URLs that serves it, its SHA-256 checked before anything is kept (a mismatch is
// refused and nothing is cached), cached by SHA-256 under the tool cache (<cache>/debs/<sha256>.deb, checked
// again on every use), extracted with dpkg-deb into a temporary directory, and the file taken from there.
// Symlinks inside the package are followed inside the package, never into the host.
import { createHash } from 'node:crypto';
import { lstatSync, mkdirSync, readFileSync, readlinkSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { ProgramNotFoundError, runProgram } from '../../../common/src/exec.js';
import { withRetry } from '../../../common/src/retry.js';
import type { DebPin } from './lock.js';

/** The script that refreshes the pins (named by every "the mirror dropped it" error). */
export const UPDATE_LOCK_COMMAND = 'node scripts/update-runtime-lock.mjs';

/** $PIPELINE_TOOL_CACHE, else $XDG_CACHE_HOME/shs-delivery/tools, else ~/.cache/shs-delivery/tools. */
export function defaultToolCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.PIPELINE_TOOL_CACHE) return env.PIPELINE_TOOL_CACHE;
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'shs-delivery', 'tools');
}

export function debCachePath(toolCacheDir: string, pin: DebPin): string {
  return join(toolCacheDir, 'debs', `${pin.sha256}.deb`);
}

export const sha256Hex = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

export type Fetch = (url: string, init: { signal: AbortSignal }) => Promise<Response>;

export interface FetchDebOptions {
  toolCacheDir: string;
  /** The lock file (for messages). */
  lockFile: string;
  fetch?: Fetch;
  log?: (message: string) => void;
  /** Retries of one URL on network errors and 5xx (default 3 attempts). */
  attempts?: number;
  timeoutMs?: number;
}

type Attempt = { url: string; status: number } | { url: string; sha256: string } | { url: string; error: string };

/** Pure: the error for a pin none of whose URLs gave the pinned bytes. */
export function debDownloadError(pin: DebPin, attempts: Attempt[], lockFile: string): Error {
  const what = `${pin.name} ${pin.version} (${pin.architecture})`;
  const lines = attempts.map((a) =>
    'status' in a ? `  ${a.url}: HTTP ${a.status}${a.status === 404 ? ' (not found)' : ''}` : 'sha256' in a ? `  ${a.url}: SHA-256 ${a.sha256}, not the pinned ${pin.sha256}` : `  ${a.url}: ${a.error}`,
  );
  const mismatch = attempts.some((a) => 'sha256' in a);
  const gone = attempts.some((a) => 'status' in a && (a.status === 404 || a.status === 410));
  if (mismatch)
    return new Error(`${what}: refused: the downloaded .deb does not have the SHA-256 pinned in ${lockFile} (nothing was cached):\n${lines.join('\n')}`);
  if (gone)
    return new Error(
      `${what}: the mirror no longer has this version (HTTP 404), and no fallback URL served it:\n${lines.join('\n')}\n` +
        `Refresh the pins with: ${UPDATE_LOCK_COMMAND} (then rebuild: the image changes)`,
    );
  return new Error(`${what}: could not download it from any URL pinned in ${lockFile}:\n${lines.join('\n')}`);
}

/** The cached .deb of a pin (downloaded and verified first when it is not cached, or the cached copy is damaged). */
export async function fetchDeb(pin: DebPin, options: FetchDebOptions): Promise<string> {
  const file = debCachePath(options.toolCacheDir, pin);
  try {
    if (sha256Hex(readFileSync(file)) === pin.sha256) return file;
    options.log?.(`${file}: damaged (SHA-256 differs from the pin), downloading ${pin.name} again`);
    rmSync(file, { force: true });
  } catch {
    /* not cached */
  }
  const doFetch: Fetch = options.fetch ?? ((url, init) => fetch(url, init));
  const attempts: Attempt[] = [];
  for (const url of pin.urls) {
    let data: Buffer;
    try {
      data = await withRetry(
        async () => {
          let res: Response;
          try {
            res = await doFetch(url, { signal: AbortSignal.timeout(options.timeoutMs ?? 120_000) });
          } catch (err) {
            const cause = (err as { cause?: { code?: string; message?: string } }).cause;
            throw Object.assign(new Error(cause?.code ?? cause?.message ?? (err as Error).message), { retryable: true });
          }
          if (!res.ok) {
            await res.body?.cancel();
            throw Object.assign(new Error(`HTTP ${res.status}`), { status: res.status, retryable: res.status >= 500 || res.status === 429 });
          }
          return Buffer.from(await res.arrayBuffer());
        },
        { attempts: options.attempts ?? 3, onRetry: (err, n) => options.log?.(`${url}: ${(err as Error).message}, attempt ${n + 1}`) },
      );
    } catch (err) {
      const status = (err as { status?: number }).status;
      attempts.push(status !== undefined ? { url, status } : { url, error: (err as Error).message });
      continue;
    }
    const sha256 = sha256Hex(data);
    if (sha256 !== pin.sha256) {
      attempts.push({ url, sha256 });
      continue;
    }
    mkdirSync(join(options.toolCacheDir, 'debs'), { recursive: true });
    const tmp = `${file}.tmp${process.pid}`;
    writeFileSync(tmp, data);
    renameSync(tmp, file);
    options.log?.(`${pin.name} ${pin.version}: downloaded ${data.length} bytes from ${url}, SHA-256 verified`);
    return file;
  }
  throw debDownloadError(pin, attempts, options.lockFile);
}

/** Extracts a .deb's files into `dest` with dpkg-deb (present on Debian and Ubuntu; xz has no Node built-in). */
export async function extractDeb(debFile: string, dest: string): Promise<void> {
  let r;
  try {
    r = await runProgram('dpkg-deb', ['-x', debFile, dest]);
  } catch (err) {
    if (err instanceof ProgramNotFoundError) throw new Error('dpkg-deb is not installed: it extracts the pinned Debian packages (apt-get install dpkg)');
    throw err;
  }
  if (r.exitCode !== 0) throw new Error(`dpkg-deb -x ${debFile} failed: ${(r.stderr || `exit code ${r.exitCode}`).trim()}`);
}

/** The file system calls fileInPackage needs (injectable for tests). */
export interface TreeFs {
  lstat(path: string): { isSymbolicLink(): boolean; isDirectory(): boolean; isFile(): boolean } | undefined;
  readlink(path: string): string;
}

const realFs: TreeFs = {
  lstat: (p) => {
    try {
      return lstatSync(p);
    } catch {
      return undefined;
    }
  },
  readlink: (p) => readlinkSync(p),
};

/**
 * Resolves `file` inside an extracted package tree at `root`, following symlinks as the image would see them:
 * an absolute target is taken from the tree's root, ".." stops at the root. Returns the host path of a regular
 * file inside `root`; throws naming the file when it is missing, a directory or a symlink loop.
 */
export function fileInPackage(root: string, file: string, label: string, fs: TreeFs = realFs): string {
  const todo = file.split('/').filter((s) => s !== '' && s !== '.');
  const done: string[] = [];
  let hops = 0;
  while (todo.length > 0) {
    const part = todo.shift()!;
    if (part === '..') {
      done.pop();
      continue;
    }
    const path = join(root, ...done, part);
    const st = fs.lstat(path);
    if (!st) throw new Error(`${label} has no file ${file}${done.length > 0 || hops > 0 ? ` (/${[...done, part].join('/')} does not exist in the package)` : ''}`);
    if (st.isSymbolicLink()) {
      if (++hops > 40) throw new Error(`${label}: ${file}: too many levels of symbolic links`);
      const target = fs.readlink(path);
      if (target.startsWith('/')) done.length = 0;
      todo.unshift(...target.split('/').filter((s) => s !== '' && s !== '.'));
      continue;
    }
    if (todo.length > 0 && !st.isDirectory()) throw new Error(`${label} has no file ${file} (/${[...done, part].join('/')} is not a directory)`);
    done.push(part);
  }
  const path = join(root, ...done);
  if (!fs.lstat(path)?.isFile()) throw new Error(`${label}: ${file} is not a regular file`);
  return path;
}
