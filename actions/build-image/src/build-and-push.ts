// The whole step behind both adapters (the action and `pipeline build-image`): load the spec, build, write the
// OCI layout and/or push, and report what happened. Never imports @actions/*.
import { readFileSync } from 'node:fs';
import { getYcIamToken, type YcAuthDeps, type YcCredentialInputs } from '../../common/src/yc-auth.js';
import { buildImage, type BuiltImage } from './build.js';
import { closeGzipPool } from './oci/gzip.js';
import { writeOutput, type OutputTarget } from './oci/layout.js';
import { resolveProvenance, type Provenance } from './provenance.js';
import { pushImage, type PushResult } from './push.js';
import type { Credentials } from './registry/auth.js';
import { formatReference, type ImageReference } from './registry/reference.js';
import { openSources, type SourceReader } from './sources/reader.js';
import { loadSpec } from './spec.js';

export interface BuildRequest {
  specFile: string;
  output?: OutputTarget;
  push: ImageReference[];
  /** Generic registry credentials (win over Yandex Cloud ones). */
  registryCredentials?: Credentials;
  yc?: YcCredentialInputs;
  ycDeps?: Omit<YcAuthDeps, 'mask'>;
  insecure?: boolean;
  caFile?: string;
  ca?: Buffer;
  plainHttp?: boolean;
  /** Where git runs to find the revision and commit time. */
  cwd: string;
  revision?: string;
  source?: string;
  sourceDateEpoch?: string;
  cacheDir?: string;
  /** Downloaded pinned packages (.debs); default $PIPELINE_TOOL_CACHE, else ~/.cache/shs-delivery/tools. */
  toolCacheDir?: string;
  mask: (secret: string) => void;
  log: (message: string) => void;
  /** Wraps each phase (core.group in the action). */
  phase?: <T>(name: string, fn: () => Promise<T>) => Promise<T>;
  env?: NodeJS.ProcessEnv;
}

export interface LayerReport {
  name: string;
  digest: string;
  size: number;
  diffId: string;
  uncompressedSize: number;
  fromCache: boolean;
}

export interface BuildReport {
  title: string;
  digest: string;
  /** registry/repository@digest of the first push target (empty when nothing was pushed). */
  image: string;
  images: string[];
  tags: string[];
  size: number;
  mediaType: string;
  config: string;
  layers: LayerReport[];
  labels: Record<string, string>;
  created: string;
  createdFrom: Provenance['createdFrom'];
  output?: string;
  push?: Omit<PushResult, 'digest'>;
  timings: { buildMs: number; outputMs: number; pushMs: number; totalMs: number };
}

/** Attaches what was built to an error thrown after the build (for the failure's summary). */
export function withReport(err: unknown, report: BuildReport): Error {
  const e = err instanceof Error ? err : new Error(String(err));
  (e as Error & { report?: BuildReport }).report = report;
  return e;
}

export function reportOf(err: unknown): BuildReport | undefined {
  return err instanceof Error ? (err as Error & { report?: BuildReport }).report : undefined;
}

/** Where credentials came from: registry-username/password, or a Yandex Cloud IAM token (user `iam`). */
export type CredentialsSource = 'registry-username' | 'yandex';

/** The Yandex Container Registry: the only registry Yandex Cloud credentials are sent to. */
export const YANDEX_REGISTRY = 'cr.yandex';

/** The image's registry credentials: explicit username/password, else an IAM token as user `iam`. */
async function registryCredentials(req: BuildRequest): Promise<{ credentials: Credentials; source: CredentialsSource } | undefined> {
  if (req.registryCredentials) {
    req.mask(req.registryCredentials.password);
    return { credentials: req.registryCredentials, source: 'registry-username' };
  }
  if (!req.yc) return undefined;
  const token = await getYcIamToken(req.yc, { ...(req.ycDeps ?? {}), mask: req.mask });
  if (!token) return undefined;
  req.log(`Yandex Cloud IAM token obtained by ${token.method}`);
  return { credentials: { username: 'iam', password: token.token }, source: 'yandex' };
}

/**
 * Which push target's registry gets the credentials: registry-username/password are for the first push target's
 * registry, Yandex Cloud credentials for cr.yandex; every other registry is pushed to without credentials.
 */
export function credentialsScope(o: { credentials?: Credentials; source?: CredentialsSource; push: ImageReference[] }): (registry: string) => Credentials | undefined {
  if (!o.credentials) return () => undefined;
  const host = o.source === 'yandex' ? YANDEX_REGISTRY : o.push[0]?.registry;
  return (registry) => (registry === host ? o.credentials : undefined);
}

