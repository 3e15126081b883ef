// monitoring/slo.yaml, embedded at build time (esbuild's text loader; a plugin in vitest.config.ts does the same
// for the tests), so every bundle carries the repository's definition of "good" and needs no file beside it.
import text from '../slo.yaml';
import { parseSlo, type Slo } from './slo.js';

export const DEFAULT_SLO_TEXT: string = text;
export const DEFAULT_SLO: Slo = parseSlo(DEFAULT_SLO_TEXT, 'monitoring/slo.yaml');
