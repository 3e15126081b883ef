// Pushes a built image to one or more references: per repository, every blob the registry lacks (HEAD first),
// then the manifest under each tag. A blob the registry already has is not sent again.
import type { RetryOptions } from '../../common/src/retry.js';
import type { BuiltImage } from './build.js';
import type { Credentials } from './registry/auth.js';
import { RegistryClient } from './registry/client.js';
import { HttpClient, type TlsOptions } from './registry/http.js';
import { formatReference, type ImageReference } from './registry/reference.js';

export interface PushOptions {
  targets: ImageReference[];
  /** Credentials per registry host (undefined: anonymous). */
  credentials: (registry: string) => Credentials | undefined;
  tls?: TlsOptions;
  plainHttp?: boolean;
  retry?: RetryOptions;
  timeoutMs?: number;
  /** Blobs uploaded at once (default 3). */
  concurrency?: number;
  mask?: (secret: string) => void;
  log?: (message: string) => void;
}

export interface BlobPush {
  digest: string;
  size: number;
  /** "layer <name>" or "config". */
  what: string;
  uploaded: boolean;
}

export interface RepositoryPush {
  registry: string;
  repository: string;
  /** registry/repository@digest */
  image: string;
  /** registry/repository:tag for each tag pushed. */
  tags: string[];
  blobs: BlobPush[];
}

export interface PushResult {
  digest: string;
  repositories: RepositoryPush[];
  blobsUploaded: number;
  blobsReused: number;
  bytesUploaded: number;
}

async function inParallel<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

export async function pushImage(image: BuiltImage, options: PushOptions): Promise<PushResult> {
  const groups = new Map<string, { registry: string; repository: string; tags: string[] }>();
  for (const t of options.targets) {
    const key = `${t.registry}/${t.repository}`;
    const g = groups.get(key) ?? { registry: t.registry, repository: t.repository, tags: [] };
    if (t.tag && !g.tags.includes(t.tag)) g.tags.push(t.tag);
    groups.set(key, g);
  }
  const https = new Map<string, HttpClient>();
  const result: PushResult = { digest: image.manifestDigest, repositories: [], blobsUploaded: 0, blobsReused: 0, bytesUploaded: 0 };
  try {
    for (const g of groups.values()) {
      const http = https.get(g.registry) ?? new HttpClient(options.tls, options.timeoutMs);
      https.set(g.registry, http);
      const creds = options.credentials(g.registry);
      const client = new RegistryClient({
        registry: g.registry,
        repository: g.repository,
        ...(creds ? { credentials: creds } : {}),
        ...(options.plainHttp ? { plainHttp: true } : {}),
        ...(options.retry ? { retry: options.retry } : {}),
        ...(options.mask ? { mask: options.mask } : {}),
        ...(options.log ? { log: options.log } : {}),
        http,
      });
      const where = `${g.registry}/${g.repository}`;
      // Authenticate once before the parallel part (one token request, not one per blob).
      await client.ping();
      const blobs: { digest: string; size: number; what: string; data: Buffer }[] = [
        ...image.layers.map((l) => ({ digest: l.digest, size: l.size, what: `layer ${l.name}`, data: l.data })),
        { digest: image.configDigest, size: image.config.length, what: 'config', data: image.config },
      ];
      const pushed: BlobPush[] = [];
      await inParallel(blobs, options.concurrency ?? 3, async (b) => {
        const exists = await client.hasBlob(b.digest);
        if (!exists) await client.uploadBlob(b.digest, b.data);
        options.log?.(`${where}: ${b.what} ${b.digest} ${exists ? 'already there' : `uploaded (${b.size} bytes)`}`);
        pushed.push({ digest: b.digest, size: b.size, what: b.what, uploaded: !exists });
      });
      pushed.sort((a, b) => blobs.findIndex((x) => x.digest === a.digest) - blobs.findIndex((x) => x.digest === b.digest));
      const references = g.tags.length > 0 ? g.tags : [image.manifestDigest];
      for (const ref of references) await client.putManifest(ref, image.manifestMediaType, image.manifest, image.manifestDigest);
      options.log?.(`${where}: manifest ${image.manifestDigest} as ${references.join(', ')}`);
      result.repositories.push({
        registry: g.registry,
        repository: g.repository,
        image: formatReference({ registry: g.registry, repository: g.repository }, image.manifestDigest),
        tags: g.tags.map((tag) => formatReference({ registry: g.registry, repository: g.repository, tag })),
        blobs: pushed,
      });
      for (const b of pushed) {
        if (b.uploaded) {
          result.blobsUploaded++;
          result.bytesUploaded += b.size;
        } else result.blobsReused++;
      }
    }
  } finally {
    for (const h of https.values()) h.close();
  }
  return result;
}
