// The image config and manifest: canonical JSON (fixed key order, no whitespace), so equal inputs give equal digests.
import { createHash } from 'node:crypto';
import type { ImageSpec, MediaTypes } from '../spec.js';

export const MEDIA_TYPES = {
  oci: {
    manifest: 'application/vnd.oci.image.manifest.v1+json',
    config: 'application/vnd.oci.image.config.v1+json',
    layer: 'application/vnd.oci.image.layer.v1.tar+gzip',
  },
  docker: {
    manifest: 'application/vnd.docker.distribution.manifest.v2+json',
    config: 'application/vnd.docker.container.image.v1+json',
    layer: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  },
} as const;

export const OCI_INDEX_MEDIA_TYPE = 'application/vnd.oci.image.index.v1+json';

export function sha256(data: Uint8Array | string): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
}

export interface LayerInfo extends Descriptor {
  diffId: string;
  /** The spec's layer name (history). */
  name: string;
}

const sortedObject = (obj: Record<string, string>): Record<string, string> =>
  Object.fromEntries(Object.entries(obj).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

/** The image config (OCI image-spec config.md) for the spec, its layers and the final labels. */
export function imageConfigJson(spec: ImageSpec, layers: LayerInfo[], created: Date, labels: Record<string, string>): Buffer {
  const c = spec.config;
  const config: Record<string, unknown> = {};
  if (c.user !== undefined) config.User = c.user;
  if (c.exposedPorts.length > 0) config.ExposedPorts = Object.fromEntries([...c.exposedPorts].sort().map((p) => [p, {}]));
  if (c.env.length > 0) config.Env = c.env.map(([k, v]) => `${k}=${v}`);
  if (c.entrypoint !== undefined) config.Entrypoint = c.entrypoint;
  if (c.cmd !== undefined) config.Cmd = c.cmd;
  if (c.workingDir !== undefined) config.WorkingDir = c.workingDir;
  if (Object.keys(labels).length > 0) config.Labels = sortedObject(labels);
  if (c.stopSignal !== undefined) config.StopSignal = c.stopSignal;
  const createdIso = created.toISOString().replace(/\.000Z$/, 'Z');
  const doc = {
    created: createdIso,
    architecture: spec.architecture,
    os: spec.os,
    config,
    rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
    history: layers.map((l) => ({ created: createdIso, created_by: `build-image: layer "${l.name}"`, comment: 'FROM scratch' })),
  };
  return Buffer.from(JSON.stringify(doc), 'utf8');
}

/** A single image manifest (no index). */
export function imageManifestJson(mediaTypes: MediaTypes, config: Descriptor, layers: Descriptor[]): Buffer {
  const t = MEDIA_TYPES[mediaTypes];
  const doc = {
    schemaVersion: 2,
    mediaType: t.manifest,
    config: { mediaType: config.mediaType, digest: config.digest, size: config.size },
    layers: layers.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.size })),
  };
  return Buffer.from(JSON.stringify(doc), 'utf8');
}
