// The lock file of an image's pinned sources (e.g. images/runtime.lock.json): each npm package by version and
// integrity (the same as package-lock.json's), each Debian package by version, architecture, size, SHA-256 and
// the URLs to download it from, in order. Parsing is pure; every error names the file and the key at fault.
// Written by scripts/update-runtime-lock.mjs; read by the build, which downloads nothing that is not pinned here.
import { readFileSync } from 'node:fs';

export interface NpmPin {
  name: string;
  version: string;
  /** Subresource-integrity string of the package tarball, as in package-lock.json ("sha512-..."). */
  integrity: string;
}

export interface DebPin {
  name: string;
  version: string;
  architecture: string;
  /** Size of the .deb in bytes. */
  size: number;
  /** SHA-256 of the .deb, lowercase hex. */
  sha256: string;
  /** Tried in order: the mirror first, then permanent fallbacks (snapshot.debian.org). */
  urls: string[];
}

export interface RuntimeLock {
  /** The lock file (absolute). */
  file: string;
  npm: Map<string, NpmPin>;
  debian: { suite: string; architecture: string; packages: Map<string, DebPin> };
}

export class LockError extends Error {
  override name = 'LockError';
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function checkKeys(where: string, obj: Json, allowed: string[]): void {
  for (const k of Object.keys(obj)) if (!allowed.includes(k) && !k.startsWith('$')) throw new LockError(`${where}: unknown key "${k}" (allowed: ${allowed.join(', ')})`);
}

function str(where: string, v: unknown, pattern?: RegExp, what?: string): string {
  if (typeof v !== 'string' || v === '') throw new LockError(`${where}: expected a non-empty string`);
  if (pattern && !pattern.test(v)) throw new LockError(`${where}: "${v}" is not ${what}`);
  return v;
}

function obj(where: string, v: unknown): Json {
  if (!isObject(v)) throw new LockError(`${where}: expected an object`);
  return v;
}

/** Validates a parsed lock file. */
export function parseLock(raw: unknown, file: string): RuntimeLock {
  const top = obj(file, raw);
  checkKeys(file, top, ['npm', 'debian']);
  const npm = new Map<string, NpmPin>();
  for (const [name, v] of Object.entries(top.npm === undefined ? {} : obj(`${file}: npm`, top.npm))) {
    const where = `${file}: npm.${name}`;
    const pin = obj(where, v);
    checkKeys(where, pin, ['version', 'integrity']);
    npm.set(name, {
      name,
      version: str(`${where}.version`, pin.version, /^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/, 'an exact version'),
      integrity: str(`${where}.integrity`, pin.integrity, /^sha512-[A-Za-z0-9+/]{86}==$/, 'a sha512 integrity string ("sha512-<base64>", as in package-lock.json)'),
    });
  }
  let suite = '';
  let architecture = '';
  const packages = new Map<string, DebPin>();
  if (top.debian !== undefined) {
    const d = obj(`${file}: debian`, top.debian);
    checkKeys(`${file}: debian`, d, ['suite', 'architecture', 'packages']);
    suite = str(`${file}: debian.suite`, d.suite, /^[a-z]+$/, 'a Debian suite name such as "bookworm"');
    architecture = str(`${file}: debian.architecture`, d.architecture, /^[a-z0-9]+$/, 'a Debian architecture such as "amd64"');
    for (const [name, v] of Object.entries(obj(`${file}: debian.packages`, d.packages))) {
      const where = `${file}: debian.packages.${name}`;
      const pin = obj(where, v);
      checkKeys(where, pin, ['version', 'architecture', 'size', 'sha256', 'urls']);
      if (typeof pin.size !== 'number' || !Number.isInteger(pin.size) || pin.size <= 0) throw new LockError(`${where}.size: expected a positive integer (bytes)`);
      if (!Array.isArray(pin.urls) || pin.urls.length === 0) throw new LockError(`${where}.urls: expected a non-empty array of URLs`);
      const urls = pin.urls.map((u, i) => {
        const url = str(`${where}.urls[${i}]`, u);
        let parsed: URL;
        try {
          parsed = new URL(url);
        } catch {
          throw new LockError(`${where}.urls[${i}]: "${url}" is not a URL`);
        }
        if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new LockError(`${where}.urls[${i}]: "${url}" is not http(s)`);
        return url;
      });
      packages.set(name, {
        name,
        version: str(`${where}.version`, pin.version),
        architecture: str(`${where}.architecture`, pin.architecture, /^[a-z0-9]+$/, 'a Debian architecture'),
        size: pin.size,
        sha256: str(`${where}.sha256`, pin.sha256, /^[0-9a-f]{64}$/, 'a SHA-256 (64 lowercase hex digits)'),
        urls,
      });
    }
  }
  return { file, npm, debian: { suite, architecture, packages } };
}

export function loadLock(file: string): RuntimeLock {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new LockError(`cannot read the lock file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new LockError(`${file}: not valid JSON: ${(err as Error).message}`);
  }
  return parseLock(raw, file);
}
