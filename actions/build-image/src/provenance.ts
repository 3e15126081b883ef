// Where an image comes from: the commit (revision), its time (the image's `created` and every file's mtime, so
// builds of one commit are identical anywhere) and the source repository URL.
import { runProgram } from '../../common/src/exec.js';
import { runnerContext } from '../../common/src/runner-context.js';

export interface Provenance {
  revision?: string;
  source?: string;
  /** The commit time (or SOURCE_DATE_EPOCH). */
  created: Date;
  /** How `created` was found (for logs and the summary). */
  createdFrom: 'source-date-epoch' | 'git' | 'epoch-zero';
}

/** git's answer, or undefined when git is missing, fails or says nothing (through @actions/exec). */
async function git(cwd: string, args: string[]): Promise<string | undefined> {
  try {
    const r = await runProgram('git', args, { cwd });
    return r.exitCode === 0 ? r.stdout.trim() || undefined : undefined;
  } catch {
    return undefined;
  }
}

/** A GitHub remote as an https URL (credentials dropped); other URLs as given. */
export function sourceUrl(remote: string): string {
  const ssh = /^git@([^:]+):(.+?)(\.git)?$/.exec(remote);
  if (ssh) return `https://${ssh[1]}/${ssh[2]}`;
  try {
    const u = new URL(remote);
    u.username = '';
    u.password = '';
    return u.toString().replace(/\.git$/, '');
  } catch {
    return remote;
  }
}

export function parseSourceDateEpoch(value: string, name = 'source-date-epoch'): Date {
  if (!/^\d{1,12}$/.test(value.trim())) throw new Error(`${name}: expected seconds since 1970-01-01 (an integer), got "${value}"`);
  return new Date(Number(value.trim()) * 1000);
}

/**
 * Explicit values win; then the GitHub Actions environment (GITHUB_SHA, GITHUB_SERVER_URL/GITHUB_REPOSITORY);
 * then git in `cwd`. `created`: sourceDateEpoch, else SOURCE_DATE_EPOCH, else the revision's commit time.
 */
export async function resolveProvenance(options: { cwd: string; env?: NodeJS.ProcessEnv; revision?: string; source?: string; sourceDateEpoch?: string }): Promise<Provenance> {
  const env = options.env ?? process.env;
  const runner = runnerContext(env);
  const revision = options.revision || runner.sha || (await git(options.cwd, ['rev-parse', 'HEAD']));
  const remote = async () => {
    const url = await git(options.cwd, ['remote', 'get-url', 'origin']);
    return url ? sourceUrl(url) : undefined;
  };
  const source = options.source || (env.GITHUB_SERVER_URL?.trim() && runner.repository ? `${runner.serverUrl}/${runner.repository}` : undefined) || (await remote());
  const epoch = options.sourceDateEpoch || env.SOURCE_DATE_EPOCH;
  if (epoch) return { ...(revision ? { revision } : {}), ...(source ? { source } : {}), created: parseSourceDateEpoch(epoch), createdFrom: 'source-date-epoch' };
  const ct = revision ? await git(options.cwd, ['show', '-s', '--format=%ct', revision]) : undefined;
  if (ct && /^\d+$/.test(ct)) return { ...(revision ? { revision } : {}), ...(source ? { source } : {}), created: new Date(Number(ct) * 1000), createdFrom: 'git' };
  return { ...(revision ? { revision } : {}), ...(source ? { source } : {}), created: new Date(0), createdFrom: 'epoch-zero' };
}
