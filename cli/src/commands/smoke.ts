// `pipeline smoke --target URL`: the smoke and latency checks from a terminal.
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { parseProfile, PROFILES } from '../../../actions/smoke/src/load/profile.js';
import { renderMarkdown } from '../../../actions/smoke/src/report/markdown.js';
import { checkLine, progressLine, renderText } from '../../../actions/smoke/src/report/terminal.js';
import { parseBaseline } from '../../../actions/smoke/src/result.js';
import { runSmoke } from '../../../actions/smoke/src/smoke.js';
import { thresholdsText } from '../../../actions/smoke/src/inputs.js';
import { parseThresholds } from '../../../actions/smoke/src/thresholds.js';
import type { Context } from '../context.js';

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
      --timeout <ms>      per-request timeout (default 10000)
                      exit 0 pass, 1 fail, 2 usage`;

export async function smokeCommand(argv: string[], ctx: Context): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
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
    },
  });
  if (!values.target) throw new ctx.UsageError('--target <url> is required');
  for (const [flag, url] of [['target', values.target], ['https-url', values['https-url']], ['http-url', values['http-url']]] as const) {
    if (url !== undefined && !/^https?:\/\/[^/]+\/?$/.test(url)) throw new ctx.UsageError(`--${flag} must be http(s)://host[:port], got "${url}"`);
  }
  const timeoutMs = Number(values.timeout);
  if (!Number.isInteger(timeoutMs) || timeoutMs < 100) throw new ctx.UsageError(`--timeout must be an integer of at least 100 ms`);
  let phases;
  let thresholds;
  try {
    phases = values.profile === 'none' ? null : parseProfile(values.profile);
    thresholds = parseThresholds(thresholdsText(values.thresholds ? readFileSync(values.thresholds, 'utf8') : null, values.slo ?? null));
  } catch (err) {
    throw new ctx.UsageError((err as Error).message);
  }
  const baseline = values.baseline ? parseBaseline(readFileSync(values.baseline, 'utf8'), values.baseline) : null;
  const live = process.stderr.isTTY;
  const result = await runSmoke({
    environment: values.environment,
    target: values.target.replace(/\/$/, ''),
    httpsUrl: values['https-url']?.replace(/\/$/, '') ?? null,
    httpUrl: values['http-url']?.replace(/\/$/, '') ?? null,
    insecure: values.insecure,
    caFile: values['ca-file'] ?? null,
    phases,
    thresholds,
    timeoutMs,
    onPhase: (phase) => ctx.progress(phase === 'ids' ? 'sampling ids' : phase),
    onCheck: (r) => process.stderr.write(`${checkLine(r)}\n`),
    onProgress: (p) => {
      if (live) process.stderr.write(`\r${progressLine(p)}\x1b[K`);
      else if (Math.round(p.elapsed) % 5 === 0) process.stderr.write(`${progressLine(p)}\n`);
    },
  });
  if (live && phases) process.stderr.write('\n');
  ctx.out(renderText(result));
  if (values.json) writeFileSync(values.json, `${JSON.stringify(result, null, 2)}\n`);
  if (values.markdown) writeFileSync(values.markdown, renderMarkdown(result, { baseline, maxLength: 1 << 20 }));
  return result.verdict === 'pass' ? 0 : 1;
}
