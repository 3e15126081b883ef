import { describe, expect, it } from 'vitest';
import { checkImageReference, groupIdsFrom, planChanges, plannedImage } from './deploy.js';
import { backendSecrets, keyValues, parseDuration, parseInputs } from './inputs.js';
import { DEFAULT_VERSIONS, PINNED_SHA256, parseSha256Sums, toolRelease } from './install.js';
import { planTable, summarizePlan } from './plan-summary.js';
import { renderSummary } from './summary.js';
import { emptyReport } from './deploy.js';
import { lastError, parseLockInfo } from './terraform.js';

const digest = `sha256:${'a'.repeat(64)}`;
const inputs = (values: Record<string, string>) => parseInputs((n) => values[n] ?? '');

describe('inputs', () => {
  it('defaults: yandex target, tofu 1.10.6, terraform/, 5m lock, 20m rollout', () => {
    const i = inputs({ image: `cr.yandex/r/shs@${digest}` });
    expect(i).toMatchObject({ target: 'yandex', tool: 'tofu', toolVersion: '1.10.6', workingDirectory: 'terraform', lockTimeout: '5m', rolloutTimeoutMs: 1_200_000, planOnly: false, localHttpPort: 18080 });
    expect(inputs({ image: 'x', tool: 'terraform' }).toolVersion).toBe('1.11.4');
  });

  it('refuses bad values, naming the input', () => {
    expect(() => inputs({})).toThrow(/^image: required/);
    expect(() => inputs({ image: 'x', target: 'aws' })).toThrow(/^target:/);
    expect(() => inputs({ image: 'x', tool: 'pulumi' })).toThrow(/^tool:/);
    expect(() => inputs({ image: 'x', 'lock-timeout': '5 minutes' })).toThrow(/^lock-timeout:/);
    expect(() => inputs({ image: 'x', 'plan-only': 'yes' })).toThrow(/^plan-only:/);
    expect(() => inputs({ image: 'x', variables: 'not a pair' })).toThrow(/^variables:/);
    expect(() => inputs({ image: 'x', variables: 'image=y' })).toThrow(/image input/);
    expect(() => inputs({ image: 'x', 'tool-download-url': 'ftp://m' })).toThrow(/^tool-download-url:/);
    expect(() => inputs({ image: 'x', 'tool-download-url': 'http://mirror.example/tofu' })).toThrow(/^tool-download-url: expected an https URL/);
    expect(() => inputs({ target: 'local', 'local-instances': '0' })).toThrow(/^local-instances:/);
  });

  it('a saved plan: plan-out only with plan-only, apply-plan only alone and for yandex, where it stands in for the image', () => {
    expect(inputs({ image: 'x', 'plan-only': 'true', 'plan-out': 'tfplan', lock: 'false' })).toMatchObject({ planOut: 'tfplan', lock: false });
    expect(inputs({ 'apply-plan': 'tfplan' })).toMatchObject({ applyPlan: 'tfplan', image: '', lock: true, comment: false });
    expect(() => inputs({ image: 'x', 'plan-out': 'tfplan' })).toThrow(/^plan-out: needs plan-only/);
    expect(() => inputs({ 'apply-plan': 'tfplan', 'plan-only': 'true' })).toThrow(/^apply-plan: cannot be combined/);
    expect(() => inputs({ target: 'local', 'apply-plan': 'tfplan' })).toThrow(/^apply-plan: only for the yandex target/);
    expect(() => inputs({ image: 'x', lock: 'no' })).toThrow(/^lock:/);
    expect(() => inputs({ image: 'x', comment: 'maybe' })).toThrow(/^comment:/);
  });

  it('the local target needs no image; key=value lists and durations parse', () => {
    expect(inputs({ target: 'local' }).image).toBe('');
    expect(keyValues('v', 'a = 1\n# note\n\nb=x=y')).toEqual({ a: '1', b: 'x=y' });
    expect(parseDuration('d', '1h30m')).toBe(5_400_000);
    expect(backendSecrets(['bucket=b', 'secret_key=S3CR3T', 'access_key=AK', 'backend.hcl'])).toEqual(['S3CR3T', 'AK']);
  });
});

