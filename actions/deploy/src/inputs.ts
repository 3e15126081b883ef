// The deploy action's inputs, read once and validated in code (action.yml's `required` is not enforced),
// with errors that name the input. parseInputs is pure: tests call it with a map.
import * as core from '@actions/core';
import { DEFAULT_TOOL, DEFAULT_VERSIONS, checkDownloadUrl, isToolName, type ToolName } from './install.js';
import { booleanInput, checkInput, InputError, integerInput, listInput, optionalInput, withAliases, type InputGetter } from '../../common/src/inputs.js';

export { InputError };

export type Target = 'yandex' | 'local';

export interface Inputs {
  target: Target;
  image: string;
  workingDirectory: string;
  tool: ToolName;
  toolVersion: string;
  toolBinary?: string;
  toolDownloadUrl?: string;
  backendConfig: string[];
  variables: Record<string, string>;
  varFiles: string[];
  lockTimeout: string;
  rolloutTimeoutMs: number;
  planOnly: boolean;
  /** With planOnly: keep the saved plan here (relative to the workspace), for an apply in a later job. */
  planOut?: string;
  /** Apply this saved plan (relative to the workspace) instead of planning: what a reviewer approved. */
  applyPlan?: string;
  /** Take the state lock while planning (false: a read-only planner; applying a stale plan is refused). */
  lock: boolean;
  /** Post the plan summary as a sticky comment on the pull request of this run. */
  comment: boolean;
  githubToken?: string;
  commentAuthor: string;
  ycSaJsonCredentials?: string;
  ycIamToken?: string;
  ycSaId?: string;
  ycCloudId?: string;
  ycFolderId?: string;
  computeApi?: string;
  localHttpPort: number;
  localHttpsPort: number;
  localScale: number;
  localInstances: number;
}

/** One item per line; blank lines and # comments dropped (values may hold commas). */
export function lineList(value: string): string[] {
  return listInput(value);
}

/** An image reference by digest: registry/repository@sha256:<64 hex>. */
export const DIGEST_REF = /^[a-z0-9.:-]+(\/[a-z0-9._-]+)+@sha256:[0-9a-f]{64}$/;

/** Input names renamed to match the yc-actions (github.com/yc-actions): new name -> the deprecated one. */
export const DEPRECATED_INPUTS: Record<string, string> = { 'folder-id': 'yc-folder-id', 'cloud-id': 'yc-cloud-id' };

/** key=value lines into a map; the key must be an identifier. */
export function keyValues(name: string, value: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of lineList(value)) {
    const m = /^([A-Za-z_][A-Za-z0-9_-]*)\s*=\s*(.*)$/.exec(line);
    if (!m) throw new InputError(`${name}: expected key=value lines, got "${line.length > 60 ? `${line.slice(0, 60)}…` : line}"`);
    out[m[1]!] = m[2]!;
  }
  return out;
}

const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000 };

/** A duration such as 90s, 5m, 1h or 1h30m, in milliseconds. */
export function parseDuration(name: string, value: string): number {
  const v = value.trim();
  if (!/^(\d+[smh])+$/.test(v)) throw new InputError(`${name}: expected a duration such as 90s, 20m or 1h30m, got "${value}"`);
  let ms = 0;
  for (const [, n, unit] of v.matchAll(/(\d+)([smh])/g)) ms += Number(n) * UNITS[unit!]!;
  if (ms <= 0) throw new InputError(`${name}: must be longer than zero`);
  return ms;
}

/**
 * Validates raw values: the action's inputs, and `pipeline deploy`'s flags (mapped onto them). Pure. The
 * deprecated names (yc-folder-id, yc-cloud-id) are read as aliases, with a warning through `warn`.
 */
