// The pull request a workflow run belongs to, read from the event payload the runner leaves at
// GITHUB_EVENT_PATH: its number, and whether it comes from a fork (whose token cannot write comments).
import { eventPayload, runnerContext } from './runner-context.js';

export interface PullRequestRef {
  /** "owner/name" of the repository the run belongs to. */
  repository: string;
  number: number;
  fork: boolean;
}

/** The pull request of this run, or null for any other event. */
export function pullRequestOfRun(env: NodeJS.ProcessEnv = process.env): PullRequestRef | null {
  const context = runnerContext(env);
  if (!context.repository) return null;
  const event = eventPayload(context) as { pull_request?: { number: number; head?: { repo?: { full_name?: string } } } } | undefined;
  if (!event?.pull_request) return null;
  return { repository: context.repository, number: event.pull_request.number, fork: event.pull_request.head?.repo?.full_name !== context.repository };
}
