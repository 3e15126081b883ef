#!/usr/bin/env node
// `shs`: the SHS service CLI. Runs the bundle made by `npm run build` (npm ci builds it via `prepare`).
import { createRequire } from 'node:module';
createRequire(import.meta.url)('../shs/dist/shs.cjs');
