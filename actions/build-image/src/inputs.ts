// The action's inputs, read once, validated in code (action.yml's `required` is not enforced by GitHub), with
// errors that name the input.
import * as core from '@actions/core';
import { parseOutput, type OutputTarget } from './oci/layout.js';
import { parseSourceDateEpoch } from './provenance.js';
import { parseReference, type ImageReference } from './registry/reference.js';
import { booleanInput, InputError } from '../../common/src/inputs.js';

export { InputError };

export interface Inputs {
  spec: string;
  push: ImageReference[];
  output?: OutputTarget;
  registryUsername?: string;
  registryPassword?: string;
  ycSaJsonCredentials?: string;
  ycIamToken?: string;
  ycSaId?: string;
  insecure: boolean;
  plainHttp: boolean;
  caFile?: string;
  sourceDateEpoch?: string;
  revision?: string;
  source?: string;
  cacheDir?: string;
}

/** A list input: one item per line or comma-separated; blank items dropped. */
export function listInput(value: string): string[] {
  return value
    .split(/[\n,]/)
    .map((s) => s.trim())
    .filter(Boolean);
}

const wrap = <T>(name: string, fn: () => T): T => {
  try {
    return fn();
  } catch (err) {
    const message = (err as Error).message;
    throw new InputError(message.startsWith(`${name}:`) ? message : `${name}: ${message}`);
  }
};

/** Validates raw input values (pure: the tests call it with a map). */
export function parseInputs(get: (name: string) => string): Inputs {
  const opt = (name: string) => get(name).trim() || undefined;
  const spec = opt('spec');
  if (!spec) throw new InputError('spec: required (the image spec JSON, e.g. shs/image.json)');
  const push = listInput(get('push')).map((p) => wrap('push', () => parseReference(p, 'push')));
  const outputRaw = opt('output');
  const output = outputRaw ? wrap('output', () => parseOutput(outputRaw)) : undefined;
  if (push.length === 0 && !output) throw new InputError('push, output: give at least one (where should the image go?)');
  const registryUsername = opt('registry-username');
  const registryPassword = get('registry-password') || undefined;
  if ((registryUsername === undefined) !== (registryPassword === undefined)) throw new InputError('registry-username, registry-password: give both or neither');
  const sourceDateEpoch = opt('source-date-epoch');
  if (sourceDateEpoch) wrap('source-date-epoch', () => parseSourceDateEpoch(sourceDateEpoch));
  const insecure = booleanInput('insecure', get('insecure'));
  const plainHttp = booleanInput('plain-http', get('plain-http'));
  const caFile = opt('ca-file');
  if (plainHttp && (insecure || caFile)) throw new InputError('plain-http: cannot be combined with insecure or ca-file (those are about TLS)');
  const value = <K extends string, V>(key: K, v: V | undefined) => (v === undefined ? {} : ({ [key]: v } as Record<K, V>));
  return {
    spec,
    push,
    ...value('output', output),
    ...value('registryUsername', registryUsername),
    ...value('registryPassword', registryPassword),
    ...value('ycSaJsonCredentials', get('yc-sa-json-credentials') || undefined),
    ...value('ycIamToken', get('yc-iam-token') || undefined),
    ...value('ycSaId', opt('yc-sa-id')),
    insecure,
    plainHttp,
    ...value('caFile', caFile),
    ...value('sourceDateEpoch', sourceDateEpoch),
    ...value('revision', opt('revision')),
    ...value('source', opt('source')),
    ...value('cacheDir', opt('cache-dir')),
  };
}

/** Reads the inputs; secrets are masked before anything can print them. */
export function getInputs(): Inputs {
  for (const secret of ['registry-password', 'yc-sa-json-credentials', 'yc-iam-token']) {
    const v = core.getInput(secret);
    if (v) core.setSecret(v);
  }
  return parseInputs((name) => core.getInput(name));
}
