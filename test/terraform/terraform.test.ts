// terraform/ checked by a real OpenTofu against the Yandex provider's own schema (0.219.0), served by the
// schema-only provider of tools/yandex-schema-provider: every argument name, type, required argument and block
// nesting is OpenTofu's verdict, not ours. The plan tests (tofu test, mock provider) of the root and of every
// module pass; deliberately broken copies fail, naming what is wrong; a real plan and apply against the
// plugin's fake cloud gives the whole environment, whose compose specs and cloud-init are parsed and checked;
// and the deploy action runs its whole path on the real root module. What this cannot check: the provider's
// own Go validators and what the cloud answers (terraform/README.md, "What is validated here").
import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { parse as parseYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DirectoryToolCache } from '../../actions/deploy/src/directory-cache.js';
import { deployCloud, emptyReport } from '../../actions/deploy/src/deploy.js';
import { opentofuBinary } from '../../tools/opentofu/binary.js';
import { ROOT } from '../support/shs.js';
import { IMAGE, MODULES, MONITORING, PROXY_IMAGE, TERRAFORM, WORKFLOW_VARS, cleanScratch, init, resourcesOf, scratchCopy, tofu, tofuEnv, useLocalBackend } from './support.js';

afterAll(cleanScratch);

const DIRS = ['.', 'bootstrap', ...MODULES.map((m) => `modules/${m}`)];

describe('terraform/ against the provider schema', () => {
  let dir = '';
  beforeAll(() => {
    dir = scratchCopy();
    for (const d of DIRS) init(join(dir, d), false);
  }, 180_000);

  it('the root module and every module validate', () => {
    for (const d of DIRS) {
      const r = tofu(join(dir, d), ['validate', '-json']);
      expect(JSON.parse(r.stdout), `${d}: ${r.stdout}`).toMatchObject({ valid: true, error_count: 0 });
    }
  });

  it('every module has plan tests beside it; they and the root module\'s pass', () => {
    const counts: Record<string, number> = {};
    for (const d of DIRS) {
      expect(existsSync(join(TERRAFORM, d, 'tests')), `${d} has no tests/`).toBe(true);
      const r = tofu(join(dir, d), ['test'], 300_000);
      expect(r.status, `${d}:\n${r.stdout}${r.stderr}`).toBe(0);
      counts[d] = Number(/Success! (\d+) passed, 0 failed/.exec(r.stdout)?.[1] ?? 0);
      expect(counts[d], `${d} ran no test`).toBeGreaterThan(0);
    }
    console.log(`tofu test: ${Object.values(counts).reduce((a, b) => a + b, 0)} runs passed in ${DIRS.length} directories`);
  }, 600_000);
});

describe('the checks bite: a broken copy fails, naming what is wrong', () => {
  function broken(file: string, from: string | RegExp, to: string): string {
    const dir = scratchCopy();
    const path = join(dir, file);
    const text = readFileSync(path, 'utf8');
    const next = text.replace(from, to);
    if (next === text) throw new Error(`${file}: the edit did not apply`);
    writeFileSync(path, next);
    return dir;
  }

  it('an argument the provider does not have', () => {
    const dir = broken('modules/app/main.tf', 'max_checking_health_duration = 600', 'max_checking_health_duration = 600\n  max_surge_nodes              = 1');
    init(dir, false);
    const r = tofu(dir, ['validate']);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/Unsupported argument[\s\S]*An argument named "max_surge_nodes" is not expected here/);
  });

  it('a required block left out', () => {
    const dir = broken('modules/proxy/main.tf', /\n {2}deploy_policy \{[\s\S]*?\n {2}\}\n/, '\n');
    init(dir, false);
    const r = tofu(dir, ['validate']);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/Insufficient deploy_policy blocks[\s\S]*At least 1 "deploy_policy" blocks? (is|are) required/);
  });

  it('a wrongly typed value', () => {
    const dir = broken('modules/app/main.tf', 'startup_duration = 30', 'startup_duration = "half a minute"');
    init(dir, false);
    const r = tofu(dir, ['validate']);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/Incorrect attribute value type|a number is required/);
  });

  it('a database password in the instance metadata', () => {
    const dir = broken('modules/app/compose.yaml.tftpl', '      SHS_SERVER_PORT:', '      SHS_DATABASE_PASSWORD: "hunter2"\n      SHS_SERVER_PORT:');
    useLocalBackend(dir);
    init(dir);
    const r = tofu(dir, ['plan', '-input=false', ...WORKFLOW_VARS]);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/carries a database password \(SHS_DATABASE_PASSWORD/);
  });

  it('a token that reaches the state: the secret scan finds it', () => {
    const dir = scratchCopy();
    useLocalBackend(dir);
    writeFileSync(join(dir, 'leak.tf'), 'data "yandex_client_config" "this" {}\n\noutput "token" {\n  value     = data.yandex_client_config.this.iam_token\n  sensitive = true\n}\n');
    init(dir);
    expect(tofu(dir, ['apply', '-input=false', '-auto-approve', ...WORKFLOW_VARS]).status).toBe(0);
    const state = JSON.parse(tofu(dir, ['show', '-json']).stdout) as unknown;
    expect(secretsIn(state)).toEqual(expect.arrayContaining(['values.outputs.token.value']));
  });

  it('an image by tag', () => {
    const dir = scratchCopy();
    useLocalBackend(dir);
    init(dir);
    const r = tofu(dir, ['plan', '-input=false', ...WORKFLOW_VARS, '-var', 'image=cr.yandex/crp0test/shs:latest']);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/image must be referenced by digest/);
  });

  it('Grafana\'s admin password in the monitoring node\'s compose spec', () => {
    const dir = broken('modules/monitoring/compose.yaml.tftpl', '      GF_AUTH_ANONYMOUS_ENABLED:', '      GF_SECURITY_ADMIN_PASSWORD: "hunter2"\n      GF_AUTH_ANONYMOUS_ENABLED:');
    useLocalBackend(dir);
    init(dir);
    const r = tofu(dir, ['plan', '-input=false', ...WORKFLOW_VARS, ...MONITORING_VARS]);
    expect(r.status).not.toBe(0);
    expect(flat(r.stderr)).toContain("carries Grafana's admin password (GF_SECURITY_ADMIN_PASSWORD)");
  });

  it('a rule file in monitoring/ that Prometheus would not load (*.yaml)', () => {
    const dir = scratchCopy();
    writeFileSync(join(dir, '..', 'monitoring', 'prometheus', 'rules', 'extra.yaml'), 'groups: []\n');
    useLocalBackend(dir);
    init(dir);
    const r = tofu(dir, ['plan', '-input=false', ...WORKFLOW_VARS, ...MONITORING_VARS]);
    expect(r.status).not.toBe(0);
    expect(flat(r.stderr)).toContain('rule_files: each named <name>.yml (Prometheus loads *.yml; rename a .yaml file)');
  });

  it('a dashboard too large for the metadata: the plan fails, before anything is made', () => {
    const dir = scratchCopy();
    // Random hex: about 600 KB that gzip cannot bring under 256 KiB.
    writeFileSync(join(dir, '..', 'monitoring', 'grafana', 'dashboards', 'huge.json'), JSON.stringify({ title: 'huge', blob: randomBytes(300_000).toString('hex') }));
    useLocalBackend(dir);
    init(dir);
    const r = tofu(dir, ['plan', '-input=false', ...WORKFLOW_VARS, ...MONITORING_VARS]);
    expect(r.status).not.toBe(0);
    expect(flat(r.stderr)).toMatch(/The monitoring node's metadata .* would be \d+ bytes, over Yandex Cloud's limit of 262144 bytes \(256 KiB\)/);
  });

  it('a design property changed: a surge rollout of the app group fails its plan test', () => {
    const dir = broken('modules/app/main.tf', 'max_expansion    = 0', 'max_expansion    = 1');
    init(join(dir, 'modules/app'), false);
    const r = tofu(join(dir, 'modules/app'), ['test']);
    expect(r.status).not.toBe(0);
    expect(r.stdout + r.stderr).toMatch(/one node at a time, in place/);
  });
});

