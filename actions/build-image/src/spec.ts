// The image spec: a JSON file beside an image's sources that declares everything the image holds.
// FROM scratch: the image has exactly the entries listed (plus their parent directories and, for entries with
// `sharedLibraries: true`, the shared libraries they load, resolved on the build host at build time).
// A file's source is a host path or a pinned package file ("npm:<pkg>/<file>", "deb:<pkg>/<file>", see
// sources/source.ts), pinned by the lock file the spec names in "lock".
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, posix, resolve } from 'node:path';
import { formatSource, parseSource, type Source } from './sources/source.js';

export type MediaTypes = 'oci' | 'docker';

export interface FileEntry {
  type: 'file';
  /** Absolute path in the image. */
  path: string;
  /** Where the bytes come from: a host file (resolved against the spec's directory) or a pinned package file. */
  source?: Source;
  /** Literal content, instead of a source. */
  content?: string;
  mode: number;
  uid: number;
  gid: number;
  /** Add the shared libraries this ELF binary loads (and its interpreter), from the build host (host sources only). */
  sharedLibraries: boolean;
}

export interface DirectoryEntry {
  type: 'directory';
  path: string;
  mode: number;
  uid: number;
  gid: number;
}

export interface SymlinkEntry {
  type: 'symlink';
  path: string;
  target: string;
  uid: number;
  gid: number;
}

export type SpecEntry = FileEntry | DirectoryEntry | SymlinkEntry;

export interface LayerSpec {
  name: string;
  entries: SpecEntry[];
}

export interface ImageConfigSpec {
  user?: string;
  entrypoint?: string[];
  cmd?: string[];
  env: [string, string][];
  workingDir?: string;
  exposedPorts: string[];
  labels: Record<string, string>;
  stopSignal?: string;
}

export interface ImageSpec {
  /** The spec file (absolute); relative sources resolve against its directory. */
  file: string;
  /** The lock file pinning the spec's npm: and deb: sources (absolute), if it has any. */
  lock?: string;
  title: string;
  os: string;
  architecture: string;
  mediaTypes: MediaTypes;
  /** gzip level 1..9 (part of what makes the digest: change it and every layer digest changes). */
  compressionLevel: number;
  layers: LayerSpec[];
  config: ImageConfigSpec;
}

export class SpecError extends Error {
  override name = 'SpecError';
}

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function checkKeys(where: string, obj: Json, allowed: string[]): void {
  for (const k of Object.keys(obj)) if (!allowed.includes(k) && !k.startsWith('$')) throw new SpecError(`${where}: unknown key "${k}" (allowed: ${allowed.join(', ')})`);
}

function str(where: string, v: unknown): string {
  if (typeof v !== 'string' || v === '') throw new SpecError(`${where}: expected a non-empty string`);
  return v;
}

function strArray(where: string, v: unknown): string[] {
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw new SpecError(`${where}: expected an array of strings`);
  return v as string[];
}

function int(where: string, v: unknown, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw new SpecError(`${where}: expected an integer from ${min} to ${max}`);
  return v;
}

function mode(where: string, v: unknown, fallback: number): number {
  if (v === undefined) return fallback;
  if (typeof v !== 'string' || !/^0?[0-7]{3,4}$/.test(v)) throw new SpecError(`${where}: expected an octal string such as "0755"`);
  return Number.parseInt(v, 8);
}

/** Normalises an absolute image path; refuses relative paths and `..`. */
export function imagePath(where: string, v: unknown): string {
  const p = str(where, v);
  if (!p.startsWith('/')) throw new SpecError(`${where}: "${p}" must be an absolute path in the image`);
  if (p.split('/').includes('..')) throw new SpecError(`${where}: "${p}" must not contain ".."`);
  const n = posix.normalize(p).replace(/\/+$/, '');
  if (n === '') throw new SpecError(`${where}: "/" cannot be an entry`);
  return n;
}

