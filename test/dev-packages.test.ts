// ./dev's Debian package lists against the commands each job runs: `./dev up` (and `./dev setup`) installs only
// what the main job needs, `./dev test` adds what only the tests use, `./dev bench` what only the benchmarks use,
// `./dev setup --image` what the local stack needs to run its instances from an image. Static: the lists are read
// from dev, the commands found as quoted names in the sources.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './support/shs.js';

const dev = readFileSync(join(ROOT, 'dev'), 'utf8');

function list(name: string): string[] {
  const m = new RegExp(`^${name}=\\(([^)]*)\\)`, 'm').exec(dev);
  if (!m) throw new Error(`dev defines no ${name}`);
  return m[1]!.split(/\s+/).filter(Boolean);
}

/** The lines of one branch of dev's command `case` (from `  name)` to its `;;`). */
function branch(name: string): string {
  const m = new RegExp(`^  ${name}\\)\\n([\\s\\S]*?)^    ;;`, 'm').exec(dev);
  if (!m) throw new Error(`dev has no "${name})" branch`);
  return m[1]!;
}

const MAIN = list('APT_PACKAGES');
const IMAGE = list('IMAGE_PACKAGES');
const TEST = list('TEST_PACKAGES');
const BENCH = list('BENCH_PACKAGES');
/** What test_packages adds when the machine lacks the command (a GitHub runner has Docker's own packages). */
const TEST_IF_MISSING = [.../^test_packages\(\) \{([\s\S]*?)^\}/m.exec(dev)![1]!.matchAll(/wanted\+=\(([\w.-]+)\)/g)].map((m) => m[1]!);

/** Debian commands the sources run by name, and their packages. */
const COMMANDS: Record<string, string> = {
  pg_ctl: 'postgresql',
  initdb: 'postgresql',
  psql: 'postgresql', // postgresql-client, which postgresql depends on
  nginx: 'nginx-light',
  openssl: 'openssl',
  prometheus: 'prometheus',
  promtool: 'prometheus',
  'prometheus-node-exporter': 'prometheus-node-exporter',
  'prometheus-postgres-exporter': 'prometheus-postgres-exporter',
  'docker-registry': 'docker-registry',
  skopeo: 'skopeo',
  umoci: 'umoci',
  runc: 'runc',
  htpasswd: 'apache2-utils',
  wrk: 'wrk',
  hey: 'hey',
  dockerd: 'docker.io',
  'docker-compose': 'docker-compose',
};
/** Needed by the main job with no command of their own: the proxy's nginx loads them. */
const MAIN_WITHOUT_COMMAND = ['libnginx-mod-http-lua', 'lua-resty-core', 'lua-cjson'];

type Job = 'main' | 'image' | 'test' | 'bench';

function jobOf(file: string): Job {
  if (file.startsWith('test/') || file.endsWith('.test.ts')) return 'test';
  if (file.startsWith('bench/')) return 'bench';
  // the instances from an image: `pipeline deploy --target local --image oci:...` (pr-smoke.yml), not `up`
  if (file === 'stack/src/image-instances.ts') return 'image';
  return 'main';
}

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(join(ROOT, dir))) {
    const path = join(dir, name);
    if (name === 'node_modules' || name === 'dist' || name === 'results' || path === 'test/dev-packages.test.ts') continue;
    if (statSync(join(ROOT, path)).isDirectory()) out.push(...sources(path));
    else if (/\.(ts|mjs)$/.test(name)) out.push(path);
  }
  return out;
}