describe('image references and outputs', () => {
  it('only a digest reference is deployable', () => {
    expect(checkImageReference(`cr.yandex/crp1/shs@${digest}`)).toBe(digest);
    for (const bad of ['cr.yandex/crp1/shs:latest', digest, `shs@${digest}`, `cr.yandex/crp1/shs@sha256:abc`]) expect(() => checkImageReference(bad)).toThrow(/by digest/);
  });

  it('a saved plan\'s image and whether it changes anything', () => {
    const plan = { variables: { image: { value: `cr.yandex/r/shs@${digest}` } }, output_changes: { url: { actions: ['no-op'] } } };
    expect(plannedImage(plan)).toBe(`cr.yandex/r/shs@${digest}`);
    expect(plannedImage({ variables: {} })).toBe('');
    expect(planChanges(plan, summarizePlan(plan))).toBe(false);
    expect(planChanges({ output_changes: { url: { actions: ['update'] } } }, summarizePlan({}))).toBe(true);
    const resources = { resource_changes: [{ address: 'a.b', change: { actions: ['create'] } }] };
    expect(planChanges(resources, summarizePlan(resources))).toBe(true);
  });

  it('group ids from a map or a list output', () => {
    expect(groupIdsFrom({ instance_group_ids: { value: { app: 'a1', proxy: 'p1' } } })).toEqual({ app: 'a1', proxy: 'p1' });
    expect(groupIdsFrom({ instance_group_ids: { value: ['a1'] } })).toEqual({ 'group-1': 'a1' });
    expect(groupIdsFrom({})).toEqual({});
  });
});

describe('releases', () => {
  it('vendor layouts, a mirror base, platform names', () => {
    expect(toolRelease('tofu', '1.10.6', undefined, 'linux', 'x64')).toMatchObject({
      archiveUrl: 'https://github.com/opentofu/opentofu/releases/download/v1.10.6/tofu_1.10.6_linux_amd64.zip',
      sumsUrl: 'https://github.com/opentofu/opentofu/releases/download/v1.10.6/tofu_1.10.6_SHA256SUMS',
    });
    expect(toolRelease('terraform', '1.11.4', 'https://mirror.example/tf/', 'darwin', 'arm64')).toMatchObject({
      archiveUrl: 'https://mirror.example/tf/1.11.4/terraform_1.11.4_darwin_arm64.zip',
      binaryName: 'terraform',
    });
    expect(toolRelease('tofu', '1.10.6', undefined, 'win32', 'x64').binaryName).toBe('tofu.exe');
    expect(() => toolRelease('tofu', 'latest')).toThrow(/version/);
    expect(() => toolRelease('tofu', '1.10.6', undefined, 'aix', 'ppc64')).toThrow(/no tofu release/);
  });

  it('the default versions are pinned by SHA-256 per platform; other versions are not', () => {
    const pinned = (tool: 'tofu' | 'terraform', os: string, arch: string) => toolRelease(tool, DEFAULT_VERSIONS[tool], undefined, os, arch).pinnedSha256;
    // OpenTofu's darwin archives are not pinned: their official SHA-256 could not be found (see PINNED_SHA256).
    for (const [os, arch] of [['linux', 'x64'], ['linux', 'arm64']] as const) expect(pinned('tofu', os, arch), `tofu ${os} ${arch}`).toMatch(/^[0-9a-f]{64}$/);
    for (const [os, arch] of [['linux', 'x64'], ['linux', 'arm64'], ['darwin', 'x64'], ['darwin', 'arm64']] as const) expect(pinned('terraform', os, arch), `terraform ${os} ${arch}`).toMatch(/^[0-9a-f]{64}$/);
    expect(pinned('tofu', 'linux', 'x64')).toBe('15b7bed76420b50da3e121769c43341df8cd57d751ca14e6dbe9c850124c6dac');
    expect(new Set(Object.values(PINNED_SHA256)).size).toBe(Object.keys(PINNED_SHA256).length);
    expect(toolRelease('tofu', '1.10.5', undefined, 'linux', 'x64').pinnedSha256).toBeUndefined();
    // A mirror of the default version is held to the same pins.
    expect(toolRelease('tofu', DEFAULT_VERSIONS.tofu, 'https://mirror.example/tofu', 'linux', 'x64').pinnedSha256).toBe(pinned('tofu', 'linux', 'x64'));
  });

  it('SHA256SUMS lines, with or without the binary-mode star', () => {
    const sums = parseSha256Sums(`${'A'.repeat(64)}  tofu_1_linux_amd64.zip\n${'b'.repeat(64)} *tofu_1_darwin_arm64.zip\ngarbage\n`);
    expect(sums.get('tofu_1_linux_amd64.zip')).toBe('a'.repeat(64));
    expect(sums.get('tofu_1_darwin_arm64.zip')).toBe('b'.repeat(64));
    expect(sums.size).toBe(2);
  });
});