function parseEntry(where: string, raw: unknown, baseDir: string): SpecEntry {
  if (!isObject(raw)) throw new SpecError(`${where}: expected an object`);
  const type = raw.type ?? (raw.target !== undefined ? 'symlink' : 'file');
  const path = imagePath(`${where}.path`, raw.path);
  const uid = raw.uid === undefined ? 0 : int(`${where}.uid`, raw.uid, 0, 2 ** 31 - 1);
  const gid = raw.gid === undefined ? 0 : int(`${where}.gid`, raw.gid, 0, 2 ** 31 - 1);
  switch (type) {
    case 'file': {
      checkKeys(where, raw, ['type', 'path', 'source', 'content', 'mode', 'uid', 'gid', 'sharedLibraries']);
      if ((raw.source === undefined) === (raw.content === undefined)) throw new SpecError(`${where}: a file needs exactly one of "source" and "content"`);
      if (raw.content !== undefined && typeof raw.content !== 'string') throw new SpecError(`${where}.content: expected a string`);
      if (raw.sharedLibraries !== undefined && typeof raw.sharedLibraries !== 'boolean') throw new SpecError(`${where}.sharedLibraries: expected true or false`);
      let source: Source | undefined;
      if (raw.source !== undefined) {
        const parsed = parseSource(str(`${where}.source`, raw.source), baseDir);
        if ('error' in parsed) throw new SpecError(`${where}.source: ${parsed.error}`);
        source = parsed.source;
      }
      if (raw.sharedLibraries === true && source?.kind !== 'host')
        throw new SpecError(
          `${where}.sharedLibraries: only for a host-path "source" (it copies the build host's libraries); ${source ? `for "${formatSource(source)}" list the libraries it needs as pinned deb: entries` : 'give a "source" binary'}`,
        );
      return {
        type: 'file',
        path,
        ...(source !== undefined ? { source } : {}),
        ...(raw.content !== undefined ? { content: raw.content as string } : {}),
        mode: mode(`${where}.mode`, raw.mode, 0o644),
        uid,
        gid,
        sharedLibraries: raw.sharedLibraries === true,
      };
    }
    case 'directory':
      checkKeys(where, raw, ['type', 'path', 'mode', 'uid', 'gid']);
      return { type: 'directory', path, mode: mode(`${where}.mode`, raw.mode, 0o755), uid, gid };
    case 'symlink':
      checkKeys(where, raw, ['type', 'path', 'target', 'uid', 'gid']);
      return { type: 'symlink', path, target: str(`${where}.target`, raw.target), uid, gid };
    default:
      throw new SpecError(`${where}.type: expected "file", "directory" or "symlink", got ${JSON.stringify(type)}`);
  }
}

const GO_ARCH: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' };

