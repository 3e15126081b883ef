// `pipeline deploy`: the deploy action's core from the command line. Flags map onto the action's inputs and
// go through the same validation, so both accept and refuse the same things.
import { DirectoryToolCache, defaultToolCacheRoot } from '../../../actions/deploy/src/directory-cache.js';
import { checkImageInput, parseInputs } from '../../../actions/deploy/src/inputs.js';
import { planTable, planTotals } from '../../../actions/deploy/src/plan-summary.js';
import { runDeploy } from '../../../actions/deploy/src/run-deploy.js';
import type { DeployReport } from '../../../actions/deploy/src/deploy.js';
import { asFlags, parseFlags } from '../args.js';
import type { Context } from '../context.js';

/** The action's input each flag (or environment variable) stands for: errors name the flag. */
const FLAGS: Record<string, string> = {
  target: '--target',
  image: '--image',
  'working-directory': '--dir',
  tool: '--tool',
  'tool-version': '--tool-version',
  'tool-binary': '--tool-binary',
  'tool-download-url': '--tool-download-url',
  'backend-config': '--backend-config',
  variables: '--var',
  'var-files': '--var-file',
  'lock-timeout': '--lock-timeout',
  'rollout-timeout': '--rollout-timeout',
  'plan-only': '--plan-only',
  'plan-out': '--plan-out',
  'apply-plan': '--apply-plan',
  lock: '--no-lock',
  'compute-api': '--compute-api',
  'local-http-port': '--port',
  'local-https-port': '--https-port',
  'local-scale': '--scale',
  'local-instances': '--instances',
  'yc-sa-json-credentials': 'YC_SA_JSON_CREDENTIALS',
  'yc-iam-token': 'YC_IAM_TOKEN',
  'cloud-id': 'YC_CLOUD_ID',
  'folder-id': 'YC_FOLDER_ID',
};

export const DEPLOY_USAGE = `  deploy [--target yandex|local] [--image <registry/repo@sha256:...>] [--dir <terraform root>]
         [--tool tofu|terraform] [--tool-version <v>] [--tool-binary <path>] [--tool-download-url <url>]
         [--backend-config <k=v|file>]... [--var <name=value>]... [--var-file <file>]...
         [--lock-timeout 5m] [--rollout-timeout 20m] [--plan-only [--plan-out <file>] [--no-lock]]
         [--apply-plan <file>] [--json]
                      deploy an image by digest: yandex (default) runs terraform/OpenTofu in --dir
                      (default terraform): init, plan, apply of that plan, then waits for the instance
                      groups to roll out. --plan-only stops after the plan (--plan-out keeps it, --no-lock
                      plans without the state lock); --apply-plan applies a kept plan instead of
                      planning (no --image needed: the plan has it). local (re)starts the local stack
                      (--port, --https-port, --scale, --instances as for up); with --image oci:<dir> (an OCI
                      layout from build-image) its SHS instances run from that image in Docker. The tool is
                      installed once (https only; the default version's archive checked against its SHA-256
                      pinned in the code, another version's against SHA256SUMS) into PIPELINE_TOOL_CACHE
                      (default ~/.cache/shs-delivery/tools). Credentials from the
                      environment: YC_SA_JSON_CREDENTIALS or YC_IAM_TOKEN, and YC_CLOUD_ID, YC_FOLDER_ID;
                      the s3 state backend's AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY. Paths are
                      relative to the current directory, but --var-file to --dir.
                      Exit 0 deployed, 1 failed (the reason is printed; --json prints the report),
                      2 usage (the flag named).`;