/** OpenTofu's message with its line wrapping undone (it wraps at 78 columns, wherever the words fall). */
const flat = (text: string) => text.replace(/\s+/g, ' ');

/** The variables that turn the monitoring node on. */
const MONITORING_VARS = ['-var', 'monitoring=true', '-var', 'admin_cidrs=["198.51.100.0/24"]'];

/** Every string in a JSON value, with the path it was found at. */
function strings(value: unknown, path = ''): [string, string][] {
  if (typeof value === 'string') return [[path, value]];
  if (Array.isArray(value)) return value.flatMap((v, i) => strings(v, `${path}[${i}]`));
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => strings(v, path ? `${path}.${k}` : k));
  return [];
}

/** Values that must never be in a plan or a state: anything under a secret-like name, and the schema provider's marker of sensitive values. */
function secretsIn(...documents: unknown[]): string[] {
  const secretish = /(^|\.)(password|private_key|secret_key|iam_token|access_token|token)$/i;
  return documents
    .flatMap((d) => strings(d))
    .filter(([path, value]) => (secretish.test(path) && value !== '') || value.includes('FAKE-SENSITIVE'))
    .map(([path]) => path);
}

type Compose = { services: Record<string, Record<string, unknown> & { environment?: Record<string, string> }> } & Record<string, unknown>;