/** Validates a parsed spec; every error names the key at fault. */
export function parseSpec(raw: unknown, file: string): ImageSpec {
  if (!isObject(raw)) throw new SpecError(`${file}: expected a JSON object`);
  checkKeys(file, raw, ['title', 'os', 'architecture', 'mediaTypes', 'compression', 'lock', 'layers', 'config']);
  const baseDir = dirname(file);
  const lockPath = raw.lock === undefined ? undefined : str('lock', raw.lock);
  const title = str('title', raw.title);
  const mediaTypes = raw.mediaTypes ?? 'oci';
  if (mediaTypes !== 'oci' && mediaTypes !== 'docker') throw new SpecError(`mediaTypes: expected "oci" or "docker"`);
  let compressionLevel = 6;
  if (raw.compression !== undefined) {
    if (!isObject(raw.compression)) throw new SpecError('compression: expected an object');
    checkKeys('compression', raw.compression, ['level']);
    if (raw.compression.level !== undefined) compressionLevel = int('compression.level', raw.compression.level, 1, 9);
  }
  if (!Array.isArray(raw.layers) || raw.layers.length === 0) throw new SpecError('layers: expected a non-empty array');
  const seen = new Map<string, string>();
  const layers = raw.layers.map((l, i): LayerSpec => {
    const where = `layers[${i}]`;
    if (!isObject(l)) throw new SpecError(`${where}: expected an object`);
    checkKeys(where, l, ['name', 'entries']);
    const name = str(`${where}.name`, l.name);
    if (!Array.isArray(l.entries) || l.entries.length === 0) throw new SpecError(`${where}.entries: expected a non-empty array`);
    const entries = l.entries.map((e, j) => parseEntry(`${where}.entries[${j}]`, e, baseDir));
    for (const [j, e] of entries.entries()) {
      const other = seen.get(e.path);
      if (other) throw new SpecError(`${where}.entries[${j}]: "${e.path}" is already declared at ${other}`);
      seen.set(e.path, `${where}.entries[${j}]`);
    }
    return { name, entries };
  });
  if (lockPath === undefined)
    for (const [i, l] of layers.entries())
      for (const [j, e] of l.entries.entries())
        if (e.type === 'file' && e.source && e.source.kind !== 'host')
          throw new SpecError(`layers[${i}].entries[${j}].source: "${formatSource(e.source)}" is a pinned source: the spec needs "lock", the lock file that pins it (e.g. "lock": "../images/runtime.lock.json")`);
  const c = raw.config ?? {};
  if (!isObject(c)) throw new SpecError('config: expected an object');
  checkKeys('config', c, ['user', 'entrypoint', 'cmd', 'env', 'workingDir', 'exposedPorts', 'labels', 'stopSignal']);
  const env: [string, string][] = [];
  if (c.env !== undefined) {
    if (!isObject(c.env)) throw new SpecError('config.env: expected an object of strings');
    for (const [k, v] of Object.entries(c.env)) {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) throw new SpecError(`config.env: "${k}" is not a variable name`);
      if (typeof v !== 'string') throw new SpecError(`config.env.${k}: expected a string`);
      env.push([k, v]);
    }
  }
  const labels: Record<string, string> = {};
  if (c.labels !== undefined) {
    if (!isObject(c.labels)) throw new SpecError('config.labels: expected an object of strings');
    for (const [k, v] of Object.entries(c.labels)) {
      if (typeof v !== 'string') throw new SpecError(`config.labels.${k}: expected a string`);
      labels[k] = v;
    }
  }
  const exposedPorts = c.exposedPorts === undefined ? [] : strArray('config.exposedPorts', c.exposedPorts);
  for (const p of exposedPorts) if (!/^\d{1,5}(\/(tcp|udp|sctp))?$/.test(p)) throw new SpecError(`config.exposedPorts: "${p}" is not "<port>[/tcp|udp|sctp]"`);
  return {
    file,
    ...(lockPath !== undefined ? { lock: isAbsolute(lockPath) ? lockPath : resolve(baseDir, lockPath) } : {}),
    title,
    os: raw.os === undefined ? 'linux' : str('os', raw.os),
    architecture: raw.architecture === undefined ? (GO_ARCH[process.arch] ?? process.arch) : str('architecture', raw.architecture),
    mediaTypes,
    compressionLevel,
    layers,
    config: {
      ...(c.user !== undefined ? { user: str('config.user', c.user) } : {}),
      ...(c.entrypoint !== undefined ? { entrypoint: strArray('config.entrypoint', c.entrypoint) } : {}),
      ...(c.cmd !== undefined ? { cmd: strArray('config.cmd', c.cmd) } : {}),
      env,
      ...(c.workingDir !== undefined ? { workingDir: c.workingDir === '/' ? '/' : imagePath('config.workingDir', c.workingDir) } : {}),
      exposedPorts: exposedPorts.map((p) => (p.includes('/') ? p : `${p}/tcp`)),
      labels,
      ...(c.stopSignal !== undefined ? { stopSignal: str('config.stopSignal', c.stopSignal) } : {}),
    },
  };
}

export function loadSpec(file: string): ImageSpec {
  const abs = resolve(file);
  let text: string;
  try {
    text = readFileSync(abs, 'utf8');
  } catch (err) {
    throw new SpecError(`cannot read the image spec ${abs}: ${(err as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new SpecError(`${abs}: not valid JSON: ${(err as Error).message}`);
  }
  return parseSpec(raw, abs);
}
