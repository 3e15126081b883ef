// Version and revision of the `pipeline` CLI, fixed at build time by scripts/build.mjs (esbuild `define`).
declare const PIPELINE_VERSION: string | undefined;
declare const PIPELINE_REVISION: string | undefined;

export const VERSION = typeof PIPELINE_VERSION === 'string' ? PIPELINE_VERSION : '0.0.0-dev';
export const REVISION = typeof PIPELINE_REVISION === 'string' ? PIPELINE_REVISION : 'unknown';
