// The deploy core for the cloud target: install the pinned tool, init, plan into a saved plan, summarize it,
// apply that very plan, read the outputs, then wait until every instance group has rolled out. No @actions/*
// here: the action and the CLI are adapters that pass logging, grouping and credentials in.
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { InputError } from '../../common/src/inputs.js';
import { DIGEST_REF } from './inputs.js';
import { installTool, toolRelease, type InstalledTool, type ToolCache, type ToolName } from './install.js';
import { summarizePlan, type PlanSummary } from './plan-summary.js';
import { RolloutError, waitForRollout, type GroupRollout } from './rollout.js';
import { Terraform, TerraformError, type LockInfo } from './terraform.js';

export type DeployFailureReason =
  | 'input'
  | 'install-failed'
  | 'init-failed'
  | 'plan-failed'
  | 'state-locked'
  | 'apply-failed'
  | 'output-failed'
  | 'rollout-timeout'
  | 'instances-unhealthy'
  | 'local-failed'
  | 'error';

export class DeployError extends Error {
  override name = 'DeployError';
  constructor(
    message: string,
    readonly reason: DeployFailureReason,
    readonly lockInfo?: LockInfo,
  ) {
    super(message);
  }
}

export interface ToolChoice {
  tool: ToolName;
  version: string;
  /** Use this binary as it is; nothing is downloaded. */
  binary?: string;
  /** Mirror with the vendor's release layout below it. */
  baseUrl?: string;
  cache: ToolCache;
}

export interface CloudDeployOptions {
  image: string;
  workingDirectory: string;
  tool: ToolChoice;
  backendConfig: string[];
  variables: Record<string, string>;
  varFiles: string[];
  lockTimeout: string;
  /** Stop after the plan (no apply, no rollout). */
  planOnly: boolean;
  /** With planOnly: copy the saved plan here (an artifact for the job that applies it). */
  planOut?: string;
  /** Apply this saved plan instead of planning (image, variables and changes are the plan's). */
  applyPlan?: string;
  /** Plan under the state lock (default true); false for a planner that may only read the state. */
  lock?: boolean;
  /** Credentials and settings for the provider (YC_TOKEN, YC_FOLDER_ID, ...), passed in the environment. */
  env: Record<string, string>;
  /** IAM token for the Compute API (rollout polling); absent: the rollout cannot be watched. */
  token?: () => Promise<string>;
  computeApi?: string;
  rolloutTimeoutMs: number;
  rolloutIntervalMs?: number;
  log: (line: string) => void;
  phase: <T>(name: string, fn: () => Promise<T>) => Promise<T>;
  /** Called with each output value that terraform marks sensitive, before anything could print it. */
  mask?: (secret: string) => void;
}

export interface DeployReport {
  target: 'yandex' | 'local';
  image: string;
  digest: string;
  tool?: { name: ToolName; version: string; path: string; fromCache: boolean };
  plan?: PlanSummary;
  changed?: boolean;
  /** Where the saved plan was kept (planOut), or which saved plan was applied (applyPlan). */
  planFile?: string;
  /** The run stopped after the plan. */
  planOnly?: boolean;
  applied: boolean;
  url: string;
  httpsUrl: string;
  caFile: string;
  groupIds: Record<string, string>;
  rollout: GroupRollout[];
  folderId: string;
  failureReason?: DeployFailureReason;
  lockInfo?: LockInfo;
  error?: string;
  durationMs: number;
}


/** An image reference by digest, registry/repository@sha256:<64 hex>. */
export function checkImageReference(image: string): string {
  if (!DIGEST_REF.test(image)) {
    throw new DeployError(`image must be a reference by digest, registry/repository@sha256:<64 hex digits> (got "${image}")`, 'input');
  }
  return image.slice(image.indexOf('@') + 1);
}

export function emptyReport(target: 'yandex' | 'local', image: string): DeployReport {
  return { target, image, digest: '', applied: false, url: '', httpsUrl: '', caFile: '', groupIds: {}, rollout: [], folderId: '', durationMs: 0 };
}

