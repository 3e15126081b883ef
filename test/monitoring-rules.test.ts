// The Prometheus configuration of monitoring/ checked by the real promtool: the rule files are valid, every
// alert's unit tests pass, and every alert has a test where it fires and one where it must not.
import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ROOT } from './support/shs.js';

const RULES = join(ROOT, 'monitoring/prometheus/rules');
const TESTS = join(ROOT, 'monitoring/prometheus/tests');
const ruleFiles = readdirSync(RULES).filter((f) => f.endsWith('.yml')).map((f) => join(RULES, f));
const testFiles = readdirSync(TESTS).filter((f) => f.endsWith('.test.yml')).map((f) => join(TESTS, f));

interface AlertTest {
  alertname: string;
  exp_alerts?: unknown[];
}

/** Alert names by whether some test expects them to fire, and some expects silence. */
function alertCoverage(tests: string[]): { fires: Set<string>; silent: Set<string> } {
  const fires = new Set<string>();
  const silent = new Set<string>();
  for (const text of tests) {
    const doc = parse(text) as { tests: { alert_rule_test?: AlertTest[] }[] };
    for (const t of doc.tests.flatMap((g) => g.alert_rule_test ?? [])) (t.exp_alerts?.length ? fires : silent).add(t.alertname);
  }
  return { fires, silent };
}

function alertNames(rules: string[]): string[] {
  return rules.flatMap((text) => (parse(text) as { groups: { rules: { alert?: string }[] }[] }).groups.flatMap((g) => g.rules.flatMap((r) => (r.alert ? [r.alert] : []))));
}

describe('monitoring/prometheus', () => {
  it('promtool finds the rule files valid', () => {
    const out = execFileSync('promtool', ['check', 'rules', ...ruleFiles], { encoding: 'utf8' });
    expect(out).toContain('SUCCESS');
  });

  it('every alert has a unit test where it fires and one where it must not', () => {
    const { fires, silent } = alertCoverage(testFiles.map((f) => readFileSync(f, 'utf8')));
    const names = [...new Set(alertNames(ruleFiles.map((f) => readFileSync(f, 'utf8'))))];
    expect(names.length).toBeGreaterThanOrEqual(10);
    expect(names.filter((n) => !fires.has(n)), 'alerts with no firing test').toEqual([]);
    expect(names.filter((n) => !silent.has(n)), 'alerts with no silent test').toEqual([]);
  });

  it("every alert's runbook annotation points at its section of docs/monitoring.md", () => {
    const doc = readFileSync(join(ROOT, 'docs/monitoring.md'), 'utf8');
    const anchors = new Set([...doc.matchAll(/^#{2,4} (.+)$/gm)].map((m) => m[1]!.trim().toLowerCase().replace(/[^a-z0-9 -]/g, '').replace(/ /g, '-')));
    const rules = ruleFiles.flatMap((f) => (parse(readFileSync(f, 'utf8')) as { groups: { rules: { alert?: string; annotations?: Record<string, string> }[] }[] }).groups.flatMap((g) => g.rules));
    const bad = rules
      .filter((r) => r.alert)
      .filter((r) => r.annotations?.runbook !== `docs/monitoring.md#${r.alert!.toLowerCase()}` || !anchors.has(r.alert!.toLowerCase()))
      .map((r) => r.alert);
    expect(bad).toEqual([]);
  });

  it('promtool test rules passes every unit test', () => {
    const r = spawnSync('promtool', ['test', 'rules', ...testFiles], { cwd: TESTS, encoding: 'utf8' });
    expect(`${r.stdout}${r.stderr}`).not.toContain('FAILED');
    expect(r.status).toBe(0);
  }, 180_000);
});
