// Each action's committed bundle runs on its own (no node_modules, no inputs, no credentials) and stops at its
// own input validation with a message that names the input: the bundle is complete and fails the right way.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './support/shs.js';

const actions = readdirSync(join(ROOT, 'actions')).filter((a) => existsSync(join(ROOT, 'actions', a, 'action.yml')));

describe('action bundles', () => {
  it('finds the actions', () => {
    expect(actions).toEqual(expect.arrayContaining(['smoke']));
  });

  for (const action of actions) {
    it(`${action}: dist/index.cjs fails with its own input validation`, () => {
      const dir = mkdtempSync(join(tmpdir(), `bundle-${action}-`));
      copyFileSync(join(ROOT, 'actions', action, 'dist', 'index.cjs'), join(dir, 'index.cjs'));
      const output = join(dir, 'output');
      const summary = join(dir, 'summary');
      writeFileSync(output, '');
      writeFileSync(summary, '');
      const r = spawnSync(process.execPath, [join(dir, 'index.cjs')], {
        cwd: dir,
        env: { PATH: process.env.PATH ?? '', HOME: dir, GITHUB_OUTPUT: output, GITHUB_STEP_SUMMARY: summary },
        encoding: 'utf8',
        timeout: 30_000,
      });
      expect(r.status, r.stdout + r.stderr).toBe(1);
      expect(r.stdout).toMatch(/::error::.*required/);
      expect(r.stderr).not.toMatch(/Cannot find module|ReferenceError|TypeError/);
    });
  }
});
