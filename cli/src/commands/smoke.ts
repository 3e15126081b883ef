// `pipeline smoke --target URL`: the smoke and latency checks from a terminal.
import { readFileSync, writeFileSync } from 'node:fs';
import { readableFile } from '../../../actions/common/src/inputs.js';
import { parseInputs } from '../../../actions/smoke/src/inputs.js';
import { PROFILES } from '../../../actions/smoke/src/load/profile.js';
import { renderMarkdown } from '../../../actions/smoke/src/report/markdown.js';
import { checkLine, progressLine, renderText } from '../../../actions/smoke/src/report/terminal.js';
import { parseBaseline } from '../../../actions/smoke/src/result.js';
import { runSmoke } from '../../../actions/smoke/src/smoke.js';
import { asFlags, parseFlags } from '../args.js';
import type { Context } from '../context.js';

/** The action's input each flag stands for (errors name the flag). */
const FLAGS: Record<string, string> = {
  target: '--target',
  'https-url': '--https-url',
  'http-url': '--http-url',
  insecure: '--insecure',
  'ca-file': '--ca-file',
  profile: '--profile',
  thresholds: '--thresholds',
  'slo-file': '--slo',
  environment: '--environment',
  'timeout-ms': '--timeout',
};

export const SMOKE_USAGE = `  smoke --target <url> [options]
                      smoke and latency checks of a deployment against the contract's targets
      --target <url>      the API entry point (e.g. http://127.0.0.1:18080)
      --https-url <url>   HTTPS entry point, if the target is plain HTTP (checked for a valid certificate)
      --http-url <url>    plain HTTP entry point, if the target is HTTPS (must answer, not redirect)
      --insecure          accept a self-signed certificate
      --ca-file <pem>     trust this CA certificate (e.g. .state/proxy/tls/cert.pem)
      --profile <p>       load: ${Object.keys(PROFILES).join(', ')}, none, or phases like 60@30s,120@60s (default quick)
      --thresholds <file> k6-style thresholds, one per line (replaces those of --slo)
      --slo <file>        service-level objectives (format of monitoring/slo.yaml) to derive the
                          thresholds from (default: monitoring/slo.yaml)
      --baseline <file>   a previous result (JSON) to show deltas against
      --json <file>       write the result as JSON
      --markdown <file>   write the report as Markdown
      --environment <n>   a name for the report (default local)
      --timeout <ms>      per-request timeout, 100 to 120000 (default 10000)
                      the flags are validated as the smoke action's inputs are; a target that cannot be
                      reached is named first (connection refused, DNS, TLS verification)
                      exit 0 pass, 1 fail, 2 usage`;

export async function smokeCommand(argv: string[], ctx: Context): Promise<number> {
  const { values } = parseFlags(argv, {
    target: { type: 'string' },
    'https-url': { type: 'string' },
    'http-url': { type: 'string' },
    insecure: { type: 'boolean', default: false },
    'ca-file': { type: 'string' },
    profile: { type: 'string', default: 'quick' },
    thresholds: { type: 'string' },
    slo: { type: 'string' },
    baseline: { type: 'string' },
    json: { type: 'string' },
    markdown: { type: 'string' },
    environment: { type: 'string', default: 'local' },
    timeout: { type: 'string', default: '10000' },
  });
  // Files are read here (their flag named when they cannot be); everything else goes through the action's own
  // validation, so the CLI and the action accept and refuse the same values.
  const read = (flag: string, path: string) => readFileSync(asFlags({ [flag]: `--${flag}` }, () => readableFile(flag, path)), 'utf8');
  const thresholdsText = values.thresholds === undefined ? '' : read('thresholds', values.thresholds);
  const raw: Record<string, string> = {
    target: values.target ?? '',
    'https-url': values['https-url'] ?? '',
    'http-url': values['http-url'] ?? '',
    insecure: String(values.insecure),
    'ca-file': values['ca-file'] ?? '',
    profile: values.profile,
    thresholds: thresholdsText,
    'slo-file': values.slo ?? '',
    environment: values.environment,
    'timeout-ms': values.timeout,
    comment: 'false',
  };
  const inputs = asFlags(FLAGS, () => parseInputs((name) => raw[name] ?? ''));
  const baseline = values.baseline === undefined ? null : asFlags({ baseline: '--baseline' }, () => parseBaseline(read('baseline', values.baseline!), values.baseline!));
  const live = process.stderr.isTTY;
  const { phases } = inputs;
  const result = await runSmoke({
    environment: inputs.environment,
    target: inputs.target,
    httpsUrl: inputs.httpsUrl,
    httpUrl: inputs.httpUrl,
    insecure: inputs.insecure,
    caFile: inputs.caFile,
    phases,
    thresholds: inputs.thresholds,
    timeoutMs: inputs.timeoutMs,
    onPhase: (phase) => ctx.progress(phase === 'ids' ? 'sampling ids' : phase),
    onCheck: (r) => process.stderr.write(`${checkLine(r)}\n`),
    onProgress: (p) => {
      if (live) process.stderr.write(`\r${progressLine(p)}\x1b[K`);
      else if (Math.round(p.elapsed) % 5 === 0) process.stderr.write(`${progressLine(p)}\n`);
    },
  });
  if (values.json) writeFileSync(values.json, `${JSON.stringify(result, null, 2)}\n`);
  if (values.markdown) writeFileSync(values.markdown, renderMarkdown(result, { baseline, maxLength: 1 << 20 }));
  // A target it cannot reach is said first, in words (refused, DNS, TLS): no report of checks that never ran.
  if (result.failureReason?.startsWith('unreachable: ')) {
    process.stderr.write(`pipeline smoke: cannot reach ${result.failureReason.slice('unreachable: '.length)}\n`);
    return 1;
  }
  if (live && phases) process.stderr.write('\n');
  ctx.out(renderText(result));
  return result.verdict === 'pass' ? 0 : 1;
}
