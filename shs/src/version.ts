// Version and revision, fixed at build time by scripts/build.mjs (esbuild `define`).
declare const SHS_VERSION: string | undefined;
declare const SHS_REVISION: string | undefined;

export const VERSION = typeof SHS_VERSION === 'string' ? SHS_VERSION : '0.0.0-dev';
export const REVISION = typeof SHS_REVISION === 'string' ? SHS_REVISION : 'unknown';
