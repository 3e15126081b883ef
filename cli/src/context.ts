// What every command gets: where the repository and its state are, and how to talk to the user.
import { join, resolve } from 'node:path';

import { UsageError } from '../../shs/src/args.js';

// One usage error for both command lines, thrown by parseFlags (shs/src/args.ts).
export { UsageError };

export interface Context {
  root: string;
  stateDir: string;
  out(text: string): void;
  progress(message: string): void;
  UsageError: typeof UsageError;
}

export function defaultContext(): Context {
  // The bundle lives in cli/dist/: the repository root is two levels up.
  const root = resolve(__dirname, '..', '..');
  const started = Date.now();
  return {
    root,
    stateDir: process.env.PIPELINE_STATE_DIR ? resolve(process.env.PIPELINE_STATE_DIR) : join(root, '.state'),
    out: (text) => process.stdout.write(text),
    progress: (message) => process.stderr.write(`[${((Date.now() - started) / 1000).toFixed(1).padStart(5)}s] ${message}\n`),
    UsageError,
  };
}
