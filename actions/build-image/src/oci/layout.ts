// Writes a built image as an OCI image layout: a directory (oci:DIR) or a tar of one (oci-archive:FILE).
// The layout's index.json names the image by tag (org.opencontainers.image.ref.name), as skopeo and umoci expect.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { BuiltImage } from '../build.js';
import { OCI_INDEX_MEDIA_TYPE } from './image.js';
import { comparePaths, tarChunks, type TarEntry } from './tar.js';

export type OutputTarget = { kind: 'oci'; path: string } | { kind: 'oci-archive'; path: string };

/** Parses `oci:DIR` or `oci-archive:FILE`. */
export function parseOutput(value: string): OutputTarget {
  const m = /^(oci|oci-archive):(.+)$/.exec(value);
  if (!m) throw new Error(`output "${value}": expected oci:<directory> or oci-archive:<file>`);
  return { kind: m[1] as 'oci' | 'oci-archive', path: m[2]! };
}

const REF_NAME = 'org.opencontainers.image.ref.name';

interface IndexDescriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
}

function indexJson(image: BuiltImage, refNames: string[], previous: IndexDescriptor[] = []): Buffer {
  // Keep other images of an existing layout, replace those with the same names.
  const kept = previous.filter((d) => !refNames.includes(d.annotations?.[REF_NAME] ?? '') && d.digest !== image.manifestDigest);
  const mine = (refNames.length > 0 ? refNames : ['']).map((name) => ({
    mediaType: image.manifestMediaType,
    digest: image.manifestDigest,
    size: image.manifest.length,
    ...(name ? { annotations: { [REF_NAME]: name } } : {}),
  }));
  return Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX_MEDIA_TYPE, manifests: [...kept, ...mine] }), 'utf8');
}

function blobs(image: BuiltImage): [string, Buffer][] {
  return [[image.manifestDigest, image.manifest], [image.configDigest, image.config], ...image.layers.map((l): [string, Buffer] => [l.digest, l.data])];
}

const blobPath = (digest: string) => join('blobs', ...digest.split(':'));

export function writeLayoutDirectory(dir: string, image: BuiltImage, refNames: string[]): void {
  mkdirSync(join(dir, 'blobs', 'sha256'), { recursive: true });
  for (const [digest, data] of blobs(image)) {
    const file = join(dir, blobPath(digest));
    if (existsSync(file)) continue; // content-addressed
    writeFileSync(`${file}.tmp`, data);
    renameSync(`${file}.tmp`, file);
  }
  writeFileSync(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  let previous: IndexDescriptor[] = [];
  try {
    previous = (JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')) as { manifests?: IndexDescriptor[] }).manifests ?? [];
  } catch {
    /* a new layout */
  }
  writeFileSync(join(dir, 'index.json'), indexJson(image, refNames, previous));
}

/** A deterministic tar of the layout (same image and names, same bytes). */
export function writeLayoutArchive(file: string, image: BuiltImage, refNames: string[], mtime: number): void {
  const entries: TarEntry[] = [
    { path: 'oci-layout', type: 'file', mode: 0o644, uid: 0, gid: 0, mtime, data: Buffer.from(JSON.stringify({ imageLayoutVersion: '1.0.0' })) },
    { path: 'index.json', type: 'file', mode: 0o644, uid: 0, gid: 0, mtime, data: indexJson(image, refNames) },
    { path: 'blobs', type: 'directory', mode: 0o755, uid: 0, gid: 0, mtime },
    { path: 'blobs/sha256', type: 'directory', mode: 0o755, uid: 0, gid: 0, mtime },
  ];
  const seen = new Set<string>();
  for (const [digest, data] of blobs(image)) {
    if (seen.has(digest)) continue;
    seen.add(digest);
    entries.push({ path: blobPath(digest).split('\\').join('/'), type: 'file', mode: 0o644, uid: 0, gid: 0, mtime, data });
  }
  entries.sort((a, b) => comparePaths(a.path, b.path));
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(`${file}.tmp`, Buffer.concat(tarChunks(entries)));
  renameSync(`${file}.tmp`, file);
}

export function writeOutput(target: OutputTarget, image: BuiltImage, refNames: string[], mtime: number): void {
  if (target.kind === 'oci') writeLayoutDirectory(target.path, image, refNames);
  else writeLayoutArchive(target.path, image, refNames, mtime);
}
