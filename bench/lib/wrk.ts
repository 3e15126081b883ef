// wrk, run with --latency and its text output parsed into numbers. Closed loop by default (each connection
// sends its next request when the previous answer arrives); with `rate`, paced by bench/wrk/pace.lua.
import type { Latency } from './stats.js';
import { runCommand } from './process.js';
import { ROOT } from './paths.js';

export interface WrkOptions {
  url: string;
  threads?: number;
  connections: number;
  durationS: number;
  /** A script in bench/wrk/ (file name), e.g. random-id.lua. */
  script?: string;
  /** Environment for the script (it reads its parameters with os.getenv). */
  scriptEnv?: Record<string, string>;
  /** A fixed total request rate (requests/s) instead of a closed loop; the script (or pace.lua) paces. */
  rate?: number;
}

export interface WrkResult {
  /** The command line, for the record. */
  command: string;
  requests: number;
  durationS: number;
  rps: number;
  bytes: number;
  /** Milliseconds. wrk reports p50/p75/p90/p99; avg and max come from its thread stats. */
  latency: Latency & { p75: number };
  errors: { connect: number; read: number; write: number; timeout: number; non2xx: number };
}

const TIME_UNITS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const SIZE_UNITS: Record<string, number> = { B: 1, KB: 1024, MB: 1024 ** 2, GB: 1024 ** 3, TB: 1024 ** 4 };

/** "556.00us", "1.37ms", "2.00s" -> milliseconds. */
function toMs(text: string): number {
  const m = /^([\d.]+)(us|ms|s|m|h)$/.exec(text.trim());
  if (!m) throw new Error(`wrk: cannot read the duration "${text}"`);
  return Number(m[1]) * TIME_UNITS[m[2]!]!;
}

function toBytes(text: string): number {
  const m = /^([\d.]+)(B|KB|MB|GB|TB)$/.exec(text.trim());
  if (!m) throw new Error(`wrk: cannot read the size "${text}"`);
  return Math.round(Number(m[1]) * SIZE_UNITS[m[2]!]!);
}

function need(re: RegExp, text: string, what: string): RegExpExecArray {
  const m = re.exec(text);
  if (!m) throw new Error(`wrk: no ${what} in its output:\n${text}`);
  return m;
}

/** Parses the output of `wrk --latency`. */
export function parseWrk(text: string): Omit<WrkResult, 'command'> {
  const stats = need(/^\s*Latency\s+(\S+)\s+(\S+)\s+(\S+)\s+\S+%?$/m, text, 'latency thread stats');
  const pct = (p: number) => toMs(need(new RegExp(`^\\s*${p}%\\s+(\\S+)$`, 'm'), text, `${p}% latency`)[1]!);
  const total = need(/^\s*(\d+) requests in ([\d.]+)(us|ms|s|m|h), ([\d.]+\w+) read$/m, text, 'request count');
  const rps = need(/^Requests\/sec:\s+([\d.]+)$/m, text, 'Requests/sec');
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(text);
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(text);
  return {
    requests: Number(total[1]),
    durationS: toMs(`${total[2]}${total[3]}`) / 1000,
    rps: Number(rps[1]),
    bytes: toBytes(total[4]!),
    latency: { avg: toMs(stats[1]!), p50: pct(50), p75: pct(75), p90: pct(90), p99: pct(99), max: toMs(stats[3]!) },
    errors: {
      connect: Number(socket?.[1] ?? 0),
      read: Number(socket?.[2] ?? 0),
      write: Number(socket?.[3] ?? 0),
      timeout: Number(socket?.[4] ?? 0),
      non2xx: Number(non2xx?.[1] ?? 0),
    },
  };
}

/** Every failed request wrk counted (socket errors, timeouts, non-2xx answers). */
export function wrkErrors(r: WrkResult): number {
  const e = r.errors;
  return e.connect + e.read + e.write + e.timeout + e.non2xx;
}

export async function runWrk(options: WrkOptions): Promise<WrkResult> {
  const threads = options.threads ?? 1;
  const script = options.script ?? (options.rate ? 'pace.lua' : undefined);
  const scriptEnv = { ...options.scriptEnv, ...(options.rate ? { BENCH_RATE: String(options.rate), BENCH_THREADS: String(threads) } : {}) };
  const args = [
    `-t${threads}`,
    `-c${options.connections}`,
    `-d${options.durationS}s`,
    '--timeout', '10s',
    '--latency',
    ...(script ? ['-s', `bench/wrk/${script}`] : []),
    options.url,
  ];
  const r = await runCommand('wrk', args, { env: { ...process.env, ...scriptEnv }, cwd: ROOT, timeoutMs: (options.durationS + 30) * 1000 });
  const shownEnv = Object.entries(scriptEnv).map(([k, v]) => `${k}=${v} `).join('');
  const shownUrl = options.url.replace(/^http:\/\/127\.0\.0\.1:\d+/, 'http://127.0.0.1:PORT');
  return { command: `${shownEnv}wrk ${args.slice(0, -1).join(' ')} ${shownUrl}`, ...parseWrk(r.stdout) };
}
