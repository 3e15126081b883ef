// A ToolCache in a plain directory, laid out like the runner's tool cache (<tool>/<version>/<arch>, with an
// <arch>.complete marker written last), for the CLI and for machines without a runner.
import { cpSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { pipelineEnv } from '../../common/src/env.js';
import type { ToolCache, ToolName } from './install.js';

/** $PIPELINE_TOOL_CACHE (or, deprecated, $SHS_TOOL_CACHE), else $XDG_CACHE_HOME/shs-delivery/tools, else ~/.cache/shs-delivery/tools. */
export function defaultToolCacheRoot(env: NodeJS.ProcessEnv = process.env, warn?: (message: string) => void): string {
  const root = pipelineEnv('PIPELINE_TOOL_CACHE', env, warn);
  if (root) return root;
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'shs-delivery', 'tools');
}

export class DirectoryToolCache implements ToolCache {
  constructor(readonly root: string) {}

  find(tool: ToolName, version: string, arch: string): string | undefined {
    const dir = join(this.root, tool, version, arch);
    return existsSync(`${dir}.complete`) ? dir : undefined;
  }

  async save(source: string, tool: ToolName, version: string, arch: string): Promise<string> {
    const dir = join(this.root, tool, version, arch);
    rmSync(`${dir}.complete`, { force: true });
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    cpSync(source, dir, { recursive: true });
    writeFileSync(`${dir}.complete`, '');
    return dir;
  }
}