/** Instance group ids from the outputs: `instance_group_ids` as a map (name -> id) or a list. */
export function groupIdsFrom(outputs: Record<string, { value: unknown }>): Record<string, string> {
  const value = outputs.instance_group_ids?.value;
  if (Array.isArray(value)) return Object.fromEntries(value.map((id, i) => [`group-${i + 1}`, String(id)]));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, String(v)]));
  return {};
}

async function resolveTool(o: CloudDeployOptions): Promise<InstalledTool> {
  const { tool } = o;
  if (tool.binary) return { tool: tool.tool, version: '', path: resolve(tool.binary), sha256: '', fromCache: false };
  try {
    return await installTool({ release: toolRelease(tool.tool, tool.version, tool.baseUrl), cache: tool.cache, log: o.log });
  } catch (err) {
    throw new DeployError(`installing ${tool.tool} ${tool.version}: ${(err as Error).message}`, 'install-failed');
  }
}

function rethrow(err: unknown): never {
  if (err instanceof TerraformError) throw new DeployError(err.message, err.reason, err.lockInfo);
  if (err instanceof RolloutError) throw new DeployError(err.message, err.reason);
  throw err;
}

/** Refuses a working directory without configuration: init would pass and plan fail with less to go on. */
export function checkConfiguration(dir: string): void {
  if (!existsSync(dir)) throw new DeployError(`working-directory ${dir} does not exist`, 'input');
  if (!readdirSync(dir).some((f) => f.endsWith('.tf') || f.endsWith('.tf.json'))) {
    throw new DeployError(`working-directory ${dir} holds no terraform configuration (*.tf, *.tf.json)`, 'input');
  }
}

/** The root module's `image` variable as a saved plan records it. */
export function plannedImage(plan: unknown): string {
  const value = (plan as { variables?: Record<string, { value?: unknown }> } | null)?.variables?.image?.value;
  return typeof value === 'string' ? value : '';
}

/** Whether a saved plan changes anything: a resource, or an output. */
export function planChanges(plan: unknown, summary: PlanSummary): boolean {
  const outputs = (plan as { output_changes?: Record<string, { actions?: string[] }> } | null)?.output_changes ?? {};
  return summary.resources.length > 0 || Object.values(outputs).some((c) => !(c.actions ?? []).every((a) => a === 'no-op'));
}

/** Reads a saved plan for applying: its summary, and its image, which must be the one asked for (if any). */
async function readSavedPlan(tf: Terraform, o: CloudDeployOptions, report: DeployReport): Promise<string> {
  const file = resolve(o.applyPlan!);
  if (!existsSync(file)) throw new DeployError(`apply-plan: ${file} does not exist (was the plan artifact downloaded?)`, 'input');
  const json = await tf.showPlanJson(file).catch(rethrow);
  const image = plannedImage(json);
  if (!image) throw new DeployError(`apply-plan: ${file} sets no "image" variable: not a plan of this root module`, 'input');
  if (o.image && o.image !== image) throw new DeployError(`apply-plan: the saved plan deploys ${image}, not the image input ${o.image}`, 'input');
  report.image = image;
  report.digest = checkImageReference(image);
  report.plan = summarizePlan(json);
  report.changed = planChanges(json, report.plan);
  report.planFile = file;
  return file;
}

