// The build: spec -> layers -> config -> manifest, all in memory, all deterministic.
import type { Provenance } from './provenance.js';
import { buildLayer, type LayerBlob } from './oci/layer.js';
import { imageConfigJson, imageManifestJson, MEDIA_TYPES, sha256 } from './oci/image.js';
import { openSources, type SourceOptions, type SourceReader } from './sources/reader.js';
import type { ImageSpec } from './spec.js';

export interface BuiltImage {
  title: string;
  manifest: Buffer;
  manifestDigest: string;
  manifestMediaType: string;
  config: Buffer;
  configDigest: string;
  configMediaType: string;
  layers: LayerBlob[];
  labels: Record<string, string>;
  created: Date;
  /** Manifest + config + compressed layers, in bytes. */
  size: number;
}

export interface BuildOptions {
  spec: ImageSpec;
  provenance: Provenance;
  /** Compressed-layer cache directory (optional). */
  cacheDir?: string;
  /** Reads the entries' sources; default: opened here from the spec (and closed at the end). */
  sources?: SourceReader;
  /** For the default reader: tool cache (downloaded .debs) and fetch. */
  sourceOptions?: SourceOptions;
  log?: (message: string) => void;
}

/** The spec's labels plus the OCI ones from provenance (title from the spec's title unless the spec sets it). */
export function imageLabels(spec: ImageSpec, p: Provenance): Record<string, string> {
  const labels: Record<string, string> = { 'org.opencontainers.image.title': spec.title, ...spec.config.labels };
  labels['org.opencontainers.image.created'] = p.created.toISOString().replace(/\.000Z$/, 'Z');
  if (p.revision) labels['org.opencontainers.image.revision'] = p.revision;
  if (p.source) labels['org.opencontainers.image.source'] = p.source;
  return labels;
}

export async function buildImage(options: BuildOptions): Promise<BuiltImage> {
  const { spec, provenance } = options;
  const mtime = Math.floor(provenance.created.getTime() / 1000);
  const layers: LayerBlob[] = [];
  const sources = options.sources ?? openSources(spec, { ...(options.log ? { log: options.log } : {}), ...options.sourceOptions });
  try {
    for (const layer of spec.layers) {
      layers.push(
        await buildLayer(layer, {
          mtime,
          level: spec.compressionLevel,
          mediaTypes: spec.mediaTypes,
          sources,
          ...(options.cacheDir ? { cacheDir: options.cacheDir } : {}),
          ...(options.log ? { log: options.log } : {}),
        }),
      );
    }
  } finally {
    if (!options.sources) sources.close();
  }
  const labels = imageLabels(spec, provenance);
  const types = MEDIA_TYPES[spec.mediaTypes];
  const config = imageConfigJson(spec, layers, provenance.created, labels);
  const configDigest = sha256(config);
  const manifest = imageManifestJson(spec.mediaTypes, { mediaType: types.config, digest: configDigest, size: config.length }, layers);
  const manifestDigest = sha256(manifest);
  options.log?.(`image ${spec.title}: ${manifestDigest}`);
  return {
    title: spec.title,
    manifest,
    manifestDigest,
    manifestMediaType: types.manifest,
    config,
    configDigest,
    configMediaType: types.config,
    layers,
    labels,
    created: provenance.created,
    size: manifest.length + config.length + layers.reduce((n, l) => n + l.size, 0),
  };
}
