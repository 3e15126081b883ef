// The action's inputs, read once and validated in code (GitHub does not enforce `required`); errors name the input.
import { parseProfile, type Phase } from './load/profile.js';
import type { SmokeOptions } from './smoke.js';
import { DEFAULT_THRESHOLDS, parseThresholds, type Threshold } from './thresholds.js';
import { booleanInput, InputError } from '../../common/src/inputs.js';

export { InputError };

/** What the run itself takes (see SmokeOptions), and what only the action's reporting needs. */
export interface Inputs extends Pick<SmokeOptions, 'environment' | 'target' | 'httpsUrl' | 'httpUrl' | 'insecure' | 'caFile' | 'phases' | 'thresholds' | 'timeoutMs'> {
  baseline: string | null;
  resultFile: string;
  comment: boolean;
  githubToken: string;
  commentAuthor: string;
}

function url(name: string, value: string): string {
  if (!/^https?:\/\/[^/\s]+\/?$/.test(value)) throw new InputError(`${name}: expected http(s)://host[:port], got "${value}"`);
  return value.replace(/\/$/, '');
}

/** Pure: the tests call it with a map of raw values. */
export function parseInputs(get: (name: string) => string): Inputs {
  const opt = (name: string) => get(name).trim() || null;
  const target = opt('target');
  if (!target) throw new InputError('target: required (the deployment entry point, e.g. https://shs.example.com)');
  const profile = opt('profile') ?? 'original';
  let phases: Phase[] | null;
  try {
    phases = profile === 'none' ? null : parseProfile(profile);
  } catch (err) {
    throw new InputError(`profile: ${(err as Error).message}`);
  }
  let thresholds: Threshold[];
  try {
    thresholds = parseThresholds(opt('thresholds') ?? DEFAULT_THRESHOLDS);
  } catch (err) {
    throw new InputError(`thresholds: ${(err as Error).message}`);
  }
  const timeout = Number(opt('timeout-ms') ?? '10000');
  if (!Number.isInteger(timeout) || timeout < 100 || timeout > 120_000) throw new InputError(`timeout-ms: expected an integer from 100 to 120000, got "${get('timeout-ms')}"`);
  const environment = opt('environment') ?? 'default';
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(environment)) throw new InputError(`environment: 1-64 of letters, digits, . _ -, got "${environment}"`);
  return {
    target: url('target', target),
    httpsUrl: opt('https-url') ? url('https-url', opt('https-url')!) : null,
    httpUrl: opt('http-url') ? url('http-url', opt('http-url')!) : null,
    insecure: booleanInput('insecure', get('insecure'), false),
    caFile: opt('ca-file'),
    phases,
    thresholds,
    baseline: opt('baseline'),
    resultFile: opt('result-file') ?? 'smoke-result.json',
    environment,
    comment: booleanInput('comment', get('comment'), true),
    githubToken: get('github-token'),
    commentAuthor: opt('comment-author') ?? 'github-actions[bot]',
    timeoutMs: timeout,
  };
}
