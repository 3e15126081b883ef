// What the deploy tests share: a fresh copy of the provider-free fixture configuration, and image references.
import { cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../support/shs.js';

export function fixtureCopy(): string {
  const dir = mkdtempSync(join(tmpdir(), 'deploy-fixture-'));
  cpSync(join(ROOT, 'test', 'deploy', 'fixture'), dir, { recursive: true });
  return dir;
}

export const image = (hexChar: string) => `cr.yandex/crp0test/shs@sha256:${hexChar.repeat(64)}`;
