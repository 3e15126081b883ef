// The pinned OpenTofu the deploy tests and bench run: $SHS_TOFU, else the build of this Go module
// (scripts/build-opentofu.sh: built once, a few minutes, then cached outside the repository).
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
let path: string | undefined;

export function opentofuBinary(): string {
  path ??= process.env.SHS_TOFU || execFileSync(join(ROOT, 'scripts', 'build-opentofu.sh'), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
  return path;
}
