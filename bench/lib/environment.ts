// What a result was measured on: machine, load, tool versions and the revision of the code.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { findPostgresBinDir } from '../../stack/src/postgres.js';
import { ROOT } from './paths.js';

function firstLine(file: string, args: string[]): string | null {
  try {
    const out = execFileSync(file, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
    return out.split('\n')[0]!.trim() || null;
  } catch (err) {
    // wrk -v prints its version, then exits 1.
    const out = (err as { stdout?: string }).stdout ?? '';
    return out.split('\n')[0]!.trim() || null;
  }
}

export function gitRevision(): string {
  const rev = firstLine('git', ['rev-parse', '--short=12', 'HEAD']) ?? 'unknown';
  const dirty = firstLine('git', ['status', '--porcelain', '--untracked-files=no', '--', 'shs', 'package.json', 'package-lock.json']);
  return dirty ? `${rev}+dirty` : rev;
}

/** The 1-minute load average, rounded (it includes the previous bench's own processes for a minute). */
export function currentLoad(): number {
  return Math.round(loadavg()[0]! * 100) / 100;
}

function cpuTimes(): { idle: number; total: number } {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal ...: idle and iowait are idle time
  return { idle: fields[3]! + (fields[4] ?? 0), total: fields.slice(0, 8).reduce((a, b) => a + b, 0) };
}

/** Share of all CPUs busy over the next `ms` (0-1), NaN where /proc/stat is missing: work of others while we wait. */
export async function cpuBusy(ms = 1000): Promise<number> {
  try {
    const a = cpuTimes();
    await sleep(ms);
    const b = cpuTimes();
    const total = b.total - a.total;
    return total > 0 ? Math.round((1 - (b.idle - a.idle) / total) * 100) / 100 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

export function collectEnvironment(): Record<string, unknown> {
  const cpu = cpus();
  return {
    revision: gitRevision(),
    node: process.version,
    cpus: cpu.length,
    cpu_model: cpu[0]?.model ?? 'unknown',
    memory_gib: Math.round(totalmem() / 1024 ** 3),
    load_1m_at_start: currentLoad(),
    wrk: firstLine('wrk', ['-v']),
    pgbench: firstLine(join(findPostgresBinDir(), 'pgbench'), ['--version']),
    run_seconds_override: process.env.BENCH_DURATION_S ?? null,
  };
}