export function buildReport(image: BuiltImage, provenance: Provenance, extra: Partial<BuildReport> & { timings: BuildReport['timings'] }): BuildReport {
  return {
    title: image.title,
    digest: image.manifestDigest,
    image: '',
    images: [],
    tags: [],
    size: image.size,
    mediaType: image.manifestMediaType,
    config: image.configDigest,
    layers: image.layers.map((l) => ({ name: l.name, digest: l.digest, size: l.size, diffId: l.diffId, uncompressedSize: l.uncompressedSize, fromCache: l.fromCache })),
    labels: image.labels,
    created: image.created.toISOString(),
    createdFrom: provenance.createdFrom,
    ...extra,
  };
}

export async function buildAndPush(req: BuildRequest): Promise<BuildReport> {
  const phase = req.phase ?? (<T>(_name: string, fn: () => Promise<T>) => fn());
  const t0 = Date.now();
  const spec = loadSpec(req.specFile);
  // Pins are checked against the lock file now: a wrong pin fails before credentials and a long build.
  const sources: SourceReader = openSources(spec, { ...(req.toolCacheDir ? { toolCacheDir: req.toolCacheDir } : {}), log: req.log });
  let ca = req.ca;
  if (!ca && req.caFile) {
    try {
      ca = readFileSync(req.caFile);
    } catch (err) {
      throw new Error(`ca-file ${req.caFile}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  }
  const provenance = await resolveProvenance({
    cwd: req.cwd,
    ...(req.env ? { env: req.env } : {}),
    ...(req.revision ? { revision: req.revision } : {}),
    ...(req.source ? { source: req.source } : {}),
    ...(req.sourceDateEpoch ? { sourceDateEpoch: req.sourceDateEpoch } : {}),
  });
  if (provenance.createdFrom === 'epoch-zero') req.log('warning: no SOURCE_DATE_EPOCH and no git commit found: timestamps are 1970-01-01');
  // Credentials first: a wrong key fails before a long build.
  const credentials = req.push.length > 0 ? await phase('Credentials', () => registryCredentials(req)) : undefined;
  const scoped = credentialsScope({ ...(credentials ?? {}), push: req.push });
  if (credentials) {
    for (const registry of new Set(req.push.map((p) => p.registry)))
      if (!scoped(registry)) req.log(`warning: the ${credentials.source === 'yandex' ? 'Yandex Cloud credentials are for cr.yandex' : `registry credentials are for ${req.push[0]!.registry}, the first push target's registry`}: pushing to ${registry} without them`);
  }
  let image: BuiltImage;
  try {
    image = await phase(`Build ${spec.title}`, () => buildImage({ spec, provenance, sources, ...(req.cacheDir ? { cacheDir: req.cacheDir } : {}), log: req.log }));
  } finally {
    sources.close();
    await closeGzipPool();
  }
  const t1 = Date.now();
  if (req.output) {
    const out = req.output;
    const refNames = [...new Set(req.push.map((p) => p.tag).filter((t): t is string => !!t))];
    await phase(`Write ${out.kind}:${out.path}`, async () => writeOutput(out, image, refNames.length > 0 ? refNames : ['latest'], Math.floor(provenance.created.getTime() / 1000)));
  }
  const t2 = Date.now();
  let pushed: PushResult | undefined;
  if (req.push.length > 0) {
    try {
      pushed = await phase(`Push ${req.push.map((p) => formatReference(p)).join(', ')}`, () =>
        pushImage(image, {
          targets: req.push,
          credentials: scoped,
          tls: { ...(ca ? { ca } : {}), ...(req.insecure ? { insecure: true } : {}) },
          ...(req.plainHttp ? { plainHttp: true } : {}),
          mask: req.mask,
          log: req.log,
        }),
      );
    } catch (err) {
      // The build worked: the failure's summary can still say what was built.
      const t = Date.now();
      throw withReport(err, buildReport(image, provenance, { timings: { buildMs: t1 - t0, outputMs: t2 - t1, pushMs: t - t2, totalMs: t - t0 } }));
    }
  }
  const t3 = Date.now();
  const images = pushed?.repositories.map((r) => r.image) ?? [];
  return buildReport(image, provenance, {
    image: images[0] ?? '',
    images,
    tags: pushed?.repositories.flatMap((r) => r.tags) ?? [],
    ...(req.output ? { output: `${req.output.kind}:${req.output.path}` } : {}),
    ...(pushed ? { push: { repositories: pushed.repositories, blobsUploaded: pushed.blobsUploaded, blobsReused: pushed.blobsReused, bytesUploaded: pushed.bytesUploaded } } : {}),
    timings: { buildMs: t1 - t0, outputMs: t2 - t1, pushMs: t3 - t2, totalMs: t3 - t0 },
  });
}
