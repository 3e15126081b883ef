#!/usr/bin/env node
// `pipeline`: the delivery pipeline CLI. Runs the bundle made by `npm run build` (npm ci builds it via `prepare`).
import { createRequire } from 'node:module';
createRequire(import.meta.url)('../cli/dist/pipeline.cjs');
