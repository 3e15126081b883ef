// Installs a pinned terraform or OpenTofu release: download, check against the release's SHA256SUMS, unzip,
// cache. The cache is an interface so the action can use the runner's tool cache and the CLI a directory.
// tool-cache has no checksum API, so the archive is verified here before anything is cached.
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unzipSync } from 'fflate';
import { withRetry, type RetryHint } from '../../common/src/retry.js';

export type ToolName = 'tofu' | 'terraform';

export const DEFAULT_TOOL: ToolName = 'tofu';
export const DEFAULT_VERSIONS: Record<ToolName, string> = { tofu: '1.10.6', terraform: '1.11.4' };
export const DEFAULT_BASE_URLS: Record<ToolName, string> = {
  tofu: 'https://github.com/opentofu/opentofu/releases/download',
  terraform: 'https://releases.hashicorp.com/terraform',
};

export interface ToolRelease {
  tool: ToolName;
  version: string;
  os: string;
  arch: string;
  archiveName: string;
  archiveUrl: string;
  sumsUrl: string;
  binaryName: string;
}

export interface ToolCache {
  /** The directory of a cached install, or undefined. */
  find(tool: ToolName, version: string, arch: string): string | undefined;
  /** Moves or copies dir into the cache; returns the cached directory. */
  save(dir: string, tool: ToolName, version: string, arch: string): Promise<string>;
}

export interface InstalledTool {
  tool: ToolName;
  version: string;
  path: string;
  /** SHA-256 of the archive (empty when it came from the cache). */
  sha256: string;
  fromCache: boolean;
}

export class InstallError extends Error {
  override name = 'InstallError';
}

class DownloadError extends Error implements RetryHint {
  constructor(
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
  }
}

const OS: Record<string, string> = { linux: 'linux', darwin: 'darwin', win32: 'windows', freebsd: 'freebsd' };
const ARCH: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386' };

export function isToolName(value: string): value is ToolName {
  return value === 'tofu' || value === 'terraform';
}

/** Release addresses for a version; baseUrl replaces the vendor's (a mirror with the same layout below it). */
export function toolRelease(tool: ToolName, version: string, baseUrl?: string, platform: string = process.platform, nodeArch: string = process.arch): ToolRelease {
  if (!/^\d+\.\d+\.\d+(-[0-9A-Za-z.]+)?$/.test(version)) throw new InstallError(`${tool} version must look like 1.10.6, got "${version}"`);
  const os = OS[platform];
  const arch = ARCH[nodeArch];
  if (!os || !arch) throw new InstallError(`no ${tool} release for ${platform}/${nodeArch}`);
  const base = (baseUrl || DEFAULT_BASE_URLS[tool]).replace(/\/+$/, '');
  const dir = tool === 'tofu' ? `${base}/v${version}` : `${base}/${version}`;
  const archiveName = `${tool}_${version}_${os}_${arch}.zip`;
  return {
    tool,
    version,
    os,
    arch,
    archiveName,
    archiveUrl: `${dir}/${archiveName}`,
    sumsUrl: `${dir}/${tool}_${version}_SHA256SUMS`,
    binaryName: os === 'windows' ? `${tool}.exe` : tool,
  };
}

/** Parses a SHA256SUMS file: "<64 hex>  <file name>" per line. */
export function parseSha256Sums(text: string): Map<string, string> {
  const sums = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^([0-9a-fA-F]{64})\s+\*?(\S+)\s*$/.exec(line.trim());
    if (m) sums.set(m[2]!, m[1]!.toLowerCase());
  }
  return sums;
}

async function download(url: string, timeoutMs: number): Promise<Uint8Array> {
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), redirect: 'follow' });
  } catch (err) {
    throw new DownloadError(`GET ${url}: ${(err as Error).message}`, true);
  }
  if (!response.ok) {
    await response.body?.cancel();
    throw new DownloadError(`GET ${url}: HTTP ${response.status}`, response.status === 429 || response.status >= 500);
  }
  return new Uint8Array(await response.arrayBuffer());
}

export interface InstallOptions {
  release: ToolRelease;
  cache: ToolCache;
  log?: (line: string) => void;
  timeoutMs?: number;
  retrySleep?: (ms: number) => Promise<void>;
}

/** Returns the cached binary, or downloads, verifies and caches it. */
export async function installTool(o: InstallOptions): Promise<InstalledTool> {
  const { release, cache } = o;
  const log = o.log ?? (() => {});
  const cached = cache.find(release.tool, release.version, release.arch);
  if (cached && existsSync(join(cached, release.binaryName))) {
    log(`${release.tool} ${release.version} from the tool cache: ${cached}`);
    return { tool: release.tool, version: release.version, path: join(cached, release.binaryName), sha256: '', fromCache: true };
  }
  const get = (url: string) =>
    withRetry(() => download(url, o.timeoutMs ?? 120_000), {
      attempts: 3,
      ...(o.retrySleep ? { sleep: o.retrySleep } : {}),
      onRetry: (err, attempt, delay) => log(`${(err as Error).message}; attempt ${attempt + 1} in ${delay} ms`),
    });
  log(`downloading ${release.sumsUrl}`);
  const sums = parseSha256Sums(new TextDecoder().decode(await get(release.sumsUrl).catch(fail)));
  const expected = sums.get(release.archiveName);
  if (!expected) throw new InstallError(`${release.sumsUrl} lists no ${release.archiveName}`);
  log(`downloading ${release.archiveUrl}`);
  const archive = await get(release.archiveUrl).catch(fail);
  const actual = createHash('sha256').update(archive).digest('hex');
  if (actual !== expected) {
    throw new InstallError(`checksum mismatch for ${release.archiveName}: SHA256SUMS says ${expected}, the download is ${actual}; refusing to install it`);
  }
  log(`sha256 ${actual} matches SHA256SUMS`);
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(archive, { filter: (f) => f.name === release.binaryName });
  } catch (err) {
    throw new InstallError(`${release.archiveName} is not a readable zip: ${(err as Error).message}`);
  }
  const binary = files[release.binaryName];
  if (!binary) throw new InstallError(`${release.archiveName} has no ${release.binaryName} at its top level`);
  const staging = mkdtempSync(join(tmpdir(), `${release.tool}-${release.version}-`));
  try {
    writeFileSync(join(staging, release.binaryName), binary);
    chmodSync(join(staging, release.binaryName), 0o755);
    const dir = await cache.save(staging, release.tool, release.version, release.arch);
    log(`${release.tool} ${release.version} installed in ${dir}`);
    return { tool: release.tool, version: release.version, path: join(dir, release.binaryName), sha256: actual, fromCache: false };
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

function fail(err: unknown): never {
  throw new InstallError(`download failed: ${(err as Error).message}`);
}
