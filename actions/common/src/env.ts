// Environment variables of the pipeline tools (the actions' cores, the `pipeline` CLI, the scripts and tests)
// are named PIPELINE_*: SHS_* belongs to the service, which refuses SHS_* names it does not know. The names
// renamed from SHS_* are still read, with a warning, for one release.

/** New name -> the deprecated one it replaces. */
export const RENAMED_ENV = {
  PIPELINE_TOFU: 'SHS_TOFU',
  PIPELINE_TOOL_CACHE: 'SHS_TOOL_CACHE',
  PIPELINE_BUILD_REVISION: 'SHS_BUILD_REVISION',
} as const;

export type PipelineEnvName = keyof typeof RENAMED_ENV;

const warned = new Set<string>();

const stderrWarning = (message: string) => {
  process.stderr.write(`warning: ${message}\n`);
};

/**
 * The value of a PIPELINE_* variable; when only its deprecated SHS_* name is set, that value, with a warning
 * (once per name and process). Empty values count as unset.
 */
export function pipelineEnv(name: PipelineEnvName, env: NodeJS.ProcessEnv = process.env, warn: (message: string) => void = stderrWarning): string | undefined {
  const value = env[name];
  if (value) return value;
  const old = RENAMED_ENV[name];
  const legacy = env[old];
  if (!legacy) return undefined;
  if (!warned.has(old)) {
    warned.add(old);
    warn(`${old} is deprecated (SHS_* variables belong to the service): set ${name} instead; ${old} will stop working in the next release`);
  }
  return legacy;
}

/** For tests: warn again about names already warned about. */
export function resetEnvWarnings(): void {
  warned.clear();
}
