// Output of a bench: plain-text tables on stdout and one JSON document in bench/results/<name>.json.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RESULTS_DIR } from './paths.js';

export type Cell = string | number;

export interface Table {
  title: string;
  columns: readonly string[];
  rows: readonly (readonly Cell[])[];
  /** Printed under the table. */
  note?: string;
}

/** One target of the brief, checked against a measurement. */
export interface Target {
  name: string;
  target: string;
  measured: string;
  met: boolean;
}

export interface ResultsDocument {
  bench: string;
  started_at: string;
  duration_s: number;
  command: string;
  environment: Record<string, unknown>;
  targets: Target[];
  notes: string[];
  tables: Table[];
  results: unknown;
}

// Numbers as people read them. Missing values (NaN) print as "-".
const missing = (n: number) => !Number.isFinite(n);

export function fmtMs(ms: number): string {
  if (missing(ms)) return '-';
  if (ms < 10) return `${ms.toFixed(2)} ms`;
  if (ms < 100) return `${ms.toFixed(1)} ms`;
  return `${Math.round(ms)} ms`;
}

export function fmtS(seconds: number): string {
  return missing(seconds) ? '-' : `${seconds.toFixed(2)} s`;
}

export function fmtCount(n: number): string {
  return missing(n) ? '-' : Math.round(n).toLocaleString('en-US');
}

export function fmtRatio(x: number): string {
  if (missing(x)) return '-';
  return `${x < 0.1 ? x.toFixed(3) : x.toFixed(2)}x`;
}

export function fmtBytes(n: number): string {
  if (missing(n)) return '-';
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 ** 2).toFixed(1)} MiB`;
}

const numeric = /^[-+]?[\d,.]+(\s*(ms|s|x|%|B|KiB|MiB))?$/;

/** A table as aligned text: numbers right-aligned, text left-aligned. */
export function renderTable(table: Table): string {
  const cells = table.rows.map((row) => row.map((c) => (typeof c === 'number' ? fmtCount(c) : c)));
  const widths = table.columns.map((h, i) => Math.max(h.length, ...cells.map((r) => (r[i] ?? '').length)));
  const line = (row: readonly string[]) =>
    row
      .map((c, i) => (i > 0 && numeric.test(c) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  const out = [`\n== ${table.title}`, line(table.columns), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map(line)];
  if (table.note) out.push(...table.note.split('\n').map((l) => `   ${l}`));
  return `${out.join('\n')}\n`;
}

export function targetsTable(targets: readonly Target[]): Table {
  return {
    title: 'Targets',
    columns: ['target', 'wanted', 'measured', 'result'],
    rows: targets.map((t) => [t.name, t.target, t.measured, t.met ? 'met' : 'MISSED']),
  };
}

/** Writes bench/results/<bench>.json and returns its path. */
export function writeResults(doc: ResultsDocument): string {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const path = join(RESULTS_DIR, `${doc.bench}.json`);
  writeFileSync(path, `${JSON.stringify(doc, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2)}\n`);
  return path;
}