export function parseInputs(raw: InputGetter, warn: (message: string) => void = () => {}): Inputs {
  const get = withAliases(raw, DEPRECATED_INPUTS, warn);
  const opt = (name: string) => optionalInput(get, name);
  const target = (opt('target') ?? 'yandex') as Target;
  if (target !== 'yandex' && target !== 'local') throw new InputError(`target: expected yandex or local, got "${target}"`);
  const image = opt('image') ?? '';
  const applyPlan = opt('apply-plan');
  const planOut = opt('plan-out');
  const planOnly = booleanInput('plan-only', get('plan-only'));
  if (target === 'yandex' && !image && !applyPlan)
    throw new InputError('image: required for the yandex target (registry/repository@sha256:..., the build-image output), unless apply-plan gives a saved plan');
  if (applyPlan && target !== 'yandex') throw new InputError('apply-plan: only for the yandex target');
  if (applyPlan && planOnly) throw new InputError('apply-plan: cannot be combined with plan-only (one job plans, another applies)');
  if (planOut && !planOnly) throw new InputError('plan-out: needs plan-only: true (the plan is kept for an apply in a later job)');
  const tool = opt('tool') ?? DEFAULT_TOOL;
  if (!isToolName(tool)) throw new InputError(`tool: expected tofu or terraform, got "${tool}"`);
  const scale = Number(opt('local-scale') ?? '0.02');
  if (!Number.isFinite(scale) || scale <= 0 || scale > 10) throw new InputError(`local-scale: expected a number in (0, 10], got "${get('local-scale')}"`);
  const lockTimeout = opt('lock-timeout') ?? '5m';
  parseDuration('lock-timeout', lockTimeout);
  const computeApi = opt('compute-api');
  if (computeApi && !/^https?:\/\//.test(computeApi)) throw new InputError(`compute-api: expected an http(s) URL, got "${computeApi}"`);
  const toolDownloadUrl = opt('tool-download-url');
  if (toolDownloadUrl) checkInput('tool-download-url', () => checkDownloadUrl(toolDownloadUrl));
  const inputs: Inputs = {
    target,
    image,
    workingDirectory: opt('working-directory') ?? 'terraform',
    tool,
    toolVersion: opt('tool-version') ?? DEFAULT_VERSIONS[tool],
    backendConfig: lineList(get('backend-config')),
    variables: keyValues('variables', get('variables')),
    varFiles: lineList(get('var-files')),
    lockTimeout,
    rolloutTimeoutMs: parseDuration('rollout-timeout', opt('rollout-timeout') ?? '20m'),
    planOnly,
    lock: booleanInput('lock', get('lock'), true),
    comment: booleanInput('comment', get('comment')),
    commentAuthor: opt('comment-author') ?? 'github-actions[bot]',
    localHttpPort: integerInput('local-http-port', get('local-http-port'), 18080, 0, 65535),
    localHttpsPort: integerInput('local-https-port', get('local-https-port'), 18443, 0, 65535),
    localScale: scale,
    localInstances: integerInput('local-instances', get('local-instances'), 2, 1, 16),
  };
  if ('image' in inputs.variables) throw new InputError('variables: "image" is set by the image input; remove it from variables');
  const optional = {
    planOut,
    applyPlan,
    githubToken: opt('github-token'),
    toolBinary: opt('tool-binary'),
    toolDownloadUrl,
    ycSaJsonCredentials: opt('yc-sa-json-credentials'),
    ycIamToken: opt('yc-iam-token'),
    ycSaId: opt('yc-sa-id'),
    ycCloudId: opt('cloud-id'),
    ycFolderId: opt('folder-id'),
    computeApi,
  };
  for (const [k, v] of Object.entries(optional)) if (v !== undefined) (inputs as unknown as Record<string, string>)[k] = v;
  return inputs;
}

/**
 * The image's form, checked up front (the CLI: before anything runs; the action leaves it to the deploy, which
 * fails with reason input): a reference by digest, or for the local target also oci:<dir>.
 */
export function checkImageInput(inputs: Pick<Inputs, 'target' | 'image'>): void {
  const { target, image } = inputs;
  if (image && !(target === 'local' && image.startsWith('oci:')) && !DIGEST_REF.test(image))
    throw new InputError(`image: must be a reference by digest, registry/repository@sha256:<64 hex digits>${target === 'local' ? ', or oci:<dir>' : ''} (got "${image}")`);
}

/** Values of backend-config entries that are credentials (to mask before anything is printed). */
export function backendSecrets(entries: string[]): string[] {
  return entries
    .map((e) => /^([^=]+)=(.*)$/.exec(e))
    .filter((m): m is RegExpExecArray => !!m && /secret|access_key|token|password/i.test(m[1]!))
    .map((m) => m[2]!)
    .filter(Boolean);
}

/** The inputs of the running action; a deprecated input name gives a warning. */
export function getInputs(): Inputs {
  return parseInputs((name) => core.getInput(name), (m) => core.warning(m));
}