describe('terraform output', () => {
  const locked = `
Error: Error acquiring the state lock

Error message: ConditionalCheckFailedException: The conditional request failed
Lock Info:
  ID:        8292067e-1f04-d2d4-1c9c-5696b6d68ab5
  Path:      shs-state/prod/terraform.tfstate
  Operation: OperationTypeApply
  Who:       runner@fv-az123
  Version:   1.10.6
  Created:   2026-11-23 21:17:46.351856241 +0000 UTC
  Info:
`;
  it('lock info from the error text', () => {
    expect(parseLockInfo(locked)).toEqual({
      id: '8292067e-1f04-d2d4-1c9c-5696b6d68ab5',
      path: 'shs-state/prod/terraform.tfstate',
      operation: 'OperationTypeApply',
      who: 'runner@fv-az123',
      version: '1.10.6',
      created: '2026-11-23 21:17:46.351856241 +0000 UTC',
    });
    expect(parseLockInfo('Error: Invalid value for input variable')).toBeUndefined();
  });

  it('the first diagnostic, without the box drawing', () => {
    expect(lastError('╷\n│ Error: Invalid value for input variable\n│ \n│   on main.tf line 3:\n│ The given value is not suitable.\n╵\n')).toBe('Invalid value for input variable: The given value is not suitable.');
    expect(lastError('plain failure\n')).toBe('plain failure');
  });
});

describe('plan summary', () => {
  const plan = {
    resource_changes: [
      { address: 'a.one', change: { actions: ['create'] } },
      { address: 'a.two', change: { actions: ['update'] } },
      { address: 'a.three', change: { actions: ['delete', 'create'], replace_paths: [['network_interface', 0]] } },
      { address: 'a.four', change: { actions: ['delete'] } },
      { address: 'a.five', change: { actions: ['no-op'] } },
    ],
  };
  it('counts like terraform, replacements on their own, no-ops left out', () => {
    const s = summarizePlan(plan);
    expect(s).toMatchObject({ add: 1, change: 1, destroy: 1, replace: 1 });
    expect(s.resources.map((r) => r.address)).toEqual(['a.one', 'a.two', 'a.three', 'a.four']);
    expect(planTable(s)).toContain('| `a.three` | -/+ replace | `network_interface.0` |');
    expect(planTable(summarizePlan({}))).toMatch(/No changes/);
  });

  it('the job summary tells a stale saved plan from another failed apply', () => {
    const base = { ...emptyReport('yandex', `r/x@${digest}`), failureReason: 'apply-failed' as const, planFile: '/tmp/plan/tfplan' };
    const stale = renderSummary({ ...base, error: 'apply failed: Saved plan is stale: The given plan file can no longer be applied' });
    expect(stale).toContain('Run the whole workflow again');
    const other = renderSummary({ ...base, error: 'apply failed: Error creating instance group: quota exceeded' });
    expect(other).not.toContain('Run the whole workflow again');
    expect(other).toContain('the plan picks up from there');
  });

  it('the job summary names a held lock and how to unlock', () => {
    const report = { ...emptyReport('yandex', `r/x@${digest}`), failureReason: 'state-locked' as const, error: 'plan: the state is locked', lockInfo: { id: 'L-1', who: 'w@h' } };
    const md = renderSummary(report);
    expect(md).toContain('failed: state-locked');
    expect(md).toContain('force-unlock');
    expect(md).toContain('| id | `L-1` |');
  });
});