describe('a real plan and apply against the schema provider\'s fake cloud', () => {
  let dir = '';
  let plan: { resource_changes: { address: string; type: string; mode: string; change: { actions: string[] } }[]; configuration: unknown };
  let state: { values: { root_module: Parameters<typeof resourcesOf>[0]; outputs: Record<string, { value: unknown; sensitive: boolean }> } };
  const groups: Record<string, ReturnType<typeof resourcesOf>[number]> = {};
  const metadata = (group: string, key: string) => (groups[group]!.values.instance_template as { metadata: Record<string, string> }[])[0]!.metadata[key]!;
  const compose = (group: string) => parseYaml(metadata(group, 'docker-compose')) as Compose;

  beforeAll(() => {
    dir = scratchCopy();
    useLocalBackend(dir);
    init(dir);
    const p = tofu(dir, ['plan', '-input=false', '-out=tfplan', ...WORKFLOW_VARS]);
    if (p.status !== 0) throw new Error(`plan failed:\n${p.stderr}`);
    plan = JSON.parse(tofu(dir, ['show', '-json', 'tfplan']).stdout) as typeof plan;
    const a = tofu(dir, ['apply', '-input=false', 'tfplan']);
    if (a.status !== 0) throw new Error(`apply failed:\n${a.stderr}`);
    state = JSON.parse(tofu(dir, ['show', '-json']).stdout) as typeof state;
    for (const r of resourcesOf(state.values.root_module)) if (r.type === 'yandex_compute_instance_group') groups[/module\.(\w+)/.exec(r.address)![1]!] = r;
  }, 180_000);

  it('one apply makes the whole environment', () => {
    const made = plan.resource_changes.filter((c) => c.mode === 'managed').map((c) => `${c.address} ${c.change.actions.join(',')}`);
    expect(made.sort()).toEqual(
      [
        'module.app.yandex_compute_instance_group.app',
        'module.db_secret[0].yandex_lockbox_secret.this',
        'module.db_secret[0].yandex_lockbox_secret_iam_member.reader["app"]',
        'module.db_secret[0].yandex_lockbox_secret_iam_member.reader["db"]',
        'module.load_balancer.yandex_lb_network_load_balancer.this',
        'module.load_balancer.yandex_vpc_address.this',
        'module.network.yandex_vpc_gateway.nat',
        'module.network.yandex_vpc_network.this',
        'module.network.yandex_vpc_route_table.egress',
        'module.network.yandex_vpc_subnet.zone["ru-central1-a"]',
        'module.postgres_vm[0].yandex_compute_disk.data',
        'module.postgres_vm[0].yandex_compute_instance_group.db',
        'module.postgres_vm[0].yandex_compute_snapshot_schedule.data',
        'module.proxy.yandex_compute_instance_group.proxy',
        'module.security.yandex_vpc_security_group.app',
        'module.security.yandex_vpc_security_group.db',
        'module.security.yandex_vpc_security_group.proxy',
      ].map((a) => `${a} create`),
    );
    expect(Object.keys(groups).sort()).toEqual(['app', 'postgres_vm', 'proxy']);
  });

  it('gives the deploy action the outputs of its contract', () => {
    const o = state.values.outputs;
    expect(o.url?.value).toMatch(/^http:\/\/\d+\.\d+\.\d+\.\d+$/);
    expect(o.https_url?.value).toBe('');
    expect(Object.keys(o.instance_group_ids?.value as object).sort()).toEqual(['app', 'db', 'proxy']);
    expect(o.folder_id?.value).toEqual(expect.any(String));
    expect(Object.values(o).every((v) => !v.sensitive)).toBe(true);
  });

  it('holds no secret: no password, key or token in the plan, the state, the variables or the outputs', () => {
    expect(secretsIn(plan, state)).toEqual([]);
    // The data sources that copy secret payloads into the state are not used.
    expect(JSON.stringify(plan.configuration)).not.toMatch(/yandex_lockbox_secret_version|yandex_cm_certificate_content|yandex_client_config/);
  });

  it('SHS nodes: the image by digest, non-root, host network, restarts, log limits, a health check, the secret\'s id but no secret', () => {
    const c = compose('app');
    expect(Object.keys(c.services).sort()).toEqual(['init', 'shs']);
    const secretId = (state.values.outputs.database_secret_id?.value as string) ?? '';
    expect(secretId).not.toBe('');
    for (const [name, s] of Object.entries(c.services)) {
      expect(s.image, name).toBe(IMAGE);
      expect(s.user, name).toBe('65532:65532');
      expect(s.network_mode, name).toBe('host');
      expect(s.read_only, name).toBe(true);
      expect(s.logging, name).toEqual({ driver: 'local', options: { 'max-size': '10m', 'max-file': '3' } });
      expect(s.environment, name).toMatchObject({
        SHS_DATABASE_HOSTS: '10.128.1.5:5432',
        SHS_DATABASE_PASSWORD_LOCKBOX_SECRET_ID: secretId,
        SHS_DATABASE_PASSWORD_LOCKBOX_KEY: 'password',
      });
      expect(Object.keys(s.environment!).filter((k) => /PASSWORD(_FILE)?$/.test(k))).toEqual([]);
    }
    expect(c.services.init).toMatchObject({ restart: 'on-failure', command: ['init', '--scale', '1', '--wait', '600'] });
    expect(c.services.shs).toMatchObject({ restart: 'always', command: ['run_server'], environment: { SHS_SERVER_PORT: '8080' } });
    // liveness, as the group's auto-healing: a database outage must not mark every container unhealthy
    expect((c.services.shs!.healthcheck as { test: string[] }).test.join(' ')).toContain('http://127.0.0.1:8080/livez');
  });

  it('proxies: the proxy image by digest, the app nodes as upstreams, a graceful stop, log limits', () => {
    const c = compose('proxy');
    const p = c.services.proxy!;
    expect(p.image).toBe(PROXY_IMAGE);
    expect(p.environment).toEqual({
      PROXY_PEERS: '10.128.1.10:8080,10.128.1.11:8080',
      PROXY_HTTP_LISTEN: '0.0.0.0:80',
      PROXY_HTTPS_LISTEN: '0.0.0.0:443',
      PROXY_METRICS_LISTEN: '0.0.0.0:9145',
      PROXY_HTTP3: 'false',
      PROXY_CERTIFICATE_ID: '',
    });
    expect(p).toMatchObject({ network_mode: 'host', restart: 'always', stop_signal: 'SIGQUIT', logging: { driver: 'local', options: { 'max-size': '10m' } } });
    const cloud = parseYaml(metadata('proxy', 'user-data')) as { bootcmd: string[][] };
    expect(cloud.bootcmd).toEqual([['sysctl', '-w', 'net.ipv4.ip_unprivileged_port_start=80']]);
  });

  it('the database VM: PostgreSQL by digest on the data disk, the password from a tmpfs file a per-boot script fills', () => {
    const c = compose('postgres_vm');
    expect(Object.keys(c.services)).toEqual(['postgres']);
    const pg = c.services.postgres!;
    expect(pg.image).toMatch(/^docker\.io\/library\/postgres:16-alpine@sha256:[0-9a-f]{64}$/);
    expect(pg.environment).toEqual({ POSTGRES_DB: 'shs', POSTGRES_USER: 'shs', POSTGRES_PASSWORD_FILE: '/run/secrets/shs/db_password', PGDATA: '/var/lib/postgresql/data/pgdata' });
    expect(pg.volumes).toEqual(['/mnt/pgdata:/var/lib/postgresql/data', '/run/shs:/run/secrets/shs:ro']);
    const template = (groups.postgres_vm!.values.instance_template as { secondary_disk: { device_name: string }[] }[])[0]!;
    expect(c['x-yc-disks']).toEqual([{ device_name: template.secondary_disk[0]!.device_name, fs_type: 'ext4', host_path: '/mnt/pgdata' }]);

    const userData = metadata('postgres_vm', 'user-data');
    expect(userData.startsWith('#cloud-config\n')).toBe(true);
    const cloud = parseYaml(userData) as { write_files: { path: string; permissions: string; content: string }[] };
    const script = cloud.write_files.find((f) => f.path === '/var/lib/cloud/scripts/per-boot/10-shs-db-password');
    expect(script?.permissions).toBe('0700');
    const secretId = state.values.outputs.database_secret_id?.value as string;
    expect(script!.content).toContain(`SECRET_ID = "${secretId}"`);
    // The script is real Python that compiles (cloud-init's own interpreter runs it on the VM).
    const file = join(dir, 'db-password.py');
    writeFileSync(file, script!.content);
    const compiled = spawnSync('python3', ['-m', 'py_compile', file], { encoding: 'utf8' });
    expect(compiled.status, compiled.stderr).toBe(0);
  });

  it('a new image digest is one in-place update of the app group, nothing else', () => {
    const next = tofu(dir, ['plan', '-input=false', '-detailed-exitcode', '-out=next', ...WORKFLOW_VARS, '-var', `image=cr.yandex/crp0test/shs@sha256:${'c'.repeat(64)}`]);
    expect(next.status, next.stderr).toBe(2);
    const changes = (JSON.parse(tofu(dir, ['show', '-json', 'next']).stdout) as typeof plan).resource_changes.filter((c) => !c.change.actions.every((a) => a === 'no-op' || a === 'read'));
    expect(changes.map((c) => `${c.address} ${c.change.actions.join(',')}`)).toEqual(['module.app.yandex_compute_instance_group.app update']);
  });

  it('refuses to destroy the database\'s data disk', () => {
    const r = tofu(dir, ['plan', '-destroy', '-input=false', ...WORKFLOW_VARS]);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/Instance cannot be destroyed[\s\S]*module\.postgres_vm\[0\]\.yandex_compute_disk\.data/);
  });
});

