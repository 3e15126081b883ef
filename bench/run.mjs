#!/usr/bin/env node
// Runs the SHS benchmarks: `npm run bench` (all) or `npm run bench -- <name>...`.
// Each bench is bench/benches/<name>.ts, run in a process of its own through tsx; it prints its tables and
// writes bench/results/<name>.json. This runner builds the service bundle if it is stale and sums up.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
/** In the order they run: load first, as it leaves the full dataset the others reuse. */
const BENCHES = ['load', 'session-list', 'endpoints', 'startup', 'http-layer', 'proxy', 'overload', 'smoke-tool', 'build-image', 'deploy'];
/** The benches that run the service's bundle (http-layer does not). */
const NEEDS_BUNDLE = new Set(['load', 'session-list', 'endpoints', 'overload']);
const TOOLS = ['wrk', 'hey'];

function usage(code) {
  process.stdout.write(`Usage: npm run bench [-- <name>...]\n\nBenches (default: all, in this order): ${BENCHES.join(', ')}\n` +
    'Environment: BENCH_DURATION_S=<s> shortens each timed load run (default 10 s), e.g. for a smoke run.\n');
  process.exit(code);
}

function newestMtime(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/** Rebuilds shs/dist/shs.cjs (npm run build) when it is missing or older than shs/src. */
function ensureBundle() {
  const bundle = join(ROOT, 'shs', 'dist', 'shs.cjs');
  if (existsSync(bundle) && statSync(bundle).mtimeMs >= newestMtime(join(ROOT, 'shs', 'src'))) return;
  process.stderr.write('[bench] shs/dist/shs.cjs is missing or older than shs/src: building (node scripts/build.mjs)\n');
  const r = spawnSync(process.execPath, [join(ROOT, 'scripts', 'build.mjs')], { cwd: ROOT, stdio: 'inherit' });
  if (r.status !== 0) throw new Error('the build failed');
}

function checkTools() {
  const missing = TOOLS.filter((tool) => spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0);
  if (missing.length > 0) throw new Error(`missing tools: ${missing.join(', ')} (apt-get install ${missing.join(' ')})`);
}

let current = null;
let interrupted = false;
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    // The bench cleans up what it started (PostgreSQL, servers) before it exits; wait for it.
    interrupted = true;
    if (current) current.kill(signal);
    else process.exit(130);
  });
}

function runOne(name) {
  return new Promise((resolve) => {
    const started = performance.now();
    current = spawn(process.execPath, ['--import', 'tsx', join('bench', 'benches', `${name}.ts`)], { cwd: ROOT, stdio: 'inherit' });
    current.on('close', (code, signal) => {
      current = null;
      resolve({ name, ok: code === 0, exit: code ?? signal, seconds: (performance.now() - started) / 1000 });
    });
  });
}

function targetsOf(name) {
  try {
    const doc = JSON.parse(readFileSync(join(ROOT, 'bench', 'results', `${name}.json`), 'utf8'));
    const missed = doc.targets.filter((t) => !t.met).map((t) => t.name);
    return doc.targets.length === 0 ? 'none' : missed.length === 0 ? `${doc.targets.length} met` : `MISSED: ${missed.join('; ')}`;
  } catch {
    return '-';
  }
}

async function main() {
  const args = process.argv.slice(2);
  if (args.includes('-h') || args.includes('--help')) usage(0);
  const unknown = args.filter((a) => !BENCHES.includes(a));
  if (unknown.length > 0) {
    process.stderr.write(`unknown bench: ${unknown.join(', ')}\n`);
    usage(2);
  }
  const names = args.length > 0 ? BENCHES.filter((b) => args.includes(b)) : BENCHES;
  checkTools();
  if (names.some((n) => NEEDS_BUNDLE.has(n))) ensureBundle();

  const outcomes = [];
  for (const name of names) {
    process.stderr.write(`\n[bench] ==== ${name} ====\n`);
    outcomes.push(await runOne(name));
    if (interrupted) break;
  }

  const rows = outcomes.map((o) => [o.name, o.ok ? 'ok' : `FAILED (exit ${o.exit})`, `${o.seconds.toFixed(0)} s`, o.ok ? targetsOf(o.name) : '-']);
  const header = ['bench', 'status', 'time', 'targets'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r) => r.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
  process.stdout.write(`\n==== Summary (results in bench/results/)\n${[line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n')}\n`);
  process.exitCode = outcomes.every((o) => o.ok) && !interrupted ? 0 : 1;
}

main().catch((err) => {
  process.stderr.write(`[bench] ${err.message}\n`);
  process.exit(1);
});
