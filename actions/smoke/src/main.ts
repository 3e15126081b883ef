// The smoke action: reads its inputs once, runs the core (checks, load, thresholds), and reports to the job
// summary, the pull request (a sticky comment) and a JSON file. Outputs are always set; the summary is written
// even when the run fails.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import * as core from '@actions/core';
import { MAX_COMMENT_LENGTH, upsertSticky, type StickyOutcome } from '../../common/src/github-comments.js';
import { pullRequestOfRun } from '../../common/src/pull-request.js';
import { InputError, parseInputs, type Inputs } from './inputs.js';
import { renderMarkdown } from './report/markdown.js';
import { checkLine, progressLine } from './report/terminal.js';
import { parseBaseline, round, type SmokeResult } from './result.js';
import { runSmoke } from './smoke.js';

const SUMMARY_LIMIT = 1_000_000; // GitHub: 1 MiB per step

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

export async function run(): Promise<void> {
  let result: SmokeResult | null = null;
  let failure: string | null = null;
  let summary = '';
  let inputs: Inputs | null = null;
  let comment: StickyOutcome | null = null;
  try {
    inputs = parseInputs((name) => core.getInput(name));
    if (inputs.githubToken) core.setSecret(inputs.githubToken);
    const { baseline, note } = loadBaseline(inputs);
    const i = inputs;
    let group = '';
    result = await runSmoke({
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
    summary = renderMarkdown(result, { baseline, maxLength: SUMMARY_LIMIT - 2000 }) + (note ? `\n${note}\n` : '');

    const pr = pullRequestOfRun();
    if (i.comment && pr) {
      await core.group('Pull request comment', async () => {
        const marker = markerFor(i.environment);
        const body = renderMarkdown(result!, { baseline, maxLength: MAX_COMMENT_LENGTH, marker });
        if (!i.githubToken) comment = { action: 'skipped', reason: 'no github-token' };
        else
          comment = await upsertSticky({
            token: i.githubToken,
            apiUrl: process.env.GITHUB_API_URL ?? 'https://api.github.com',
            repository: pr.repository,
            issue: pr.number,
            marker,
            body,
            author: i.commentAuthor,
          });
        core.info(comment.action === 'skipped' ? `comment skipped: ${comment.reason}` : `comment ${comment.action}: ${comment.url}`);
        if (comment.action === 'skipped') summary += `\n> Note: the PR comment was not posted: ${comment.reason}.\n`;
      });
    }
    if (result.verdict === 'fail') failure = result.failureReason;
  } catch (err) {
    failure = err instanceof InputError ? `input: ${err.message}` : `error: ${(err as Error).message}`;
  } finally {
    core.setOutput('verdict', result?.verdict ?? 'fail');
    core.setOutput('failure-reason', failure ?? '');
    core.setOutput('result-file', result && inputs ? inputs.resultFile : '');
    core.setOutput('p90-ms', result?.load ? round(result.load.overall.p90) : '');
    core.setOutput('p99-ms', result?.load ? round(result.load.overall.p99) : '');
    core.setOutput('comment-url', comment && (comment as StickyOutcome).action !== 'skipped' ? (comment as { url: string }).url : '');
    if (!summary) summary = `## ❌ SHS smoke did not run\n\n${failure ?? 'unknown error'}\n`;
    await core.summary.addRaw(summary).write().catch((e: Error) => core.warning(`job summary not written: ${e.message}`));
    if (failure) core.setFailed(failure);
  }
}
