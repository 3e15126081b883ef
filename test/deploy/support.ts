// What the deploy tests share: the pinned OpenTofu (built from the Go module proxy by scripts/build-opentofu.sh,
// cached), a fresh copy of the provider-free fixture configuration, and image references.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../support/shs.js';

let tofu: string | undefined;

/** $SHS_TOFU, else the cached build (built now if missing: a few minutes the first time). */
export function tofuBinary(): string {
  tofu ??= process.env.SHS_TOFU || execFileSync(join(ROOT, 'scripts', 'build-opentofu.sh'), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
  return tofu;
}

export function fixtureCopy(): string {
  const dir = mkdtempSync(join(tmpdir(), 'deploy-fixture-'));
  cpSync(join(ROOT, 'test', 'deploy', 'fixture'), dir, { recursive: true });
  return dir;
}

export const image = (hexChar: string) => `cr.yandex/crp0test/shs@sha256:${hexChar.repeat(64)}`;