/** Each job's packages, from the commands its files name as a quoted string (`run('skopeo', ...)`, `'wrk'`...). */
function packagesByJob(): Record<Job, Map<string, string[]>> {
  const used: Record<Job, Map<string, string[]>> = { main: new Map(), image: new Map(), test: new Map(), bench: new Map() };
  const dirs = ['cli/src', 'stack/src', 'proxy/src', 'shs/src', 'monitoring/src', 'test', 'bench', 'tools', 'scripts', ...readdirSync(join(ROOT, 'actions')).map((a) => `actions/${a}/src`)];
  for (const file of dirs.flatMap((d) => (statSync(join(ROOT, d), { throwIfNoEntry: false })?.isDirectory() ? sources(d) : []))) {
    const text = readFileSync(join(ROOT, file), 'utf8');
    for (const [command, pkg] of Object.entries(COMMANDS)) {
      if (!new RegExp(`['"\`]${command.replace(/[-]/g, '\\-')}['"\` ]`).test(text)) continue;
      const job = used[jobOf(file)];
      job.set(pkg, [...(job.get(pkg) ?? []), file]);
    }
  }
  return used;
}

describe('./dev installs what each job needs', () => {
  const used = packagesByJob();

  it('finds the commands (the scan works)', () => {
    expect([...used.main.keys()]).toEqual(expect.arrayContaining(['postgresql', 'nginx-light', 'openssl', 'prometheus']));
    expect([...used.test.keys()]).toEqual(expect.arrayContaining(['docker-registry', 'skopeo', 'umoci', 'runc', 'apache2-utils']));
    expect([...used.bench.keys()]).toEqual(expect.arrayContaining(['wrk', 'hey', 'docker-registry']));
  });

  it('the main job gets every package it runs, and nothing else', () => {
    for (const [pkg, files] of used.main) expect(MAIN, `${pkg} (run by ${files.join(', ')})`).toContain(pkg);
    for (const pkg of MAIN) expect([...used.main.keys(), ...MAIN_WITHOUT_COMMAND], `${pkg} is in APT_PACKAGES but no main-job source runs it`).toContain(pkg);
  });

  it('the tests, the benchmarks and the image instances get theirs on top of it', () => {
    const covered: Record<Exclude<Job, 'main'>, string[]> = { image: [...MAIN, ...IMAGE], test: [...MAIN, ...TEST, ...TEST_IF_MISSING], bench: [...MAIN, ...BENCH] };
    for (const job of ['image', 'test', 'bench'] as const)
      for (const [pkg, files] of used[job]) expect(covered[job], `${job}: ${pkg} (run by ${files.join(', ')})`).toContain(pkg);
    // and each extra list holds only what its job runs
    for (const [job, extra] of [['image', IMAGE], ['test', [...TEST, ...TEST_IF_MISSING]], ['bench', BENCH]] as const)
      for (const pkg of extra) expect([...used[job].keys()], `${pkg} is installed for ${job} but no ${job} source runs it`).toContain(pkg);
  });

  it('the lists are disjoint from the main one; up and setup install only it, test and bench add theirs', () => {
    for (const [name, extra] of [['IMAGE_PACKAGES', IMAGE], ['TEST_PACKAGES', TEST], ['BENCH_PACKAGES', BENCH], ['test_packages', TEST_IF_MISSING]] as const)
      expect(extra.filter((p) => MAIN.includes(p)), `${name} repeats APT_PACKAGES`).toEqual([]);
    expect(TEST_IF_MISSING).toEqual(['docker.io', 'docker-compose']);
    expect(/^setup\(\) \{\n {2}install_apt "\$\{APT_PACKAGES\[@\]\}"\n {2}install_npm\n\}/m.test(dev)).toBe(true);
    const extras = /TEST_PACKAGES|test_packages|BENCH_PACKAGES|IMAGE_PACKAGES/;
    expect(branch('up')).not.toMatch(extras);
    expect(branch('setup')).not.toMatch(/TEST_PACKAGES|test_packages|BENCH_PACKAGES/);
    expect(branch('setup')).toMatch(/if \[ "\$\*" = --image \]; then install_apt "\$\{IMAGE_PACKAGES\[@\]\}"; fi/);
    expect(branch('test')).toMatch(/^\s*test_packages$/m);
    expect(branch('bench')).toMatch(/install_apt "\$\{BENCH_PACKAGES\[@\]\}"/);
    // CI runs ./dev test, which installs both the main and the test lists
    expect(readFileSync(join(ROOT, '.ci/run'), 'utf8')).toMatch(/^exec \.\/dev test$/m);
  });
});
