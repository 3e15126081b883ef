// Each action's committed bundle runs on its own (no node_modules, no inputs, no credentials) and stops at its
// own input validation with a message that names the input: the bundle is complete and fails the right way.
// Whatever happens, the harness every action shares sets every output action.yml declares (empty when unknown),
// a typed failure-reason among them, and writes the job summary.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import { parseGithubOutput } from './support/action-runner.js';
import { ROOT } from './support/shs.js';

const actions = readdirSync(join(ROOT, 'actions')).filter((a) => existsSync(join(ROOT, 'actions', a, 'action.yml')));
const spec = (action: string) =>
  parseYaml(readFileSync(join(ROOT, 'actions', action, 'action.yml'), 'utf8')) as {
    author?: string;
    branding?: { icon?: string; color?: string };
    inputs: Record<string, { description: string; default?: unknown; deprecationMessage?: string }>;
    outputs: Record<string, { description: string }>;
  };

describe('action bundles', () => {
  it('finds the actions', () => {
    expect(actions).toEqual(expect.arrayContaining(['smoke']));
  });

  for (const action of actions) {
    it(`${action}: dist/index.cjs fails with its own input validation, every declared output set and failure-reason input`, () => {
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
      const outputs = parseGithubOutput(readFileSync(output, 'utf8'));
      expect(Object.keys(outputs).sort()).toEqual(Object.keys(spec(action).outputs).sort());
      expect(outputs['failure-reason']).toBe('input');
      expect(readFileSync(summary, 'utf8')).toMatch(/required/);
    });

    it(`${action}: ships the licenses of what it bundles (dist/licenses.txt), and dist/ is marked generated`, () => {
      const licenses = readFileSync(join(ROOT, 'actions', action, 'dist', 'licenses.txt'), 'utf8');
      const bundled = readFileSync(join(ROOT, 'actions', action, 'dist', 'index.cjs'), 'utf8');
      // Every package whose code is in the bundle (esbuild names each module's path in a comment) is listed.
      const packages = new Set([...bundled.matchAll(/^\/\/ node_modules\/((?:@[^/\n]+\/)?[^/\n]+)\//gm)].map((m) => m[1]!));
      expect(packages.size).toBeGreaterThan(0);
      for (const name of packages) expect(licenses, name).toMatch(new RegExp(`^${name.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}@\\S+ \\(.+\\)$`, 'm'));
      expect(licenses).toContain('@actions/core@');
      expect(licenses).toMatch(/Permission is hereby granted, free of charge/); // the license texts themselves
      const attrs = spawnSync('git', ['check-attr', 'linguist-generated', 'diff', '--', `actions/${action}/dist/index.cjs`, `actions/${action}/dist/licenses.txt`], { cwd: ROOT, encoding: 'utf8' }).stdout;
      expect(attrs).toContain(`actions/${action}/dist/index.cjs: linguist-generated: true`);
      expect(attrs).toContain(`actions/${action}/dist/index.cjs: diff: unset`);
      expect(attrs).toContain(`actions/${action}/dist/licenses.txt: linguist-generated: true`);
    });

    it(`${action}: action.yml has an author, branding, a typed failure-reason and says every input's default`, () => {
      const s = spec(action);
      expect(s.author).toBeTruthy();
      expect(s.branding?.icon).toBeTruthy();
      expect(s.branding?.color).toBeTruthy();
      expect(s.outputs['failure-reason']?.description).toMatch(/^Empty on success; else (one of )?input, /);
      for (const [name, input] of Object.entries(s.inputs)) {
        if (input.deprecationMessage) continue;
        const d = input.default;
        if (d !== undefined && d !== '') expect(input.description, `${action} input ${name}`).toMatch(/[Dd]efault/);
      }
    });
  }

  it('dependabot keeps the pinned GitHub actions and the npm packages current, weekly and grouped', () => {
    const config = parseYaml(readFileSync(join(ROOT, '.github', 'dependabot.yml'), 'utf8')) as {
      version: number;
      updates: { 'package-ecosystem': string; directory: string; schedule: { interval: string }; groups?: Record<string, { patterns?: string[] }> }[];
    };
    expect(config.version).toBe(2);
    const ecosystems = config.updates.map((u) => u['package-ecosystem']).sort();
    expect(ecosystems).toEqual(['github-actions', 'npm']);
    for (const u of config.updates) {
      expect(u.directory).toBe('/');
      expect(u.schedule.interval).toBe('weekly');
      expect(Object.keys(u.groups ?? {}).length, u['package-ecosystem']).toBeGreaterThan(0);
    }
  });
});
