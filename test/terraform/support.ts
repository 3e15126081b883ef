// What the terraform tests share: OpenTofu with the schema-only Yandex provider (tools/yandex-schema-provider)
// installed from its filesystem mirror, run in scratch copies of terraform/ so that no .terraform directory,
// state or lock file (whose hashes are not the real provider's) is ever written into the repository.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { opentofuBinary } from '../../tools/opentofu/binary.js';
import { schemaProviderCliConfig } from '../../tools/yandex-schema-provider/cli-config.js';
import { ROOT } from '../support/shs.js';

export const TERRAFORM = join(ROOT, 'terraform');
/** The monitoring node's configuration, which the root module reads from ../monitoring. */
export const MONITORING = join(ROOT, 'monitoring');
export const MODULES = readdirSync(join(TERRAFORM, 'modules')).sort();

const digest = (c: string) => `sha256:${c.repeat(64)}`;
export const IMAGE = `cr.yandex/crp0test/shs@${digest('a')}`;
export const PROXY_IMAGE = `cr.yandex/crp0test/shs-proxy@${digest('b')}`;
/** The variables the workflows pass, besides production.tfvars. */
export const WORKFLOW_VARS = ['-var', 'environment=production', '-var', `image=${IMAGE}`, '-var', `proxy_image=${PROXY_IMAGE}`, '-var-file=production.tfvars'];

export interface TofuResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** The environment OpenTofu runs in: nothing of ours but the CLI configuration that installs the schema provider. */
export function tofuEnv(home: string): Record<string, string> {
  return { PATH: process.env.PATH ?? '', HOME: home, TF_CLI_CONFIG_FILE: schemaProviderCliConfig(), TF_IN_AUTOMATION: '1', CHECKPOINT_DISABLE: '1' };
}

export function tofu(dir: string, args: string[], timeoutMs = 120_000): TofuResult {
  const r = spawnSync(opentofuBinary(), [...args, ...(args[0] === 'fmt' ? [] : ['-no-color'])], { cwd: dir, env: tofuEnv(dir), encoding: 'utf8', timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const scratches: string[] = [];

/**
 * A copy of terraform/ (configuration and tests only) in a temporary directory, with monitoring/ beside it as in
 * the repository (the root module reads ../monitoring); returns the copy of terraform/. Removed by cleanScratch.
 */
export function scratchCopy(): string {
  const parent = mkdtempSync(join(tmpdir(), 'terraform-'));
  const dir = join(parent, 'terraform');
  cpSync(TERRAFORM, dir, {
    recursive: true,
    filter: (src) => !['.terraform', '.terraform.lock.hcl', 'terraform.tfstate', 'terraform.tfstate.backup'].includes(basename(src)),
  });
  cpSync(MONITORING, join(parent, 'monitoring'), { recursive: true, filter: (src) => basename(src) !== 'node_modules' });
  scratches.push(parent);
  return dir;
}

/** Plans and applies here use local state instead of the s3 backend (override files merge into the root). */
export function useLocalBackend(dir: string): void {
  writeFileSync(join(dir, 'backend_override.tf'), 'terraform {\n  backend "local" {}\n}\n');
}

export function cleanScratch(): void {
  for (const d of scratches.splice(0)) rmSync(d, { recursive: true, force: true });
}

/** init, failing the test with OpenTofu's own words when it does not succeed. */
export function init(dir: string, backend = true): void {
  const r = tofu(dir, ['init', '-input=false', ...(backend ? [] : ['-backend=false'])]);
  if (r.status !== 0) throw new Error(`tofu init in ${dir} failed:\n${r.stdout}${r.stderr}`);
}

export interface StateResource {
  address: string;
  type: string;
  values: Record<string, unknown>;
}

export interface StateModule {
  resources?: StateResource[];
  child_modules?: StateModule[];
}

export function resourcesOf(module: StateModule | undefined): StateResource[] {
  if (!module) return [];
  return [...(module.resources ?? []), ...(module.child_modules ?? []).flatMap(resourcesOf)];
}

/** What one instance group's VMs are given: its instance template's metadata (docker-compose, user-data, ...). */
export type GroupMetadata = Record<string, string>;

/**
 * Applies terraform/ against the schema provider's fake cloud in `dir` (a scratch copy) with the workflows'
 * variables plus `vars`, and returns each instance group's metadata by module (app, proxy, postgres_vm, ...),
 * exactly as the root module renders it, and the outputs.
 */
export function applyAndReadMetadata(dir: string, vars: Record<string, string> = {}): { metadata: Record<string, GroupMetadata>; outputs: Record<string, unknown> } {
  useLocalBackend(dir);
  init(dir);
  const extra = Object.entries(vars).flatMap(([k, v]) => ['-var', `${k}=${v}`]);
  const r = tofu(dir, ['apply', '-input=false', '-auto-approve', ...WORKFLOW_VARS, ...extra], 300_000);
  if (r.status !== 0) throw new Error(`tofu apply failed:\n${r.stderr}`);
  const state = JSON.parse(tofu(dir, ['show', '-json']).stdout) as { values: { root_module: StateModule; outputs: Record<string, { value: unknown }> } };
  const metadata: Record<string, GroupMetadata> = {};
  for (const res of resourcesOf(state.values.root_module)) {
    if (res.type !== 'yandex_compute_instance_group') continue;
    const module = /^module\.(\w+)/.exec(res.address)![1]!;
    metadata[module] = (res.values.instance_template as { metadata: GroupMetadata }[])[0]!.metadata;
  }
  return { metadata, outputs: Object.fromEntries(Object.entries(state.values.outputs).map(([k, v]) => [k, v.value])) };
}