export async function deployCommand(argv: string[], ctx: Context): Promise<number> {
  const { values } = parseFlags(argv, {
      target: { type: 'string', default: 'yandex' },
      image: { type: 'string', default: '' },
      dir: { type: 'string', default: 'terraform' },
      tool: { type: 'string', default: '' },
      'tool-version': { type: 'string', default: '' },
      'tool-binary': { type: 'string', default: '' },
      'tool-download-url': { type: 'string', default: '' },
      'backend-config': { type: 'string', multiple: true, default: [] },
      var: { type: 'string', multiple: true, default: [] },
      'var-file': { type: 'string', multiple: true, default: [] },
      'lock-timeout': { type: 'string', default: '' },
      'rollout-timeout': { type: 'string', default: '' },
      'plan-only': { type: 'boolean', default: false },
      'plan-out': { type: 'string', default: '' },
      'apply-plan': { type: 'string', default: '' },
      'no-lock': { type: 'boolean', default: false },
      'compute-api': { type: 'string', default: '' },
      port: { type: 'string', default: '' },
      'https-port': { type: 'string', default: '' },
      scale: { type: 'string', default: '' },
      instances: { type: 'string', default: '' },
      json: { type: 'boolean', default: false },
  });
  const env = process.env;
  const raw: Record<string, string> = {
    target: values.target,
    image: values.image,
    'working-directory': values.dir,
    tool: values.tool,
    'tool-version': values['tool-version'],
    'tool-binary': values['tool-binary'],
    'tool-download-url': values['tool-download-url'],
    'backend-config': values['backend-config'].join('\n'),
    variables: values.var.join('\n'),
    'var-files': values['var-file'].join('\n'),
    'lock-timeout': values['lock-timeout'],
    'rollout-timeout': values['rollout-timeout'],
    'plan-only': String(values['plan-only']),
    'plan-out': values['plan-out'],
    'apply-plan': values['apply-plan'],
    lock: String(!values['no-lock']),
    'compute-api': values['compute-api'],
    'local-http-port': values.port,
    'local-https-port': values['https-port'],
    'local-scale': values.scale,
    'local-instances': values.instances,
    'yc-sa-json-credentials': env.YC_SA_JSON_CREDENTIALS ?? '',
    'yc-iam-token': env.YC_IAM_TOKEN ?? '',
    'cloud-id': env.YC_CLOUD_ID ?? '',
    'folder-id': env.YC_FOLDER_ID ?? '',
  };
  // The image's form first: a malformed reference is named before anything else.
  asFlags(FLAGS, () => checkImageInput({ target: values.target === 'local' ? 'local' : 'yandex', image: values.image.trim() }));
  const inputs = asFlags(FLAGS, () => parseInputs((name) => raw[name] ?? ''));
  const secrets: string[] = [];
  const redact = (line: string) => secrets.reduce((l, s) => (s ? l.split(s).join('***') : l), line);
  const report = await runDeploy(inputs, {
    workspace: process.cwd(),
    stateDir: ctx.stateDir,
    cache: new DirectoryToolCache(defaultToolCacheRoot()),
    log: (l) => ctx.progress(redact(l)),
    warn: (l) => ctx.progress(`warning: ${redact(l)}`),
    phase: (name, fn) => {
      ctx.progress(`== ${name}`);
      return fn();
    },
    mask: (s) => secrets.push(s),
  });
  ctx.out(values.json ? `${redact(JSON.stringify(report, null, 2))}\n` : redact(describe(report)));
  return report.failureReason ? 1 : 0;
}

function describe(r: DeployReport): string {
  const lines = [''];
  if (r.plan) lines.push(`plan: ${planTotals(r.plan)}`, planTable(r.plan), '');
  if (r.planFile) lines.push(`saved plan: ${r.planFile}`);
  for (const g of r.rollout) lines.push(`${g.name || g.id}: ${g.actual}/${g.targetSize} actual (${g.instances.map((i) => i.status).join(', ')})`);
  if (r.url) lines.push(`url: ${r.url}${r.httpsUrl ? `  ${r.httpsUrl}` : ''}`);
  if (r.digest) lines.push(`digest: ${r.digest}`);
  if (r.failureReason) {
    lines.push(`deploy FAILED (${r.failureReason}): ${r.error ?? ''}`);
    if (r.lockInfo) lines.push(`lock: ${JSON.stringify(r.lockInfo)}`);
  } else if (r.planOnly) lines.push(`plan OK (${r.changed ? 'changes' : 'no changes'}, ${(r.durationMs / 1000).toFixed(1)} s)`);
  else lines.push(`deploy OK (${r.applied ? 'applied' : 'no changes'}, ${(r.durationMs / 1000).toFixed(1)} s)`);
  return `${lines.join('\n')}\n`;
}
