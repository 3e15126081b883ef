// What the build-image bench gives `docker build`, made from an image spec at run time so it cannot drift from
// it: one uncompressed tar per spec layer, written by the build-image action's own code (its source reader for
// the bytes, pinned packages included; its entry list and tar writer), and a FROM-scratch Dockerfile that ADDs
// each tar (docker unpacks a local tar keeping modes, owners and times, as FROM-scratch base images are made)
// and sets the spec's config. Also: a snapshot of a spec and its host files, and an app-only change to one.
import { copyFileSync, appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { layerEntries } from '../../actions/build-image/src/oci/layer.js';
import { tarChunks } from '../../actions/build-image/src/oci/tar.js';
import { openSources } from '../../actions/build-image/src/sources/reader.js';
import { type ImageConfigSpec, loadSpec } from '../../actions/build-image/src/spec.js';

/** The Dockerfile lines after the layers: the spec's config, one instruction per kind (each is a step of docker's). */
function configInstructions(c: ImageConfigSpec): string[] {
  const pairs = (entries: [string, string][]) => entries.map(([k, v]) => `${JSON.stringify(k)}=${JSON.stringify(v)}`).join(' ');
  const labels = Object.entries(c.labels);
  return [
    ...(c.env.length > 0 ? [`ENV ${c.env.map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(' ')}`] : []),
    ...(labels.length > 0 ? [`LABEL ${pairs(labels)}`] : []),
    ...(c.workingDir ? [`WORKDIR ${c.workingDir}`] : []),
    ...(c.exposedPorts.length > 0 ? [`EXPOSE ${c.exposedPorts.join(' ')}`] : []),
    ...(c.user ? [`USER ${c.user}`] : []),
    ...(c.stopSignal ? [`STOPSIGNAL ${c.stopSignal}`] : []),
    ...(c.entrypoint ? [`ENTRYPOINT ${JSON.stringify(c.entrypoint)}`] : []),
    ...(c.cmd ? [`CMD ${JSON.stringify(c.cmd)}`] : []),
  ];
}

/**
 * Writes the docker build context of `specFile` into `dir`: `<layer>.tar` per layer (entries with `mtime`, the
 * same SOURCE_DATE_EPOCH the image gets, so equal layers of two specs give equal tars) and the Dockerfile.
 * Returns the Dockerfile's text.
 */
export async function writeDockerContext(specFile: string, dir: string, mtime: number): Promise<string> {
  const spec = loadSpec(specFile);
  const sources = openSources(spec);
  mkdirSync(dir, { recursive: true });
  const adds: string[] = [];
  try {
    for (const layer of spec.layers) {
      const tar = `${layer.name}.tar`;
      writeFileSync(join(dir, tar), Buffer.concat(tarChunks(await layerEntries(layer, mtime, sources))));
      adds.push(`ADD ${tar} /`);
    }
  } finally {
    sources.close();
  }
  const dockerfile = `${['FROM scratch', ...adds, ...configInstructions(spec.config)].join('\n')}\n`;
  writeFileSync(join(dir, 'Dockerfile'), dockerfile);
  return dockerfile;
}

interface RawSpec {
  lock?: string;
  layers: { name: string; entries: { source?: string }[] }[];
}

/** A host-path source (not "npm:"/"deb:", which name pinned packages). */
const isHostSource = (s: string) => !/^(npm|deb):/.test(s);

/**
 * A copy of `specFile` in `dir`, with the host files it names inside its own directory copied beside it (same
 * relative paths), so a rebuild of the bundles during the run changes nothing; the lock file and any other path
 * are made absolute. Returns the copy's path.
 */
export function snapshotSpec(specFile: string, dir: string): string {
  const raw = JSON.parse(readFileSync(specFile, 'utf8')) as RawSpec;
  const base = dirname(specFile);
  for (const layer of raw.layers)
    for (const e of layer.entries) {
      if (e.source === undefined || !isHostSource(e.source)) continue;
      const rel = relative(base, resolve(base, e.source));
      if (rel.startsWith('..') || isAbsolute(rel)) e.source = resolve(base, e.source);
      else {
        mkdirSync(dirname(join(dir, rel)), { recursive: true });
        copyFileSync(join(base, rel), join(dir, rel));
      }
    }
  if (raw.lock) raw.lock = resolve(base, raw.lock);
  mkdirSync(dir, { recursive: true });
  const out = join(dir, basename(specFile));
  writeFileSync(out, JSON.stringify(raw, null, 2));
  return out;
}

/** Appends `comment` (a line) to the first host file of the spec's "app" layer: only that layer changes. */
export function changeApp(specFile: string, comment: string): void {
  const raw = JSON.parse(readFileSync(specFile, 'utf8')) as RawSpec;
  const source = raw.layers.find((l) => l.name === 'app')?.entries.find((e) => e.source !== undefined && isHostSource(e.source))?.source;
  if (!source) throw new Error(`${specFile}: no "app" layer with a host file to change`);
  appendFileSync(resolve(dirname(specFile), source), `\n${comment}\n`);
}
