// Where the benches read and write.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** JSON results, one file per bench (gitignored). */
export const RESULTS_DIR = join(ROOT, 'bench', 'results');
/** Scratch space of each bench run (logs, pgbench transaction logs): .state/bench/<name>, emptied per run. */
export const WORK_DIR = join(ROOT, '.state', 'bench');
/** The PostgreSQL server the benches share, with its full-scale dataset, kept across runs. */
export const PG_DIR = join(ROOT, '.state', 'bench-pg');
