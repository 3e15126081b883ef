// The action's inputs, read once and validated in code (GitHub does not enforce `required`); errors name the input.
import { parseProfile, type Phase } from './load/profile.js';
import type { SmokeOptions } from './smoke.js';
import { readFileSync } from 'node:fs';
import { parseSlo } from '../../../monitoring/src/slo.js';
import { thresholdsFromSlo } from './slo-thresholds.js';
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

/** The tests call it with a map of raw values (and a stand-in for reading the SLO file). */
export function parseInputs(get: (name: string) => string, read?: (path: string) => string): Inputs {
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
  let text: string;
  try {
    text = thresholdsText(opt('thresholds'), opt('slo-file'), read);
  } catch (err) {
    throw new InputError(`slo-file: ${(err as Error).message}`);
  }
  let thresholds: Threshold[];
  try {
    thresholds = parseThresholds(text);
  } catch (err) {
    throw new InputError(`${opt('thresholds') !== null ? 'thresholds' : 'slo-file'}: ${(err as Error).message}`);
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