/** Files under a directory of the repository's monitoring/, path relative to it => content. */
function repoFiles(dir: string, keep: (name: string) => boolean): Record<string, string> {
  const base = join(MONITORING, dir);
  const names = (readdirSync(base, { recursive: true }) as string[]).filter((n) => statSync(join(base, n)).isFile() && keep(n));
  return Object.fromEntries(names.map((n) => [n.split('\\').join('/'), readFileSync(join(base, n), 'utf8')]));
}

type WriteFile = { path: string; permissions: string; owner: string; content: string; encoding?: string };

describe('the monitoring node (monitoring = true) against the fake cloud', () => {
  let dir = '';
  let plan: { resource_changes: { address: string; type: string; mode: string; change: { actions: string[] } }[] };
  let state: { values: { root_module: Parameters<typeof resourcesOf>[0]; outputs: Record<string, { value: unknown; sensitive: boolean }> } };
  let resources: ReturnType<typeof resourcesOf> = [];
  const byAddress = (address: string) => resources.find((r) => r.address === address)!;
  const metadata = (address: string) => (byAddress(address).values.instance_template as { metadata: Record<string, string> }[])[0]!.metadata;
  const MON = 'module.monitoring[0].yandex_compute_instance_group.monitoring';
  const DB = 'module.postgres_vm[0].yandex_compute_instance_group.db';
  const GRAFANA_SECRET = 'module.monitoring[0].module.grafana_secret.yandex_lockbox_secret.this';
  const FILES_KEY = 'shs-monitoring-files';
  const HASH_KEY = 'shs-monitoring-files-sha256';
  /** The monitoring node's cloud-init user-data. */
  const cloudInit = () => parseYaml(metadata(MON)['user-data']!) as { write_files: WriteFile[]; bootcmd: string[][] };
  /** What cloud-init's write_files writes (once, on an instance's first boot), decoded. */
  const written = () =>
    Object.fromEntries(cloudInit().write_files.map((f) => [f.path, { ...f, text: f.encoding === 'gz+b64' ? gunzipSync(Buffer.from(f.content, 'base64')).toString('utf8') : f.content }]));
  /** The JSON document of the files the node's metadata carries (shs-monitoring-files, gzip+base64). */
  const filesJson = (md: Record<string, string> = metadata(MON)) => gunzipSync(Buffer.from(md[FILES_KEY]!, 'base64'));
  /** Those files, path under /etc/shs-monitoring => content: what the boot command writes at every boot. */
  const delivered = (md?: Record<string, string>) => JSON.parse(filesJson(md).toString('utf8')) as Record<string, string>;
  /** The boot command that writes them: python3 -c <script>. */
  const bootScript = () => {
    const commands = cloudInit().bootcmd.filter((c) => c[0] === 'python3' && c[1] === '-c');
    expect(commands).toHaveLength(1);
    return commands[0]![2]!;
  };

  beforeAll(() => {
    dir = scratchCopy();
    useLocalBackend(dir);
    init(dir);
    const p = tofu(dir, ['plan', '-input=false', '-out=tfplan', ...WORKFLOW_VARS, ...MONITORING_VARS]);
    if (p.status !== 0) throw new Error(`plan failed:\n${p.stderr}`);
    plan = JSON.parse(tofu(dir, ['show', '-json', 'tfplan']).stdout) as typeof plan;
    const a = tofu(dir, ['apply', '-input=false', 'tfplan']);
    if (a.status !== 0) throw new Error(`apply failed:\n${a.stderr}`);
    state = JSON.parse(tofu(dir, ['show', '-json']).stdout) as typeof state;
    resources = resourcesOf(state.values.root_module);
  }, 180_000);

  it('adds the node, Grafana\'s password secret readable by the node\'s account alone, and its security group', () => {
    const added = plan.resource_changes.filter((c) => c.mode === 'managed' && c.change.actions.join() === 'create').map((c) => c.address);
    expect(added).toEqual(
      expect.arrayContaining([MON, GRAFANA_SECRET, 'module.monitoring[0].module.grafana_secret.yandex_lockbox_secret_iam_member.reader["monitoring"]', 'module.security.yandex_vpc_security_group.monitoring[0]']),
    );
    expect(added).toHaveLength(17 + 4);
    const secret = byAddress(GRAFANA_SECRET).values;
    expect(secret.password_payload_specification).toEqual([expect.objectContaining({ password_key: 'password' })]);
    const readers = resources.filter((r) => r.type === 'yandex_lockbox_secret_iam_member' && r.values.secret_id === secret.id);
    expect(readers.map((r) => r.values.role)).toEqual(['lockbox.payloadViewer']);
    const monitoringAccount = (byAddress(MON).values.instance_template as { service_account_id: string }[])[0]!.service_account_id;
    expect(readers[0]!.values.member).toBe(`serviceAccount:${monitoringAccount}`);
    // The database's secret is another one, which the monitoring account may not read.
    expect(secret.id).not.toBe(state.values.outputs.database_secret_id?.value);
    const dbReaders = resources.filter((r) => r.type === 'yandex_lockbox_secret_iam_member' && r.values.secret_id === state.values.outputs.database_secret_id?.value);
    expect(dbReaders.map((r) => r.values.member)).not.toContain(`serviceAccount:${monitoringAccount}`);
    expect(state.values.outputs.grafana_admin_secret_id?.value).toBe(secret.id);
    expect(Object.keys(state.values.outputs.instance_group_ids?.value as object).sort()).toEqual(['app', 'db', 'monitoring', 'proxy']);
  });

  it('holds no secret: no password in the plan, the state, the outputs or the metadata', () => {
    expect(secretsIn(plan, state)).toEqual([]);
    expect(Object.values(state.values.outputs).every((v) => !v.sensitive)).toBe(true);
    const compose = parseYaml(metadata(MON)['docker-compose']!) as Compose;
    expect(Object.keys(compose.services.grafana!.environment!).filter((k) => /PASSWORD/.test(k))).toEqual(['GF_SECURITY_ADMIN_PASSWORD__FILE']);
    expect(JSON.stringify(metadata(MON))).not.toMatch(/FAKE-SENSITIVE/);
  });

  it('Prometheus: the rules\' five job names, a tier on every target, the rule files, Alertmanager only when given', () => {
    const config = parseYaml(delivered()['prometheus/prometheus.yml']!) as {
      rule_files: string[];
      scrape_configs: { job_name: string; static_configs: { targets: string[]; labels: { tier: string } }[] }[];
      alerting?: unknown;
    };
    expect(config.rule_files).toEqual(['/etc/prometheus/rules/*.yml']);
    expect(config.alerting).toBeUndefined();
    const jobs = Object.fromEntries(config.scrape_configs.map((j) => [j.job_name, j.static_configs.flatMap((sc) => sc.targets.map((t) => `${sc.labels.tier} ${t}`))]));
    expect(jobs).toEqual({
      shs: ['app 10.128.1.10:8080', 'app 10.128.1.11:8080'],
      proxy: ['proxy 10.128.1.60:9145', 'proxy 10.128.1.61:9145'],
      node: ['monitoring 127.0.0.1:9100', 'db 10.128.1.5:9100'],
      postgres: ['db 10.128.1.5:9187'],
      prometheus: ['monitoring 127.0.0.1:9090'],
    });
    const compose = parseYaml(metadata(MON)['docker-compose']!) as Compose;
    expect(compose.services.prometheus!.volumes).toContain('/etc/shs-monitoring/prometheus:/etc/prometheus:ro');
    expect(compose.services.prometheus!.command).toContain('--config.file=/etc/prometheus/prometheus.yml');
  });

  it('every file of monitoring/ (rules, dashboards, Grafana provisioning) is in the node\'s metadata exactly, with its hash', () => {
    const expected: Record<string, string> = {
      ...Object.fromEntries(Object.entries(repoFiles('prometheus/rules', (n) => n.endsWith('.yml'))).map(([n, c]) => [`prometheus/rules/${n}`, c])),
      ...Object.fromEntries(Object.entries(repoFiles('grafana/dashboards', (n) => n.endsWith('.json'))).map(([n, c]) => [`grafana/dashboards/${n}`, c])),
      ...Object.fromEntries(Object.entries(repoFiles('grafana/provisioning', () => true)).map(([n, c]) => [`grafana/provisioning/${n}`, c])),
    };
    expect(Object.keys(expected)).toEqual(expect.arrayContaining(['grafana/dashboards/shs.json', 'prometheus/rules/slo.rules.yml', 'grafana/provisioning/datasources/prometheus.yml']));
    const files = delivered();
    expect(Object.keys(files).filter((p) => p !== 'prometheus/prometheus.yml').sort()).toEqual(Object.keys(expected).sort());
    for (const [path, content] of Object.entries(expected)) expect(files[path], path).toBe(content);
    expect(metadata(MON)[HASH_KEY]).toBe(createHash('sha256').update(filesJson()).digest('hex'));
    // None through write_files, which cloud-init runs on an instance's first boot only.
    expect(Object.keys(written()).filter((p) => p.startsWith('/etc/shs-monitoring'))).toEqual([]);
    const compose = parseYaml(metadata(MON)['docker-compose']!) as Compose;
    expect(compose.services.grafana!.volumes).toEqual(
      expect.arrayContaining(['/etc/shs-monitoring/grafana/provisioning:/etc/grafana/provisioning:ro', '/etc/shs-monitoring/grafana/dashboards:/etc/grafana/dashboards:ro']),
    );
    expect(compose.services.prometheus!.volumes).toContain('/var/lib/shs-monitoring/prometheus:/prometheus');
    const size = Object.entries(metadata(MON)).reduce((n, [k, v]) => n + k.length + Buffer.byteLength(v), 0);
    expect(size).toBeLessThan(256 * 1024);
  });

  it('the boot command writes those files from the metadata service (a fake one on 127.0.0.1), and only files that match the hash', async () => {
    const script = bootScript();
    expect(cloudInit().bootcmd.map((c) => c[0])).toEqual(['mkdir', 'chown', 'python3']);
    const file = join(dir, 'monitoring-files.py');
    writeFileSync(file, script);
    const compiled = spawnSync('python3', ['-m', 'py_compile', file], { encoding: 'utf8' });
    expect(compiled.status, compiled.stderr).toBe(0);

    // The metadata service as the VM sees it: the node's own metadata, only with Metadata-Flavor: Google.
    const PREFIX = '/computeMetadata/v1/instance/attributes/';
    let served: Record<string, string> = { ...metadata(MON) };
    const asked: string[] = [];
    const server = createServer((req, res) => {
      asked.push(`${req.headers['metadata-flavor'] ?? '-'} ${req.url}`);
      const key = req.url?.startsWith(PREFIX) ? decodeURIComponent(req.url.slice(PREFIX.length)) : undefined;
      if (req.headers['metadata-flavor'] !== 'Google') res.writeHead(403).end();
      else if (key === undefined || !(key in served)) res.writeHead(404).end();
      else res.writeHead(200, { 'content-type': 'application/text' }).end(served[key]);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const target = join(mkdtempSync(join(tmpdir(), 'shs-monitoring-')), 'etc-shs-monitoring');
    const run = () =>
      new Promise<{ status: number | null; stderr: string }>((resolve) => {
        const child = spawn('python3', ['-c', script], {
          env: {
            PATH: process.env.PATH ?? '',
            METADATA_FILES_ATTRIBUTES_URL: `http://127.0.0.1:${(server.address() as AddressInfo).port}${PREFIX}`,
            METADATA_FILES_DIR: target,
            METADATA_FILES_ATTEMPTS: '2',
          },
        });
        let stderr = '';
        child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        child.on('close', (status) => resolve({ status, stderr }));
      });
    const onDisk = () =>
      (readdirSync(target, { recursive: true }) as string[]).filter((n) => statSync(join(target, n)).isFile()).map((n) => n.split('\\').join('/')).sort();
    try {
      // A file of an earlier boot that monitoring/ no longer has (a rule file removed): it must go.
      mkdirSync(join(target, 'prometheus', 'rules'), { recursive: true });
      writeFileSync(join(target, 'prometheus', 'rules', 'removed.rules.yml'), 'groups: []\n');
      const ok = await run();
      expect(ok.status, ok.stderr).toBe(0);
      const files = delivered();
      expect(onDisk()).toEqual([...Object.keys(files), '.applied-sha256'].sort());
      for (const [path, content] of Object.entries(files)) {
        expect(readFileSync(join(target, path), 'utf8'), path).toBe(content);
        expect(statSync(join(target, path)).mode & 0o777, path).toBe(0o644);
      }
      expect(readFileSync(join(target, '.applied-sha256'), 'utf8')).toBe(`${served[HASH_KEY]}\n`);
      expect(asked).toEqual([`Google ${PREFIX}${FILES_KEY}`, `Google ${PREFIX}${HASH_KEY}`]);
      expect(ok.stderr).toContain(`wrote ${Object.keys(files).length} files to ${target} (sha256 ${served[HASH_KEY]}), removed 1`);

      // Files that do not match the hash (a value cut short, or changed between the two reads): nothing written.
      writeFileSync(join(target, 'prometheus', 'prometheus.yml'), 'before\n');
      served = { ...served, [HASH_KEY]: '0'.repeat(64) };
      const mismatch = await run();
      expect(mismatch.status).not.toBe(0);
      expect(mismatch.stderr).toContain(`the files' SHA-256 is ${metadata(MON)[HASH_KEY]}, ${HASH_KEY} says ${'0'.repeat(64)}`);
      expect(mismatch.stderr).toContain('could not read shs-monitoring-files from the metadata service');
      expect(readFileSync(join(target, 'prometheus', 'prometheus.yml'), 'utf8')).toBe('before\n');

      // A path out of the directory is refused, even with a matching hash.
      const escaping = Buffer.from(JSON.stringify({ '../escaped': 'x', 'prometheus/prometheus.yml': 'x' }));
      served = { ...served, [FILES_KEY]: gzipSync(escaping).toString('base64'), [HASH_KEY]: createHash('sha256').update(escaping).digest('hex') };
      const escape = await run();
      expect(escape.status).not.toBe(0);
      expect(escape.stderr).toContain("has an entry that is not a relative path of plain names with text: '../escaped'");
      expect(existsSync(join(target, '..', 'escaped'))).toBe(false);
      expect(readFileSync(join(target, 'prometheus', 'prometheus.yml'), 'utf8')).toBe('before\n');

      // No such key in the metadata: refused at once, the files as they were.
      const { [FILES_KEY]: _gone, ...without } = served;
      served = without;
      const missing = await run();
      expect(missing.status).not.toBe(0);
      expect(missing.stderr).toContain("the instance's metadata has no key shs-monitoring-files; the files in");
    } finally {
      server.close();
      rmSync(join(target, '..'), { recursive: true, force: true });
    }
  }, 60_000);

  it('Grafana: a login, no anonymous access, the password from a tmpfs file a per-boot script fills from Lockbox', () => {
    const compose = parseYaml(metadata(MON)['docker-compose']!) as Compose;
    const g = compose.services.grafana!;
    expect(g.image).toMatch(/^docker\.io\/grafana\/grafana:[^@]+@sha256:[0-9a-f]{64}$/);
    expect(g.environment).toMatchObject({
      GF_SECURITY_ADMIN_PASSWORD__FILE: '/run/secrets/grafana/admin_password',
      GF_AUTH_ANONYMOUS_ENABLED: 'false',
      GF_AUTH_DISABLE_LOGIN_FORM: 'false',
    });
    expect(g.volumes).toContain('/run/shs-grafana:/run/secrets/grafana:ro');
    for (const s of Object.values(compose.services)) expect(s.image).toMatch(/@sha256:[0-9a-f]{64}$/);
    const script = written()['/var/lib/cloud/scripts/per-boot/10-shs-grafana-password']!;
    expect(script.permissions).toBe('0700');
    expect(script.text).toContain(`SECRET_ID = "${byAddress(GRAFANA_SECRET).values.id as string}"`);
    expect(script.text).toContain('DIR = "/run/shs-grafana"');
    const file = join(dir, 'grafana-password.py');
    writeFileSync(file, script.text);
    const compiled = spawnSync('python3', ['-m', 'py_compile', file], { encoding: 'utf8' });
    expect(compiled.status, compiled.stderr).toBe(0);
  });

  it('without the node, terraform/ does not need monitoring/ at all', () => {
    const other = scratchCopy();
    rmSync(join(other, '..', 'monitoring'), { recursive: true });
    useLocalBackend(other);
    init(other);
    const r = tofu(other, ['plan', '-input=false', ...WORKFLOW_VARS]);
    expect(r.status, r.stderr).toBe(0);
    const m = tofu(other, ['plan', '-input=false', ...WORKFLOW_VARS, ...MONITORING_VARS]);
    expect(m.status).not.toBe(0);
    expect(flat(m.stderr)).toContain('The monitoring node has no Prometheus rule files and no Grafana dashboards and no Grafana provisioning');
    expect(flat(m.stderr)).toContain('(is monitoring/ there?)');
  });

  it('the database VM: node-exporter and postgres_exporter by digest, the same password file, reachable from the monitoring tier only', () => {
    const c = parseYaml(metadata(DB)['docker-compose']!) as Compose;
    expect(Object.keys(c.services)).toEqual(['postgres', 'node-exporter', 'postgres-exporter']);
    expect(c.services['node-exporter']).toMatchObject({ network_mode: 'host', restart: 'always', command: ['--path.rootfs=/host', '--web.listen-address=:9100'], volumes: ['/:/host:ro,rslave'] });
    expect(c.services['postgres-exporter']).toMatchObject({
      user: '70:70',
      environment: { DATA_SOURCE_URI: '127.0.0.1:5432/shs?sslmode=disable', DATA_SOURCE_USER: 'shs', DATA_SOURCE_PASS_FILE: '/run/secrets/shs/db_password' },
      volumes: ['/run/shs:/run/secrets/shs:ro'],
    });
    expect(c.services['node-exporter']!.image).toMatch(/^docker\.io\/prom\/node-exporter:[^@]+@sha256:[0-9a-f]{64}$/);
    expect(c.services['postgres-exporter']!.image).toMatch(/^quay\.io\/prometheuscommunity\/postgres-exporter:[^@]+@sha256:[0-9a-f]{64}$/);
    const sg = (name: string) => byAddress(`module.security.yandex_vpc_security_group.${name}`).values as { id: string; ingress: { port: number; security_group_id: string; v4_cidr_blocks: string[] | null }[] };
    const monitoringSg = sg('monitoring[0]').id;
    const metricsRules = sg('db').ingress.filter((r) => r.port === 9100 || r.port === 9187);
    expect(metricsRules.map((r) => r.port).sort()).toEqual([9100, 9187]);
    for (const r of metricsRules) {
      expect(r.security_group_id).toBe(monitoringSg);
      expect(r.v4_cidr_blocks ?? []).toEqual([]);
    }
  });
  it('a changed file of monitoring/ is one in-place update of the monitoring group: its files and their hash in the metadata', () => {
    const rules = join(dir, '..', 'monitoring', 'prometheus', 'rules', 'shs.rules.yml');
    const before = readFileSync(rules, 'utf8');
    writeFileSync(rules, `${before}# one more line\n`);
    try {
      const next = tofu(dir, ['plan', '-input=false', '-detailed-exitcode', '-out=next-monitoring', ...WORKFLOW_VARS, ...MONITORING_VARS]);
      expect(next.status, next.stderr).toBe(2);
      const shown = JSON.parse(tofu(dir, ['show', '-json', 'next-monitoring']).stdout) as { resource_changes: { address: string; change: { actions: string[]; before: Record<string, unknown>; after: Record<string, unknown> } }[] };
      const changes = shown.resource_changes.filter((c) => !c.change.actions.every((a) => a === 'no-op' || a === 'read'));
      expect(changes.map((c) => `${c.address} ${c.change.actions.join(',')}`)).toEqual([`${MON} update`]);
      const md = (v: Record<string, unknown>) => (v.instance_template as { metadata: Record<string, string> }[])[0]!.metadata;
      const [was, will] = [md(changes[0]!.change.before), md(changes[0]!.change.after)];
      // Only the files and their hash change: the user-data (the boot command) and the compose spec stay.
      expect(Object.keys(will).filter((k) => will[k] !== was[k]).sort()).toEqual([FILES_KEY, HASH_KEY]);
      expect(delivered(will)['prometheus/rules/shs.rules.yml']).toBe(`${before}# one more line\n`);
      expect(will[HASH_KEY]).toBe(createHash('sha256').update(filesJson(will)).digest('hex'));
    } finally {
      writeFileSync(rules, before);
    }
  });
});

describe('the deploy action on the real root module', () => {
  const servers: Server[] = [];
  afterAll(async () => {
    for (const s of servers) await new Promise((r) => s.close(r));
  });

  it('pipeline deploy --plan-only: init, a saved plan, the summary of every resource', async () => {
    const dir = scratchCopy();
    useLocalBackend(dir);
    const args = ['deploy', '--target', 'yandex', '--plan-only', '--dir', dir, '--tool-binary', opentofuBinary(), '--image', IMAGE, '--var', 'environment=production', '--var', `proxy_image=${PROXY_IMAGE}`, '--var-file', 'production.tfvars', '--plan-out', join(dir, 'out', 'tfplan'), '--json'];
    const r = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, [join(ROOT, 'bin', 'pipeline.mjs'), ...args], { cwd: dir, env: tofuEnv(dir), stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as { plan: { add: number; resources: { address: string }[] }; planOnly: boolean; changed: boolean; planFile: string; applied: boolean };
    expect(report).toMatchObject({ planOnly: true, changed: true, applied: false, planFile: join(dir, 'out', 'tfplan') });
    expect(report.plan.add).toBe(17);
    expect(report.plan.resources.map((x) => x.address)).toContain('module.postgres_vm[0].yandex_compute_disk.data');
    expect(r.stderr).toMatch(/== Init[\s\S]*== Plan/);
  });

  it('the deploy core: plan, apply of that plan, the outputs of the contract, and the rollout of all three groups', async () => {
    const dir = scratchCopy();
    useLocalBackend(dir);
    const polled = new Set<string>();
    const server = createServer((req, res) => {
      res.setHeader('content-type', 'application/json');
      const m = /^\/instanceGroups\/([^/?]+)(\/instances)?/.exec(req.url ?? '');
      if (!m || req.headers.authorization !== 'Bearer iam-token-x') {
        res.statusCode = 404;
        return res.end('{}');
      }
      polled.add(m[1]!);
      if (m[2]) return res.end(JSON.stringify({ instances: [{ id: `${m[1]}-i1`, name: `${m[1]}-1`, status: 'RUNNING_ACTUAL' }] }));
      res.end(JSON.stringify({ id: m[1], name: m[1], status: 'ACTIVE', managedInstancesState: { targetSize: '1', runningActualCount: '1' } }));
    });
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const report = await deployCloud(
      {
        image: IMAGE,
        workingDirectory: dir,
        tool: { tool: 'tofu', version: '1.10.6', binary: opentofuBinary(), cache: new DirectoryToolCache(join(dir, 'cache')) },
        backendConfig: [],
        variables: { environment: 'production', proxy_image: PROXY_IMAGE },
        varFiles: ['production.tfvars'],
        lockTimeout: '10s',
        planOnly: false,
        env: { TF_CLI_CONFIG_FILE: tofuEnv(dir).TF_CLI_CONFIG_FILE! },
        token: async () => 'iam-token-x',
        computeApi: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        rolloutTimeoutMs: 30_000,
        rolloutIntervalMs: 50,
        log: () => {},
        phase: (_n, fn) => fn(),
      },
      emptyReport('yandex', IMAGE),
    );
    expect(report.applied).toBe(true);
    expect(report.plan).toMatchObject({ add: 17, change: 0, destroy: 0, replace: 0 });
    expect(report.url).toMatch(/^http:\/\/\d+\.\d+\.\d+\.\d+$/);
    expect(report.httpsUrl).toBe('');
    expect(Object.keys(report.groupIds).sort()).toEqual(['app', 'db', 'proxy']);
    expect(report.folderId).not.toBe('');
    expect([...polled].sort()).toEqual(Object.values(report.groupIds).sort());
    expect(report.rollout.map((g) => g.done)).toEqual([true, true, true]);
  }, 120_000);
});
