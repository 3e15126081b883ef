// The frame of every bench: progress lines, cleanup of whatever it started (also on failure or Ctrl-C),
// the printed tables and the JSON results.
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { collectEnvironment, cpuBusy, currentLoad } from './environment.js';
import { type Table, type Target, renderTable, targetsTable, writeResults } from './report.js';
import { WORK_DIR } from './paths.js';

export interface BenchContext {
  name: string;
  /** An empty directory of this run, for logs and scratch files (.state/bench/<name>). */
  workDir: string;
  /** A progress line on stderr, with the time since the bench started. */
  log(message: string): void;
  /** Registers cleanup; cleanups run last-registered first, whatever happens. */
  defer(label: string, fn: () => Promise<void> | void): void;
  /** Adds facts to the environment recorded with the results (e.g. the PostgreSQL version). */
  note(key: string, value: unknown): void;
}

export interface BenchOutcome {
  tables: Table[];
  targets: Target[];
  notes: string[];
  /** The raw numbers, written to the JSON results. */
  results: unknown;
}

/** Share of the CPUs busy with other work (measured for 1 s before starting) above which a bench warns. */
const BUSY_SHARE = 0.15;

/** Length of each timed load run: BENCH_DURATION_S if set (e.g. 3 for a quick smoke run), else the default. */
export function runSeconds(defaultS: number): number {
  const fromEnv = Number(process.env.BENCH_DURATION_S);
  return Number.isInteger(fromEnv) && fromEnv > 0 ? fromEnv : defaultS;
}

/** The tables, the targets and the notes, on stdout. */
function printOutcome(name: string, outcome: BenchOutcome): void {
  const tables = [...outcome.tables, ...(outcome.targets.length > 0 ? [targetsTable(outcome.targets)] : [])];
  const notes = outcome.notes.map((n) => `  * ${n}\n`).join('');
  process.stdout.write(`\n#### bench ${name}\n${tables.map(renderTable).join('')}${notes}\n`);
}

/** Runs a bench: progress on stderr, cleanup whatever happens, tables on stdout, bench/results/<name>.json. */
export function runBench(name: string, body: (ctx: BenchContext) => Promise<BenchOutcome>): void {
  const startedAt = new Date();
  const t0 = performance.now();
  const elapsed = () => `${((performance.now() - t0) / 1000).toFixed(1).padStart(5)}s`;
  const log = (message: string) => process.stderr.write(`[${name} ${elapsed()}] ${message}\n`);
  const cleanups: { label: string; fn: () => Promise<void> | void }[] = [];
  const environment = collectEnvironment();
  const workDir = join(WORK_DIR, name);
  rmSync(workDir, { recursive: true, force: true });
  mkdirSync(workDir, { recursive: true });

  let cleaning: Promise<void> | null = null;
  const cleanup = () =>
    (cleaning ??= (async () => {
      for (const { label, fn } of cleanups.splice(0).reverse()) {
        log(`cleanup: ${label}`);
        try {
          await fn();
        } catch (err) {
          log(`cleanup of ${label} failed: ${(err as Error).message}`);
        }
      }
    })());

  // Ctrl-C reaches this process and the runner (which passes it on): clean up once, whatever arrives next.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (cleaning) return;
      log(`${signal}: stopping`);
      void cleanup().finally(() => process.exit(130));
    });
  }

  const ctx: BenchContext = {
    name,
    workDir,
    log,
    defer: (label, fn) => cleanups.push({ label, fn }),
    note: (key, value) => {
      environment[key] = value;
    },
  };

  const main = async () => {
    const busy = await cpuBusy();
    environment.cpu_busy_before_start = busy;
    if (busy > BUSY_SHARE)
      log(`warning: ${Math.round(busy * 100)}% of the CPUs were busy with other work just before the start: it will skew the numbers`);
    let outcome: BenchOutcome;
    try {
      outcome = await body(ctx);
    } finally {
      await cleanup();
    }
    environment.load_1m_at_end = currentLoad();
    printOutcome(name, outcome);
    const path = writeResults({
      bench: name,
      started_at: startedAt.toISOString(),
      duration_s: Math.round((performance.now() - t0) / 100) / 10,
      command: `npm run bench -- ${name}`,
      environment,
      targets: outcome.targets,
      notes: outcome.notes,
      tables: outcome.tables,
      results: outcome.results,
    });
    log(`results written to ${path}`);
  };

  main().catch((err: unknown) => {
    log(`FAILED: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exitCode = 1;
  });
}
