// The k6 threshold grammar for the metrics the smoke load measures: trends (http_req_duration: avg, min, max,
// med, p(N) with any N from 0 to 100, decimals included), rates (http_req_failed: rate) and counters
// (http_reqs: count, rate per second); anything else is refused with an error that names it.
import { describe, expect, it } from 'vitest';
import { EndpointStats } from './load/stats.js';
import { evaluate, parseThresholds, percentilesOf } from './thresholds.js';

const stats = () => {
  const s = new EndpointStats();
  for (let i = 1; i <= 1000; i++) s.record(i, i > 990 ? 500 : 200); // 1..1000 ms, the last ten failed
  return s;
};

describe('k6 thresholds', () => {
  it('parses every aggregation of the metrics we measure, decimals in p(N) included', () => {
    const t = parseThresholds(
      [
        'http_req_duration: p(99.9)<1000, p(42)<=500, avg<600, min>=1, max<2000, med<520',
        'http_req_failed{endpoint:/api/movie/{id}}: rate<0.05',
        'http_reqs: count>=100, rate>10',
        'http_req_duration: p(99)!=0, avg===500.5',
      ].join('\n'),
    );
    expect(t.map((x) => [x.metric, x.endpoint, x.stat, x.op, x.value])).toEqual([
      ['http_req_duration', null, 'p99.9', '<', 1000],
      ['http_req_duration', null, 'p42', '<=', 500],
      ['http_req_duration', null, 'avg', '<', 600],
      ['http_req_duration', null, 'min', '>=', 1],
      ['http_req_duration', null, 'max', '<', 2000],
      ['http_req_duration', null, 'med', '<', 520],
      ['http_req_failed', '/api/movie/{id}', 'rate', '<', 0.05],
      ['http_reqs', null, 'count', '>=', 100],
      ['http_reqs', null, 'rate', '>', 10],
      ['http_req_duration', null, 'p99', '!=', 0],
      ['http_req_duration', null, 'avg', '===', 500.5],
    ]);
    expect(percentilesOf(t)).toEqual([99.9, 42, 99]);
  });

  it('evaluates arbitrary percentiles from the HDR histogram, min, counts and request rates', () => {
    const s = stats();
    const summary = s.summary([99.9, 42]);
    const r = evaluate(
      parseThresholds('http_req_duration: p(99.9)<999.5, p(99.9)>998, p(42)<421, p(42)>419, min<=1, med<=501\nhttp_reqs: count==1000, rate>=99, rate<101\nhttp_req_failed: rate<=0.01'),
      summary,
      {},
      10,
    );
    expect(r.filter((x) => !x.ok).map((x) => `${x.threshold.source} got ${x.actual}`)).toEqual([]);
    expect(r.find((x) => x.threshold.source === 'http_reqs: rate>=99')!.actual).toBe(100);
  });

  it('names what is not supported', () => {
    const error = (text: string) => {
      try {
        parseThresholds(text);
      } catch (err) {
        return (err as Error).message;
      }
      return 'no error';
    };
    expect(error('iteration_duration: p(95)<1')).toMatch(/^thresholds line 1: metric "iteration_duration" is not measured here \(http_req_duration, http_req_failed, http_reqs\)/);
    expect(error('http_req_duration{status:200}: p(95)<1')).toMatch(/tag "status" is not supported \(only endpoint\)/);
    expect(error('http_req_duration: p(100.5)<1')).toMatch(/p\(100\.5\): the percentile must be from 0 to 100/);
    expect(error('http_req_duration: count<1')).toMatch(/http_req_duration takes avg, min, max, med or p\(N\), not count/);
    expect(error('http_req_failed: p(90)<1')).toMatch(/http_req_failed takes rate, not p\(90\)/);
    expect(error('http_reqs: avg<1')).toMatch(/http_reqs takes count or rate, not avg/);
    expect(error('http_req_duration: stddev<1')).toMatch(/http_req_duration takes avg, min, max, med or p\(N\), not stddev/);
    expect(error('http_req_duration: p90<1')).toMatch(/"p90<1" is not <aggregation> <operator> <number>/);
    expect(error('\n\nhttp_req_duration p(90)<1')).toMatch(/^thresholds line 3: /);
  });
});