/** Deploys `image` with the terraform configuration in workingDirectory; fills `report` as it goes. */
export async function deployCloud(o: CloudDeployOptions, report: DeployReport): Promise<DeployReport> {
  if (!o.applyPlan) report.digest = checkImageReference(o.image);
  else if (o.image) checkImageReference(o.image);
  checkConfiguration(o.workingDirectory);
  const installed = await o.phase('Install', () => resolveTool(o));
  const tf = new Terraform({ binary: installed.path, cwd: o.workingDirectory, env: o.env, log: o.log, lockTimeout: o.lockTimeout });
  // A given binary's version is asked while init runs (one process start less on the critical path).
  const version = installed.version ? Promise.resolve(installed.version) : tf.version().catch(() => '');
  const scratch = mkdtempSync(join(tmpdir(), 'shs-deploy-'));
  const planFile = join(scratch, 'tfplan');
  try {
    await o.phase('Init', () => tf.init(o.backendConfig)).catch(rethrow);
    report.tool = { name: installed.tool, version: await version, path: installed.path, fromCache: installed.fromCache };
    let toApply = planFile;
    if (o.applyPlan) {
      toApply = await o.phase('Saved plan', () => readSavedPlan(tf, o, report));
    } else {
      report.changed = await o
        .phase('Plan', () => tf.plan(planFile, { ...o.variables, image: o.image }, o.varFiles, o.lock ?? true))
        .catch(rethrow);
      // -detailed-exitcode 0 means no resource or output changes: nothing for show -json to list.
      report.plan = report.changed ? summarizePlan(await tf.showPlanJson(planFile).catch(rethrow)) : summarizePlan({});
    }
    if (o.planOnly) {
      report.planOnly = true;
      if (o.planOut) {
        const out = resolve(o.planOut);
        mkdirSync(dirname(out), { recursive: true });
        copyFileSync(planFile, out);
        report.planFile = out;
        o.log(`saved plan: ${out}`);
      }
      return report;
    }
    if (report.changed) {
      await o.phase('Apply', () => tf.apply(toApply)).catch(rethrow);
      report.applied = true;
    } else {
      o.log('no changes: nothing to apply');
    }
    const outputs = await tf.outputs().catch(rethrow);
    for (const out of Object.values(outputs)) if (out.sensitive && o.mask) maskValue(out.value, o.mask);
    report.url = typeof outputs.url?.value === 'string' ? outputs.url.value : '';
    report.httpsUrl = typeof outputs.https_url?.value === 'string' ? outputs.https_url.value : '';
    report.folderId = typeof outputs.folder_id?.value === 'string' ? outputs.folder_id.value : (o.env.YC_FOLDER_ID ?? '');
    report.groupIds = groupIdsFrom(outputs);
    const ids = Object.values(report.groupIds);
    if (ids.length === 0) {
      o.log('the configuration has no instance_group_ids output: no rollout to wait for');
      return report;
    }
    if (!o.token) throw new DeployError('watching the rollout needs Yandex Cloud credentials (yc-sa-json-credentials, yc-iam-token or yc-sa-id)', 'input');
    const token = o.token;
    report.rollout = await o
      .phase('Rollout', () =>
        waitForRollout({
          groupIds: ids,
          token,
          timeoutMs: o.rolloutTimeoutMs,
          log: o.log,
          ...(o.computeApi ? { apiBase: o.computeApi } : {}),
          ...(o.rolloutIntervalMs ? { intervalMs: o.rolloutIntervalMs } : {}),
        }),
      )
      .catch((err: unknown) => {
        if (err instanceof RolloutError) report.rollout = err.groups;
        return rethrow(err);
      });
    return report;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

function maskValue(value: unknown, mask: (s: string) => void): void {
  if (typeof value === 'string' && value) mask(value);
  else if (Array.isArray(value)) value.forEach((v) => maskValue(v, mask));
  else if (value && typeof value === 'object') Object.values(value).forEach((v) => maskValue(v, mask));
  else if (value !== null && value !== undefined) mask(String(value));
}

/** Records a failure on the report (the summary and the outputs are written from it either way). */
export function recordFailure(report: DeployReport, err: unknown): void {
  report.error = err instanceof Error ? err.message : String(err);
  report.failureReason = err instanceof DeployError ? err.reason : err instanceof InputError ? 'input' : 'error';
  if (err instanceof DeployError && err.lockInfo) report.lockInfo = err.lockInfo;
}
