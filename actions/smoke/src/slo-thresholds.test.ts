import { describe, expect, it } from 'vitest';
import { parseSlo } from '../../../monitoring/src/slo.js';
import { parseInputs } from './inputs.js';
import { thresholdsFromSlo } from './slo-thresholds.js';
import { DEFAULT_THRESHOLDS } from './thresholds.js';

describe('thresholds from the SLO file', () => {
  it('the defaults are the contract, as monitoring/slo.yaml states it', () => {
    expect(DEFAULT_THRESHOLDS.split('\n')).toEqual([
      'http_req_failed: rate<0.01',
      ...['/api/movie/{id}', '/api/customer/{id}', '/api/session/{id}', '/db_dummy', '/operation'].flatMap((e) => [
        `http_req_duration{endpoint:${e}}: p(90)<400`,
        `http_req_failed{endpoint:${e}}: rate<0.01`,
      ]),
      'http_req_failed{endpoint:POST /api/session}: rate<0.01',
      'http_req_failed{endpoint:DELETE /api/session/{id}}: rate<0.01',
      'http_req_duration{endpoint:/long_dummy}: p(75)<1000',
      'http_req_failed{endpoint:/long_dummy}: rate<0.01',
    ]);
  });

  it('follows the file: a changed objective changes the threshold; endpoints outside the load are left out', () => {
    const slo = parseSlo(
      `version: 1
window: 28d
overall: { availability: 99.9% }
classes:
  - name: fast
    endpoints: [GET /db_dummy, POST /operation, GET /api/movie]
    availability: 99.5%
    latency: { percentile: 99, below_ms: 200 }
`,
    );
    expect(thresholdsFromSlo(slo).split('\n')).toEqual([
      'http_req_failed: rate<0.001',
      'http_req_duration{endpoint:/db_dummy}: p(99)<200',
      'http_req_failed{endpoint:/db_dummy}: rate<0.005',
      'http_req_duration{endpoint:/operation}: p(99)<200',
      'http_req_failed{endpoint:/operation}: rate<0.005',
    ]);
  });

  it('the action reads slo-file, and names it when it is missing or wrong', () => {
    const files: Record<string, string> = {
      'ok.yaml': 'version: 1\nwindow: 30d\nclasses:\n  - name: a\n    endpoints: [GET /db_dummy]\n    latency: { percentile: 50, below_ms: 100 }\n',
      'bad.yaml': 'version: 1\nwindow: 30d\nclasses: []\n',
    };
    const read = (p: string) => {
      if (!(p in files)) throw Object.assign(new Error('nope'), { code: 'ENOENT' });
      return files[p]!;
    };
    const inputs = (v: Record<string, string>) => parseInputs((n) => ({ target: 'http://127.0.0.1:1', ...v })[n] ?? '', read);
    expect(inputs({ 'slo-file': 'ok.yaml' }).thresholds.map((t) => t.source)).toEqual(['http_req_duration{endpoint:/db_dummy}: p(50)<100']);
    expect(() => inputs({ 'slo-file': 'missing.yaml' })).toThrow('slo-file: cannot read missing.yaml: ENOENT');
    expect(() => inputs({ 'slo-file': 'bad.yaml' })).toThrow('slo-file: bad.yaml: classes: expected a non-empty list');
    // explicit thresholds win over the file
    expect(inputs({ 'slo-file': 'missing.yaml', thresholds: 'http_req_failed: rate<0.5' }).thresholds).toHaveLength(1);
  });
});
