// `pipeline slo`: what a service-level objectives file implies: the Prometheus rules, the smoke thresholds.
import { readFileSync, writeFileSync } from 'node:fs';
import { thresholdsFromSlo } from '../../../actions/smoke/src/slo-thresholds.js';
import { DEFAULT_SLO_TEXT } from '../../../monitoring/src/default-slo.js';
import { generateRules } from '../../../monitoring/src/rules.js';
import { parseSlo, SloError, type Slo } from '../../../monitoring/src/slo.js';
import { parseFlags } from '../args.js';
import type { Context } from '../context.js';

export const SLO_USAGE = `  slo rules [--slo <file>] [--out <file>]
                      the Prometheus recording rules and burn-rate alerts of the objectives
                      (default: monitoring/slo.yaml; it is what monitoring/prometheus/rules/slo.rules.yml holds)
  slo thresholds [--slo <file>]
                      the smoke thresholds the objectives imply`;

/** The SLO of --slo, or the repository's; a bad file is a usage error naming it. */
export function loadSlo(file: string | undefined, ctx: Context): { slo: Slo; source: string } {
  if (file === undefined) return { slo: parseSlo(DEFAULT_SLO_TEXT, 'monitoring/slo.yaml'), source: 'monitoring/slo.yaml' };
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ctx.UsageError(`--slo: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  try {
    return { slo: parseSlo(text, file), source: file };
  } catch (err) {
    if (err instanceof SloError) throw new ctx.UsageError(`--slo: ${err.message}`);
    throw err;
  }
}

export async function sloCommand(argv: string[], ctx: Context): Promise<number> {
  const { values, positionals } = parseFlags(argv, { slo: { type: 'string' }, out: { type: 'string' } }, true);
  const [what, ...extra] = positionals;
  if (what !== 'rules' && what !== 'thresholds') throw new ctx.UsageError(`slo: expected "rules" or "thresholds", got ${what === undefined ? 'nothing' : `"${what}"`}`);
  if (extra.length > 0) throw new ctx.UsageError(`slo: unexpected "${extra[0]}"`);
  const { slo, source } = loadSlo(values.slo, ctx);
  const text = what === 'rules' ? generateRules(slo, source) : `${thresholdsFromSlo(slo)}\n`;
  if (values.out) {
    writeFileSync(values.out, text);
    ctx.progress(`wrote ${values.out}`);
  } else ctx.out(text);
  return 0;
}
