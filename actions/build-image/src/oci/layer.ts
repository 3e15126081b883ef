// One layer: the spec's entries (plus shared libraries and parent directories) as a sorted tar with fixed
// timestamps and owners, gzip-compressed deterministically. The compressed blob can be cached by the tar's digest.
// File contents come through a SourceReader (host files, pinned npm and Debian package files).
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { resolveSharedLibraries } from '../elf-deps.js';
import type { SourceReader } from '../sources/reader.js';
import type { LayerSpec, MediaTypes } from '../spec.js';
import { GZIP_SCHEME, gzipDeterministic } from './gzip.js';
import { MEDIA_TYPES, sha256 } from './image.js';
import { comparePaths, tarChunks, type TarEntry } from './tar.js';
import { createHash } from 'node:crypto';

export interface LayerBlob {
  name: string;
  mediaType: string;
  /** Digest and size of the compressed blob. */
  digest: string;
  size: number;
  /** Digest of the uncompressed tar (the config's rootfs.diff_ids). */
  diffId: string;
  uncompressedSize: number;
  /** Paths in the layer, sorted (directories end with "/"). */
  paths: string[];
  data: Buffer;
  /** The compressed blob came from the cache. */
  fromCache: boolean;
}

export interface LayerOptions {
  /** Seconds since the epoch, for every entry (SOURCE_DATE_EPOCH). */
  mtime: number;
  level: number;
  mediaTypes: MediaTypes;
  /** A directory of compressed blobs keyed by the tar's digest and the compression (optional). */
  cacheDir?: string;
  /** Reads the entries' sources. */
  sources: SourceReader;
  log?: (message: string) => void;
}

/** The tar entries of a spec layer: declared entries, shared libraries of the binaries that ask, parent directories. */
export async function layerEntries(layer: LayerSpec, mtime: number, sources: SourceReader): Promise<TarEntry[]> {
  const byPath = new Map<string, TarEntry>();
  const rel = (p: string) => p.replace(/^\/+/, '');
  // All sources at once (the pinned packages download and extract in parallel), then in the spec's order.
  const contents = await Promise.all(layer.entries.map((e) => (e.type === 'file' && e.content === undefined ? sources.read(e.source!, e.path) : undefined)));
  for (const [i, e] of layer.entries.entries()) {
    if (e.type === 'directory') byPath.set(rel(e.path), { path: rel(e.path), type: 'directory', mode: e.mode, uid: e.uid, gid: e.gid, mtime });
    else if (e.type === 'symlink') byPath.set(rel(e.path), { path: rel(e.path), type: 'symlink', mode: 0o777, uid: e.uid, gid: e.gid, mtime, linkname: e.target });
    else {
      const data = e.content !== undefined ? Buffer.from(e.content, 'utf8') : contents[i]!;
      byPath.set(rel(e.path), { path: rel(e.path), type: 'file', mode: e.mode, uid: e.uid, gid: e.gid, mtime, data });
    }
  }
  // Shared libraries after the declared entries: a declared path always wins.
  for (const e of layer.entries) {
    if (e.type !== 'file' || !e.sharedLibraries) continue;
    if (e.source?.kind !== 'host') throw new Error(`${e.path}: "sharedLibraries" needs a host-path "source" binary`);
    for (const lib of await resolveSharedLibraries(e.source.path)) {
      const p = rel(posix.normalize(lib.path));
      if (byPath.has(p)) continue;
      const mode = statSync(lib.source).mode & 0o755;
      byPath.set(p, { path: p, type: 'file', mode, uid: 0, gid: 0, mtime, data: await sources.read({ kind: 'host', path: lib.source }, lib.path) });
    }
  }
  for (const p of [...byPath.keys()]) {
    const parts = p.split('/');
    for (let i = 1; i < parts.length; i++) {
      const dir = parts.slice(0, i).join('/');
      const existing = byPath.get(dir);
      if (existing && existing.type !== 'directory') throw new Error(`/${dir} is declared as a ${existing.type} but /${p} is inside it`);
      if (!existing) byPath.set(dir, { path: dir, type: 'directory', mode: 0o755, uid: 0, gid: 0, mtime });
    }
  }
  return [...byPath.values()].sort((a, b) => comparePaths(a.path, b.path));
}

function cacheKey(diffId: string, level: number): string {
  return createHash('sha256').update(`${diffId}\n${GZIP_SCHEME}\nlevel-${level}`).digest('hex');
}

function readCache(dir: string, key: string): Buffer | undefined {
  try {
    const ref = JSON.parse(readFileSync(join(dir, 'keys', key), 'utf8')) as { digest: string };
    const data = readFileSync(join(dir, 'blobs', ref.digest.replace(':', '-')));
    return sha256(data) === ref.digest ? data : undefined; // a damaged entry is rebuilt
  } catch {
    return undefined;
  }
}

function writeCache(dir: string, key: string, digest: string, data: Buffer): void {
  try {
    mkdirSync(join(dir, 'keys'), { recursive: true });
    mkdirSync(join(dir, 'blobs'), { recursive: true });
    const blob = join(dir, 'blobs', digest.replace(':', '-'));
    writeFileSync(`${blob}.tmp${process.pid}`, data);
    renameSync(`${blob}.tmp${process.pid}`, blob);
    writeFileSync(join(dir, 'keys', key), JSON.stringify({ digest }));
  } catch {
    /* a cache that cannot be written only costs time */
  }
}

export async function buildLayer(layer: LayerSpec, options: LayerOptions): Promise<LayerBlob> {
  const entries = await layerEntries(layer, options.mtime, options.sources);
  const tar = Buffer.concat(tarChunks(entries));
  const diffId = sha256(tar);
  const key = cacheKey(diffId, options.level);
  let data = options.cacheDir ? readCache(options.cacheDir, key) : undefined;
  const fromCache = data !== undefined;
  if (!data) data = await gzipDeterministic(tar, options.level);
  const digest = sha256(data);
  if (!fromCache && options.cacheDir) writeCache(options.cacheDir, key, digest, data);
  options.log?.(`layer ${layer.name}: ${entries.length} entries, ${tar.length} bytes, ${data.length} compressed${fromCache ? ' (cache)' : ''}, ${digest}`);
  return {
    name: layer.name,
    mediaType: MEDIA_TYPES[options.mediaTypes].layer,
    digest,
    size: data.length,
    diffId,
    uncompressedSize: tar.length,
    paths: entries.map((e) => (e.type === 'directory' ? `${e.path}/` : e.path)),
    data,
    fromCache,
  };
}
