// `pipeline build-image`: a thin adapter over the build-image action's core (same code, same digests).
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { buildAndPush } from '../../../actions/build-image/src/build-and-push.js';
import { parseOutput } from '../../../actions/build-image/src/oci/layout.js';
import { parseSourceDateEpoch } from '../../../actions/build-image/src/provenance.js';
import { parseReference } from '../../../actions/build-image/src/registry/reference.js';
import type { Context } from '../context.js';

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
                      --json prints the metadata (as the action's "metadata" output).`;

export async function buildImageCommand(argv: string[], ctx: Context): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
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
    },
  });
  const usage = (fn: () => unknown, flag: string) => {
    try {
      return fn();
    } catch (err) {
      throw new ctx.UsageError(`${flag}: ${(err as Error).message.replace(/^\w[\w-]*: /, '')}`);
    }
  };
  const push = values.push.map((p) => usage(() => parseReference(p, '--push'), '--push') as ReturnType<typeof parseReference>);
  const output = values.output ? (usage(() => parseOutput(values.output!), '--output') as ReturnType<typeof parseOutput>) : undefined;
  if (!output && push.length === 0) throw new ctx.UsageError('give --output and/or --push (where should the image go?)');
  if (values['plain-http'] && (values.insecure || values['ca-file'])) throw new ctx.UsageError('--plain-http cannot be combined with --insecure or --ca-file');
  if (values['source-date-epoch']) usage(() => parseSourceDateEpoch(values['source-date-epoch']!, '--source-date-epoch'), '--source-date-epoch');
  const env = process.env;
  const username = env.PIPELINE_REGISTRY_USERNAME;
  const password = env.PIPELINE_REGISTRY_PASSWORD;
  if ((username === undefined) !== (password === undefined)) throw new ctx.UsageError('set both PIPELINE_REGISTRY_USERNAME and PIPELINE_REGISTRY_PASSWORD, or neither');
  const report = await buildAndPush({
    specFile: resolve(values.spec),
    ...(output ? { output: { ...output, path: resolve(output.path) } } : {}),
    push,
    ...(username !== undefined && password !== undefined ? { registryCredentials: { username, password } } : {}),
    yc: {
      ...(env.YC_SA_JSON_CREDENTIALS ? { saJsonCredentials: env.YC_SA_JSON_CREDENTIALS } : {}),
      ...(env.YC_IAM_TOKEN ? { iamToken: env.YC_IAM_TOKEN } : {}),
    },
    insecure: values.insecure,
    plainHttp: values['plain-http'],
    ...(values['ca-file'] ? { caFile: resolve(values['ca-file']) } : {}),
    cwd: ctx.root,
    ...(values.revision ? { revision: values.revision } : {}),
    ...(values.source ? { source: values.source } : {}),
    ...(values['source-date-epoch'] ? { sourceDateEpoch: values['source-date-epoch'] } : {}),
    ...(values['no-cache'] ? {} : { cacheDir: resolve(values['cache-dir']) }),
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
