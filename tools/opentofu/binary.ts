// The pinned OpenTofu the deploy tests and bench run: $PIPELINE_TOFU (or, deprecated, $SHS_TOFU), else the build of this Go module
// (scripts/build-opentofu.sh: built once, a few minutes, then cached outside the repository).
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pipelineEnv } from '../../actions/common/src/env.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
let path: string | undefined;

export function opentofuBinary(): string {
  path ??= pipelineEnv('PIPELINE_TOFU') || execFileSync(join(ROOT, 'scripts', 'build-opentofu.sh'), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
  return path;
}
