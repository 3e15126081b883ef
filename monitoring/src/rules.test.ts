import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { DEFAULT_SLO } from './default-slo.js';
import { effectiveFactor, generateRules } from './rules.js';
import { parseSlo } from './slo.js';

const exprOf = (text: string, alert: string, slo: string): string =>
  (parse(text) as { groups: { rules: { alert?: string; expr: string; labels?: Record<string, string> }[] }[] }).groups
    .flatMap((g) => g.rules)
    .find((r) => r.alert === alert && r.labels?.slo === slo)!.expr;

describe('rules from the SLO file', () => {
  it('the committed slo.rules.yml is what monitoring/slo.yaml generates (run `npx pipeline slo rules --out monitoring/prometheus/rules/slo.rules.yml`)', () => {
    const committed = readFileSync(join(import.meta.dirname, '..', 'prometheus', 'rules', 'slo.rules.yml'), 'utf8');
    expect(committed).toBe(generateRules(DEFAULT_SLO));
  });

  it('a threshold changed in the file changes the alert', () => {
    const base = `version: 1\nwindow: 30d\nclasses:\n  - name: api\n    endpoints: [GET /db_dummy]\n`;
    const a = generateRules(parseSlo(`${base}    availability: 99%\n    latency: { percentile: 90, below_ms: 400 }\n`));
    const b = generateRules(parseSlo(`${base}    availability: 99.9%\n    latency: { percentile: 99, below_ms: 200 }\n`));
    expect(exprOf(a, 'SHSErrorBudgetBurnFast', 'api-availability')).toContain('> 0.144');
    expect(exprOf(b, 'SHSErrorBudgetBurnFast', 'api-availability')).toContain('> 0.0144');
    expect(a).toContain('le="0.4"');
    expect(b).toContain('le="0.2"');
    expect(b).not.toContain('le="0.4"');
  });

  it('caps a burn factor the budget cannot reach', () => {
    expect(effectiveFactor(14.4, 0.01)).toBe(14.4);
    expect(effectiveFactor(14.4, 0.1)).toBeCloseTo(9);
    expect(effectiveFactor(6, 0.25)).toBeCloseTo(3.6);
  });
});
