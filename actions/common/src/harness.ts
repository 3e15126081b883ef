// The one harness every action's src/main.ts runs in: parse the inputs once, run the core, and whatever
// happens set every output action.yml declares (empty when unknown; failure-reason typed), write the job
// summary in `finally`, and fail the step with one annotation. The cores never import @actions/*; this does.
import * as core from '@actions/core';
import { InputError } from './inputs.js';

/** Why a run failed: a word from the action's own list (its failure-reason output), and what happened. */
export interface Failure<R extends string = string> {
  reason: R | 'input' | 'error';
  message: string;
}

/** What a summary is rendered from: the result (also a partial one a failure carries), the inputs, the failure. */
export interface Finished<I, T, R extends string> {
  inputs?: I;
  result?: T;
  failure?: Failure<R>;
  elapsedMs: number;
}

export interface ActionDefinition<I, T, R extends string> {
  /** Every output action.yml declares, failure-reason included: each is set on every run, '' when unknown. */
  outputs: readonly string[];
  /** Reads and validates the inputs, once. An InputError fails the run with reason `input`. */
  inputs(): I;
  /** The core. It may return a result that stands for a failure (see failureOf) or throw. */
  run(inputs: I): Promise<T>;
  /** The outputs a result gives (a finished run's, or the partial one a failure carries); the others stay ''. */
  outputsOf(result: T | undefined, inputs: I | undefined): Partial<Record<string, string>>;
  /** The failure a returned result stands for (deploy records failures on its report, smoke has a verdict). */
  failureOf?(result: T): Failure<R> | undefined;
  /** The reason for an error the core threw (default error; an InputError is always input). */
  reasonOf?(err: unknown): R | 'error';
  /** The partial result an error carries (what was done before it failed), for the outputs and the summary. */
  resultOf?(err: unknown): T | undefined;
  /** The job summary (Markdown), written whatever happened. */
  summary(finished: Finished<I, T, R>): string;
  /** The step's error annotation (default: the message; deploy and smoke prefix the reason). */
  annotation?(failure: Failure<R>): string;
}

const messageOf = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** Runs an action; never throws (a failure sets the exit code through core.setFailed). */
export async function runAction<I, T, R extends string>(def: ActionDefinition<I, T, R>): Promise<Finished<I, T, R>> {
  const started = Date.now();
  const finished: Finished<I, T, R> = { elapsedMs: 0 };
  try {
    finished.inputs = def.inputs();
    finished.result = await def.run(finished.inputs);
    const failure = def.failureOf?.(finished.result);
    if (failure) finished.failure = failure;
  } catch (err) {
    const partial = def.resultOf?.(err);
    if (partial !== undefined) finished.result = partial;
    finished.failure = { reason: err instanceof InputError ? 'input' : (def.reasonOf?.(err) ?? 'error'), message: messageOf(err) };
  } finally {
    finished.elapsedMs = Date.now() - started;
    let given: Partial<Record<string, string>> = {};
    try {
      given = def.outputsOf(finished.result, finished.inputs);
    } catch (err) {
      core.warning(`could not compute the outputs: ${messageOf(err)}`);
    }
    for (const name of def.outputs) core.setOutput(name, name === 'failure-reason' ? (finished.failure?.reason ?? '') : (given[name] ?? ''));
    try {
      await core.summary.addRaw(def.summary(finished)).write();
    } catch (err) {
      core.warning(`could not write the job summary: ${messageOf(err)}`);
    }
    if (finished.failure) core.setFailed(def.annotation ? def.annotation(finished.failure) : finished.failure.message);
  }
  return finished;
}

/** core.group, recording which phase an error left by (for a failure reason per phase). */
export function phaseTagger<R extends string>(reasonOf: (phase: string) => R | undefined) {
  return <V>(name: string, fn: () => Promise<V>): Promise<V> =>
    core.group(name, async () => {
      try {
        return await fn();
      } catch (err) {
        const reason = reasonOf(name);
        if (reason && err && typeof err === 'object' && !('failureReason' in err)) Object.assign(err, { failureReason: reason });
        throw err;
      }
    });
}

/** The reason phaseTagger attached to an error, if any. */
export function taggedReason<R extends string>(err: unknown): R | undefined {
  return err && typeof err === 'object' && 'failureReason' in err ? ((err as { failureReason: R }).failureReason) : undefined;
}
