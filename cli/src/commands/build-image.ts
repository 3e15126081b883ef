// `pipeline build-image`: a thin adapter over the build-image action's core (same code, same digests).
import { join, resolve } from 'node:path';
import { buildAndPush } from '../../../actions/build-image/src/build-and-push.js';
import { parseInputs } from '../../../actions/build-image/src/inputs.js';
import { asFlags, parseFlags } from '../args.js';
import type { Context } from '../context.js';

/** The action's input each flag (or environment variable) stands for: errors name the flag. */
const FLAGS: Record<string, string> = {
  spec: '--spec',
  push: '--push',
  output: '--output',
  insecure: '--insecure',
  'ca-file': '--ca-file',
  'plain-http': '--plain-http',
  'cache-dir': '--cache-dir',
  'source-date-epoch': '--source-date-epoch',
  revision: '--revision',
  source: '--source',
  'registry-username': 'PIPELINE_REGISTRY_USERNAME',
  'registry-password': 'PIPELINE_REGISTRY_PASSWORD',
  'yc-sa-json-credentials': 'YC_SA_JSON_CREDENTIALS',
  'yc-iam-token': 'YC_IAM_TOKEN',
};

export const BUILD_IMAGE_USAGE = `  build-image [--spec <file>] [--output oci:<dir>|oci-archive:<file>] [--push <registry/repo:tag>]...
              [--insecure] [--ca-file <pem>] [--plain-http] [--cache-dir <dir>|--no-cache]
              [--source-date-epoch <s>] [--revision <sha>] [--source <url>] [--json]
                      build the reproducible FROM-scratch image of a spec (default shs/image.json;
                      build the service first: npm run build) into an OCI layout and/or push it
                      (Docker Registry API v2, no daemon). Credentials from the environment:
                      PIPELINE_REGISTRY_USERNAME + PIPELINE_REGISTRY_PASSWORD (for the first
                      --push registry), or Yandex Cloud YC_SA_JSON_CREDENTIALS (key JSON) or
                      YC_IAM_TOKEN (pushed as user "iam" to cr.yandex only).
                      Time stamps: SOURCE_DATE_EPOCH, else the commit time of HEAD. Pinned
                      Debian packages (the spec's lock file) are cached in PIPELINE_TOOL_CACHE
                      (default ~/.cache/shs-delivery/tools).
                      --json prints the metadata (as the action's "metadata" output). The flags are
                      validated as the build-image action's inputs are.
                      Exit 0 built (and pushed), 1 failed, 2 usage (the flag named).`;

export async function buildImageCommand(argv: string[], ctx: Context): Promise<number> {
  const { values } = parseFlags(argv, {
    spec: { type: 'string', default: join(ctx.root, 'shs', 'image.json') },
    output: { type: 'string' },
    push: { type: 'string', multiple: true, default: [] },
    insecure: { type: 'boolean', default: false },
    'ca-file': { type: 'string' },
    'plain-http': { type: 'boolean', default: false },
    'cache-dir': { type: 'string', default: join(ctx.stateDir, 'build-image-cache') },
    'no-cache': { type: 'boolean', default: false },
    'source-date-epoch': { type: 'string' },
    revision: { type: 'string' },
    source: { type: 'string' },
    json: { type: 'boolean', default: false },
  });
  const env = process.env;
  // The action's own validation: the CLI and the action accept and refuse the same values.
  const raw: Record<string, string> = {
    spec: values.spec,
    push: values.push.join('\n'),
    output: values.output ?? '',
    insecure: String(values.insecure),
    'ca-file': values['ca-file'] ?? '',
    'plain-http': String(values['plain-http']),
    'cache-dir': values['no-cache'] ? '' : values['cache-dir'],
    'source-date-epoch': values['source-date-epoch'] ?? '',
    revision: values.revision ?? '',
    source: values.source ?? '',
    'registry-username': env.PIPELINE_REGISTRY_USERNAME ?? '',
    'registry-password': env.PIPELINE_REGISTRY_PASSWORD ?? '',
    'yc-sa-json-credentials': env.YC_SA_JSON_CREDENTIALS ?? '',
    'yc-iam-token': env.YC_IAM_TOKEN ?? '',
  };
  const inputs = asFlags(FLAGS, () => parseInputs((name) => raw[name] ?? ''));
  const report = await buildAndPush({
    specFile: resolve(inputs.spec),
    ...(inputs.output ? { output: { ...inputs.output, path: resolve(inputs.output.path) } } : {}),
    push: inputs.push,
    ...(inputs.registryUsername && inputs.registryPassword ? { registryCredentials: { username: inputs.registryUsername, password: inputs.registryPassword } } : {}),
    yc: {
      ...(inputs.ycSaJsonCredentials ? { saJsonCredentials: inputs.ycSaJsonCredentials } : {}),
      ...(inputs.ycIamToken ? { iamToken: inputs.ycIamToken } : {}),
    },
    insecure: inputs.insecure,
    plainHttp: inputs.plainHttp,
    ...(inputs.caFile ? { caFile: resolve(inputs.caFile) } : {}),
    cwd: ctx.root,
    ...(inputs.revision ? { revision: inputs.revision } : {}),
    ...(inputs.source ? { source: inputs.source } : {}),
    ...(inputs.sourceDateEpoch ? { sourceDateEpoch: inputs.sourceDateEpoch } : {}),
    ...(inputs.cacheDir ? { cacheDir: resolve(inputs.cacheDir) } : {}),
    mask: () => {},
    log: (m) => ctx.progress(m),
  });
  if (values.json) {
    ctx.out(`${JSON.stringify(report, null, 2)}\n`);
    return 0;
  }
  const lines = [`digest  ${report.digest}`];
  if (report.image) lines.push(`image   ${report.image}`);
  for (const t of report.tags) lines.push(`tag     ${t}`);
  if (report.output) lines.push(`output  ${report.output}`);
  lines.push(`size    ${report.size} bytes in ${report.layers.length} layers`);
  if (report.push) lines.push(`blobs   ${report.push.blobsUploaded} uploaded (${report.push.bytesUploaded} bytes), ${report.push.blobsReused} already there`);
  lines.push(`time    ${(report.timings.totalMs / 1000).toFixed(2)} s (build ${(report.timings.buildMs / 1000).toFixed(2)} s, push ${(report.timings.pushMs / 1000).toFixed(2)} s)`);
  ctx.out(`${lines.join('\n')}\n`);
  return 0;
}
