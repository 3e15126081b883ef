// hey at a fixed request rate (-q: each of -c workers sends at most q requests a second), its summary parsed.
// Not open loop: a worker whose answer is late sends its next request late (no coordinated-omission
// correction as in wrk2), so the achieved rate is reported next to the offered one. hey sends one URL.
import type { Latency } from './stats.js';
import { runCommand } from './process.js';

export interface HeyOptions {
  url: string;
  /** Offered requests per second in total; split over the workers. */
  rate: number;
  workers: number;
  durationS: number;
  method?: 'GET' | 'POST';
  body?: string;
  contentType?: string;
}

export interface HeyResult {
  command: string;
  offeredRps: number;
  rps: number;
  requests: number;
  /** Milliseconds; hey prints seconds with 4 decimals, so 0.1 ms resolution. */
  latency: Latency & { p95: number };
  statusCodes: Record<string, number>;
  /** Requests that got no answer (connection errors, timeouts). */
  errors: number;
}

function need(re: RegExp, text: string, what: string): RegExpExecArray {
  const m = re.exec(text);
  if (!m) throw new Error(`hey: no ${what} in its output:\n${text}`);
  return m;
}

/** Parses hey's default summary output. */
export function parseHey(text: string): Omit<HeyResult, 'command' | 'offeredRps'> {
  const secs = (label: string) => Number(need(new RegExp(`^\\s*${label}:\\s+([\\d.]+) secs`, 'm'), text, label)[1]) * 1000;
  const pct = (p: number) => Number(need(new RegExp(`^\\s*${p}% in ([\\d.]+) secs`, 'm'), text, `${p}% latency`)[1]) * 1000;
  const statusCodes: Record<string, number> = {};
  for (const m of text.matchAll(/^\s*\[(\d{3})\]\s+(\d+) responses$/gm)) statusCodes[m[1]!] = Number(m[2]);
  const errorSection = /Error distribution:\n([\s\S]*)$/.exec(text)?.[1] ?? '';
  const errors = [...errorSection.matchAll(/^\s*\[(\d+)\]\s/gm)].reduce((n, m) => n + Number(m[1]), 0);
  const answered = Object.values(statusCodes).reduce((a, b) => a + b, 0);
  return {
    rps: Number(need(/Requests\/sec:\s+([\d.]+)/, text, 'Requests/sec')[1]),
    requests: answered + errors,
    latency: { avg: secs('Average'), p50: pct(50), p90: pct(90), p95: pct(95), p99: pct(99), max: secs('Slowest') },
    statusCodes,
    errors,
  };
}

/** Answers that were not 2xx plus requests that got no answer. */
export function heyErrors(r: HeyResult): number {
  const bad = Object.entries(r.statusCodes).filter(([code]) => !code.startsWith('2'));
  return r.errors + bad.reduce((n, [, count]) => n + count, 0);
}

export async function runHey(options: HeyOptions): Promise<HeyResult> {
  const perWorker = options.rate / options.workers;
  if (!Number.isInteger(perWorker)) throw new Error(`hey: rate ${options.rate} is not a multiple of ${options.workers} workers`);
  const args = [
    '-z', `${options.durationS}s`,
    '-c', String(options.workers),
    '-q', String(perWorker),
    '-t', '10',
    ...(options.method && options.method !== 'GET' ? ['-m', options.method] : []),
    ...(options.contentType ? ['-T', options.contentType] : []),
    ...(options.body !== undefined ? ['-d', options.body] : []),
    options.url,
  ];
  const r = await runCommand('hey', args, { timeoutMs: (options.durationS + 30) * 1000 });
  const shown = args.map((a) => (/[\s"{}]/.test(a) ? `'${a}'` : a)).join(' ');
  return { command: `hey ${shown}`, offeredRps: options.rate, ...parseHey(r.stdout) };
}
