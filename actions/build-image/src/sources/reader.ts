// Reads the bytes behind a file entry's source, whatever its kind (host path, npm package, Debian package).
// Opening checks every pinned source of a spec against its lock file before anything is built, so a missing pin
// or a package-lock.json that disagrees fails in a second, not after a download. Debian packages are fetched and
// extracted once per build, on first use; close() removes the extracted trees. Reads are asynchronous, so a
// layer's sources (a large binary, several packages to extract) are read in parallel.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ImageSpec } from '../spec.js';
import { defaultToolCacheDir, extractDeb, fetchDeb, fileInPackage, type Fetch } from './deb.js';
import { loadLock, type RuntimeLock } from './lock.js';
import { npmPackageFile } from './npm.js';
import { formatSource, type Source } from './source.js';

export interface SourceReader {
  /** The content of `source`, for the image path `path` (named in errors). */
  read(source: Source, path: string): Promise<Buffer>;
  /** Removes temporary files (extracted packages). */
  close(): void;
}

export interface SourceOptions {
  /** Where downloaded .debs are cached (default: $PIPELINE_TOOL_CACHE, else ~/.cache/shs-delivery/tools). */
  toolCacheDir?: string;
  fetch?: Fetch;
  log?: (message: string) => void;
}

async function readHostFile(source: string, path: string): Promise<Buffer> {
  let st;
  try {
    st = statSync(source);
  } catch (err) {
    throw new Error(`${path}: cannot read its source ${source}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  if (!st.isFile()) throw new Error(`${path}: its source ${source} is not a regular file (list the files of a directory one by one)`);
  return readFile(source);
}

/** The pinned sources of a spec, each with the image path that uses it. */
function pinnedSources(spec: ImageSpec): { source: Source & { kind: 'npm' | 'deb' }; path: string }[] {
  const out: { source: Source & { kind: 'npm' | 'deb' }; path: string }[] = [];
  for (const layer of spec.layers)
    for (const e of layer.entries) if (e.type === 'file' && e.source && e.source.kind !== 'host') out.push({ source: e.source, path: e.path });
  return out;
}

/** Opens the sources of a spec: loads its lock file (if it has one) and checks every pinned source against it. */
export function openSources(spec: ImageSpec, options: SourceOptions = {}): SourceReader {
  const pinned = pinnedSources(spec);
  let lock: RuntimeLock | undefined;
  if (spec.lock) lock = loadLock(spec.lock);
  else if (pinned.length > 0) throw new Error(`${pinned[0]!.path}: source "${formatSource(pinned[0]!.source)}" needs the spec's "lock" (the lock file that pins it)`);
  const npmFiles = new Map<string, string>();
  for (const { source, path } of pinned) {
    const where = `${path}: source "${formatSource(source)}"`;
    const table = source.kind === 'npm' ? lock!.npm : lock!.debian.packages;
    if (!table.has(source.package))
      throw new Error(`${where}: ${source.package} is not pinned in ${lock!.file} (${source.kind === 'npm' ? 'npm' : 'debian.packages'}; add it with node scripts/update-runtime-lock.mjs${source.kind === 'deb' ? ` --add ${source.package}` : ''})`);
    if (source.kind === 'npm') {
      try {
        npmFiles.set(formatSource(source), npmPackageFile(lock!.npm.get(source.package)!, source.file, lock!.file));
      } catch (err) {
        throw new Error(`${where}: ${(err as Error).message}`);
      }
    }
  }
  const toolCacheDir = options.toolCacheDir ?? defaultToolCacheDir();
  const trees = new Map<string, Promise<string>>();
  const tmpDirs: string[] = [];

  /** The extracted tree of a pinned Debian package (fetched and extracted once per reader). */
  const debTree = (name: string): Promise<string> => {
    let tree = trees.get(name);
    if (!tree) {
      const pin = lock!.debian.packages.get(name)!;
      tree = (async () => {
        const deb = await fetchDeb(pin, { toolCacheDir, lockFile: lock!.file, ...(options.fetch ? { fetch: options.fetch } : {}), ...(options.log ? { log: options.log } : {}) });
        const dir = mkdtempSync(join(tmpdir(), `build-image-deb-${name}-`));
        tmpDirs.push(dir);
        await extractDeb(deb, dir);
        return dir;
      })();
      trees.set(name, tree);
    }
    return tree;
  };

  return {
    async read(source, path) {
      if (source.kind === 'host') return readHostFile(source.path, path);
      const where = `${path}: source "${formatSource(source)}"`;
      try {
        if (source.kind === 'npm') return await readFile(npmFiles.get(formatSource(source))!);
        const pin = lock!.debian.packages.get(source.package)!;
        return await readFile(fileInPackage(await debTree(source.package), source.file, `${pin.name} ${pin.version}`));
      } catch (err) {
        throw new Error(`${where}: ${(err as Error).message}`);
      }
    },
    close() {
      for (const dir of tmpDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
    },
  };
}
