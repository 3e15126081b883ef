// The action's inputs, read once, validated in code (action.yml's `required` is not enforced by GitHub), with
// errors that name the input.
import * as core from '@actions/core';
import { parseOutput, type OutputTarget } from './oci/layout.js';
import { parseSourceDateEpoch } from './provenance.js';
import { parseReference, type ImageReference } from './registry/reference.js';
import { booleanInput, checkInput, InputError, listInput, optionalInput, readableFile, requiredInput, type InputGetter } from '../../common/src/inputs.js';

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

/** Validates raw values: the action's inputs, and `pipeline build-image`'s flags (mapped onto them). Pure. */
export function parseInputs(get: InputGetter): Inputs {
  const opt = (name: string) => optionalInput(get, name);
  const spec = requiredInput(get, 'spec', 'the image spec JSON, e.g. shs/image.json');
  const push = listInput(get('push'), { commas: true }).map((p) => checkInput('push', () => parseReference(p, 'push')));
  const outputRaw = opt('output');
  const output = outputRaw ? checkInput('output', () => parseOutput(outputRaw)) : undefined;
  if (push.length === 0 && !output) throw new InputError('push, output: give at least one (where should the image go?)');
  const registryUsername = opt('registry-username');
  const registryPassword = get('registry-password') || undefined;
  if ((registryUsername === undefined) !== (registryPassword === undefined)) throw new InputError('registry-username, registry-password: give both or neither');
  const sourceDateEpoch = opt('source-date-epoch');
  if (sourceDateEpoch) checkInput('source-date-epoch', () => parseSourceDateEpoch(sourceDateEpoch));
  const insecure = booleanInput('insecure', get('insecure'));
  const plainHttp = booleanInput('plain-http', get('plain-http'));
  const caFile = opt('ca-file');
  if (plainHttp && (insecure || caFile)) throw new InputError('plain-http: cannot be combined with insecure or ca-file (those are about TLS)');
  if (caFile) readableFile('ca-file', caFile);
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
