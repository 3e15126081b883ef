// What the runner tells every step through its environment (GITHUB_*), read in one place: the API and server
// URLs, the repository, the commit, the run (id, attempt, workflow ref, its page), the workspace and the event.
import { existsSync, readFileSync } from 'node:fs';

export interface RunnerContext {
  /** GITHUB_API_URL without a trailing slash (default https://api.github.com). */
  apiUrl: string;
  /** GITHUB_SERVER_URL without a trailing slash (default https://github.com). */
  serverUrl: string;
  /** GITHUB_REPOSITORY, owner/name. */
  repository?: string;
  /** GITHUB_SHA */
  sha?: string;
  runId?: string;
  runAttempt?: string;
  /** GITHUB_WORKFLOW_REF: owner/name/.github/workflows/<file>@<ref> */
  workflowRef?: string;
  /** The run's page (needs the repository and the run id). */
  runUrl?: string;
  /** GITHUB_WORKSPACE, else the current directory. */
  workspace: string;
  /** GITHUB_EVENT_PATH: the event payload. */
  eventPath?: string;
}

const trimmed = (value: string | undefined) => value?.trim() || undefined;

/** Pure over the given environment. */
export function runnerContext(env: NodeJS.ProcessEnv = process.env): RunnerContext {
  const apiUrl = (trimmed(env.GITHUB_API_URL) ?? 'https://api.github.com').replace(/\/+$/, '');
  const serverUrl = (trimmed(env.GITHUB_SERVER_URL) ?? 'https://github.com').replace(/\/+$/, '');
  const repository = trimmed(env.GITHUB_REPOSITORY);
  const runId = trimmed(env.GITHUB_RUN_ID);
  const value = <K extends string>(key: K, v: string | undefined) => (v === undefined ? {} : ({ [key]: v } as Record<K, string>));
  return {
    apiUrl,
    serverUrl,
    ...value('repository', repository),
    ...value('sha', trimmed(env.GITHUB_SHA)),
    ...value('runId', runId),
    ...value('runAttempt', trimmed(env.GITHUB_RUN_ATTEMPT)),
    ...value('workflowRef', trimmed(env.GITHUB_WORKFLOW_REF)),
    ...value('runUrl', repository && runId ? `${serverUrl}/${repository}/actions/runs/${runId}` : undefined),
    workspace: trimmed(env.GITHUB_WORKSPACE) ?? process.cwd(),
    ...value('eventPath', trimmed(env.GITHUB_EVENT_PATH)),
  };
}

/** The event payload of the run (GITHUB_EVENT_PATH), or undefined when there is none. */
export function eventPayload(context: RunnerContext): Record<string, unknown> | undefined {
  if (!context.eventPath || !existsSync(context.eventPath)) return undefined;
  return JSON.parse(readFileSync(context.eventPath, 'utf8')) as Record<string, unknown>;
}
