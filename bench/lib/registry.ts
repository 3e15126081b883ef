// A local `docker-registry` (Docker Registry HTTP API v2, plain HTTP on loopback, which docker allows without
// configuration), fresh and empty each time, and what an image pushed to it is made of.
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '../../stack/src/ports.js';
import { registryConfig } from '../../tools/docker/daemons.js';
import type { BenchContext } from './harness.js';
import { startBackground } from './process.js';

export interface Registry {
  /** host:port */
  host: string;
  stop(): Promise<void>;
}

async function waitForRegistry(host: string, alive: () => boolean): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (!alive()) throw new Error(`docker-registry on ${host} exited`);
    const ok = await fetch(`http://${host}/v2/`).then((r) => r.status === 200, () => false);
    if (ok) return;
    await sleep(50);
  }
  throw new Error(`docker-registry on ${host} did not answer within 30 s`);
}

/** A new registry with its own empty storage under ctx.workDir; stop() also deletes the storage. Stopped at the end of the bench at the latest. */
export async function startRegistry(ctx: BenchContext, name: string): Promise<Registry> {
  const host = `127.0.0.1:${await freePort()}`;
  const config = join(ctx.workDir, `registry-${name}.yml`);
  const storage = join(ctx.workDir, `registry-${name}`);
  writeFileSync(config, registryConfig(host, storage, 'error'));
  const proc = startBackground('docker-registry', ['serve', config], join(ctx.workDir, `registry-${name}.log`));
  const stop = async () => {
    await proc.stop();
    rmSync(storage, { recursive: true, force: true });
  };
  ctx.defer(`stop registry ${name}`, stop);
  await waitForRegistry(host, () => proc.child.exitCode === null);
  return { host, stop };
}

const MANIFEST_TYPES = ['application/vnd.oci.image.manifest.v1+json', 'application/vnd.docker.distribution.manifest.v2+json'];

async function getJson<T>(url: string, accept?: string): Promise<T> {
  const r = await fetch(url, accept ? { headers: { accept } } : {});
  if (r.status !== 200) throw new Error(`GET ${url}: ${r.status}`);
  return (await r.json()) as T;
}

export interface PushedLayer {
  diffId: string;
  /** Compressed size, as stored. */
  size: number;
}

export interface PushedImage {
  layers: PushedLayer[];
  configSize: number;
  /** Config + compressed layers (what a pull downloads, less the manifest). */
  size: number;
}

/** The layers (diff id and compressed size, in order) and config of `repository:reference` in the registry. */
export async function pushedImage(host: string, repository: string, reference: string): Promise<PushedImage> {
  const base = `http://${host}/v2/${repository}`;
  const manifest = await getJson<{ config: { digest: string; size: number }; layers: { size: number }[] }>(`${base}/manifests/${reference}`, MANIFEST_TYPES.join(', '));
  const config = await getJson<{ rootfs: { diff_ids: string[] } }>(`${base}/blobs/${manifest.config.digest}`);
  const layers = manifest.layers.map((l, i) => ({ diffId: config.rootfs.diff_ids[i]!, size: l.size }));
  return { layers, configSize: manifest.config.size, size: manifest.config.size + layers.reduce((a, l) => a + l.size, 0) };
}

/** Whether `repository` in the registry has the blob (a HEAD, as a pushing client asks). */
export async function hasBlob(host: string, repository: string, digest: string): Promise<boolean> {
  const r = await fetch(`http://${host}/v2/${repository}/blobs/${digest}`, { method: 'HEAD' });
  return r.status === 200;
}
