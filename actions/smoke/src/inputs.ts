// The action's inputs, read once and validated in code (GitHub does not enforce `required`); errors name the input.
import { parseProfile } from './load/profile.js';
import type { SmokeOptions } from './smoke.js';
import { readFileSync } from 'node:fs';
import { parseSlo } from '../../../monitoring/src/slo.js';
import { thresholdsFromSlo } from './slo-thresholds.js';
import { DEFAULT_THRESHOLDS, parseThresholds, type Threshold } from './thresholds.js';
import { booleanInput, checkInput, InputError, integerInput, optionalInput, readableFile, requiredInput, type InputGetter } from '../../common/src/inputs.js';

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

/** The thresholds text: `thresholds` as written, else the ones an `slo-file` implies, else the repository's SLO. */
export function thresholdsText(thresholds: string | null, sloFile: string | null, read: (path: string) => string = (p) => readFileSync(p, 'utf8')): string {
  if (thresholds !== null) return thresholds;
  if (sloFile === null) return DEFAULT_THRESHOLDS;
  let text: string;
  try {
    text = read(sloFile);
  } catch (err) {
    throw new Error(`cannot read ${sloFile}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return thresholdsFromSlo(parseSlo(text, sloFile));
}

/** Validates raw values: the action's inputs, and `pipeline smoke`'s flags (mapped onto them). Pure. */
export function parseInputs(get: InputGetter, read?: (path: string) => string): Inputs {
  const opt = (name: string) => optionalInput(get, name) ?? null;
  const target = requiredInput(get, 'target', 'the deployment entry point, e.g. https://shs.example.com');
  const profile = opt('profile') ?? 'original';
  const phases = checkInput('profile', () => (profile === 'none' ? null : parseProfile(profile)));
  const text = checkInput('slo-file', () => thresholdsText(opt('thresholds'), opt('slo-file'), read));
  const thresholds: Threshold[] = checkInput(opt('thresholds') !== null ? 'thresholds' : 'slo-file', () => parseThresholds(text));
  const timeout = integerInput('timeout-ms', get('timeout-ms'), 10_000, 100, 120_000);
  const environment = opt('environment') ?? 'default';
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(environment)) throw new InputError(`environment: 1-64 of letters, digits, . _ -, got "${environment}"`);
  const caFile = opt('ca-file');
  return {
    target: url('target', target),
    httpsUrl: opt('https-url') ? url('https-url', opt('https-url')!) : null,
    httpUrl: opt('http-url') ? url('http-url', opt('http-url')!) : null,
    insecure: booleanInput('insecure', get('insecure'), false),
    caFile: caFile === null ? null : readableFile('ca-file', caFile),
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
