// The smoke action: the core (checks, load, thresholds) in the actions' harness, reported to the job summary,
// the pull request (a sticky comment) and a JSON file. Every output is set, failure-reason typed; the summary is
// written even when the run fails.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import * as core from '@actions/core';
import { MAX_COMMENT_LENGTH, upsertSticky, type StickyOutcome } from '../../common/src/github-comments.js';
import { runAction, type Failure } from '../../common/src/harness.js';
import { pullRequestOfRun } from '../../common/src/pull-request.js';
import { runnerContext } from '../../common/src/runner-context.js';
import { parseInputs, type Inputs } from './inputs.js';
import { renderMarkdown } from './report/markdown.js';
import { checkLine, progressLine } from './report/terminal.js';
import { parseBaseline, round, type SmokeResult } from './result.js';
import { runSmoke } from './smoke.js';

const SUMMARY_LIMIT = 1_000_000; // GitHub: 1 MiB per step

/** The outputs action.yml declares. */
export const OUTPUTS = ['verdict', 'failure-reason', 'result-file', 'p90-ms', 'p99-ms', 'comment-url'] as const;

/** failure-reason: input, unreachable, checks-failed, threshold-failed or error (the details are in the annotation and the summary). */
export type SmokeFailureReason = 'unreachable' | 'checks-failed' | 'threshold-failed';

export function markerFor(environment: string): string {
  return `<!-- shs-smoke:${environment} -->`;
}

function loadBaseline(inputs: Inputs): { baseline: SmokeResult | null; note: string | null } {
  if (!inputs.baseline) return { baseline: null, note: null };
  if (!existsSync(inputs.baseline)) return { baseline: null, note: `No baseline at \`${inputs.baseline}\` (first run?): no deltas.` };
  try {
    return { baseline: parseBaseline(readFileSync(inputs.baseline, 'utf8'), inputs.baseline), note: null };
  } catch (err) {
    return { baseline: null, note: `Baseline ignored: ${(err as Error).message}` };
  }
}

/** A failed result's reason, split: "checks-failed: ping, https" -> checks-failed and "ping, https". */
export function failureOfResult(result: SmokeResult): Failure<SmokeFailureReason> | undefined {
  if (result.verdict !== 'fail') return undefined;
  const text = result.failureReason ?? 'error: unknown';
  const colon = text.indexOf(': ');
  const kind = colon < 0 ? text : text.slice(0, colon);
  const reason = (['unreachable', 'checks-failed', 'threshold-failed'] as const).find((r) => r === kind) ?? 'error';
  return { reason, message: colon < 0 ? text : text.slice(colon + 2) };
}

interface Ran {
  result: SmokeResult;
  summary: string;
  comment: StickyOutcome | null;
}

async function smoke(i: Inputs): Promise<Ran> {
  if (i.githubToken) core.setSecret(i.githubToken);
  const { baseline, note } = loadBaseline(i);
  let group = '';
  const result = await runSmoke({
    environment: i.environment,
    target: i.target,
    httpsUrl: i.httpsUrl,
    httpUrl: i.httpUrl,
    insecure: i.insecure,
    caFile: i.caFile,
    phases: i.phases,
    thresholds: i.thresholds,
    timeoutMs: i.timeoutMs,
    onPhase: (phase) => {
      if (group) core.endGroup();
      group = phase;
      core.startGroup({ ids: 'Sample ids', checks: 'Checks', load: 'Load', cleanup: 'Clean up' }[phase]);
    },
    onCheck: (r) => core.info(checkLine(r)),
    onProgress: (p) => core.info(progressLine(p)),
  });
  if (group) core.endGroup();
  writeFileSync(i.resultFile, `${JSON.stringify(result, null, 2)}\n`);
  let summary = renderMarkdown(result, { baseline, maxLength: SUMMARY_LIMIT - 2000 }) + (note ? `\n${note}\n` : '');
  let comment: StickyOutcome | null = null;
  const pr = pullRequestOfRun();
  if (i.comment && pr) {
    comment = await core.group('Pull request comment', async () => {
      const marker = markerFor(i.environment);
      const body = renderMarkdown(result, { baseline, maxLength: MAX_COMMENT_LENGTH, marker });
      const outcome: StickyOutcome = !i.githubToken
        ? { action: 'skipped', reason: 'no github-token' }
        : await upsertSticky({ token: i.githubToken, apiUrl: runnerContext().apiUrl, repository: pr.repository, issue: pr.number, marker, body, author: i.commentAuthor });
      core.info(outcome.action === 'skipped' ? `comment skipped: ${outcome.reason}` : `comment ${outcome.action}: ${outcome.url}`);
      return outcome;
    });
    if (comment.action === 'skipped') summary += `\n> Note: the PR comment was not posted: ${comment.reason}.\n`;
  }
  return { result, summary, comment };
}

export function run(): Promise<unknown> {
  return runAction<Inputs, Ran, SmokeFailureReason>({
    outputs: OUTPUTS,
    inputs: () => parseInputs((name) => core.getInput(name)),
    run: smoke,
    failureOf: (ran) => failureOfResult(ran.result),
    outputsOf: (ran, inputs) => ({
      verdict: ran?.result.verdict ?? 'fail',
      'result-file': ran && inputs ? inputs.resultFile : '',
      'p90-ms': ran?.result.load ? round(ran.result.load.overall.p90) : '',
      'p99-ms': ran?.result.load ? round(ran.result.load.overall.p99) : '',
      'comment-url': ran?.comment && ran.comment.action !== 'skipped' ? ran.comment.url : '',
    }),
    summary: ({ result, failure }) => result?.summary ?? `## ❌ SHS smoke did not run\n\n${failure ? `${failure.reason}: ${failure.message}` : 'unknown error'}\n`,
    annotation: (failure) => `${failure.reason}: ${failure.message}`,
  });
}
