// The OpenTofu CLI configuration (for TF_CLI_CONFIG_FILE) that installs the schema-only yandex-cloud/yandex
// provider from its filesystem mirror: $PIPELINE_TOFU_CLI_CONFIG, else the one that
// scripts/build-yandex-schema-provider.sh writes (the plugin is built once, then cached outside the
// repository). The script runs at most once per process.
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
let path: string | undefined;

export function schemaProviderCliConfig(): string {
  path ??=
    process.env.PIPELINE_TOFU_CLI_CONFIG ||
    execFileSync(join(ROOT, 'scripts', 'build-yandex-schema-provider.sh'), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
  return path;
}
