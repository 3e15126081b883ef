// The smoke thresholds implied by a service-level objectives file (monitoring/slo.yaml): for every endpoint of
// the load's mix that an objective covers, its error rate and its latency percentile; and the overall error
// rate. Endpoints of the SLO that the load does not send (the long lists) are judged by Prometheus, not here.
import type { Slo } from '../../../monitoring/src/slo.js';
import { DEFAULT_MIX, type Endpoint as MixEndpoint } from './load/mix.js';

/** A share as a threshold bound: 0.01 for 99%, without floating-point noise. */
function share(objective: number): string {
  return String(Number((1 - objective).toPrecision(6)));
}

/** The mix entry sending this method and route, if any. */
function inMix(mix: MixEndpoint[], method: string, route: string): MixEndpoint | undefined {
  return mix.find((m) => (m.method ?? 'GET') === method && m.name.replace(/^[A-Z]+ /, '') === route);
}

/** Thresholds text in the k6 grammar of thresholds.ts, one per line, in the order of the SLO file. */
export function thresholdsFromSlo(slo: Slo, mix: MixEndpoint[] = DEFAULT_MIX): string {
  const lines: string[] = [];
  if (slo.overallAvailability !== null) lines.push(`http_req_failed: rate<${share(slo.overallAvailability)}`);
  for (const c of slo.classes) {
    for (const e of c.endpoints) {
      const m = inMix(mix, e.method, e.route);
      if (!m) continue;
      if (c.latency) lines.push(`http_req_duration{endpoint:${m.name}}: p(${c.latency.percentile})<${c.latency.belowMs}`);
      if (c.availability !== null) lines.push(`http_req_failed{endpoint:${m.name}}: rate<${share(c.availability)}`);
    }
  }
  return lines.join('\n');
}
