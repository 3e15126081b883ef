// Waits until the instance groups that `terraform apply` changed have rolled out: every instance RUNNING_ACTUAL
// (on the group's current template) and the group at its target size. Terraform is not documented to wait for
// this, so the deploy polls the Compute REST API (InstanceGroupService Get and ListInstances).
// Pure-ish: no @actions/* import; HTTP through the global fetch; time, sleep and logging are injectable.

export const COMPUTE_API = 'https://compute.api.cloud.yandex.net/compute/v1';

export type RolloutFailureReason = 'rollout-timeout' | 'instances-unhealthy';

export interface RolloutInstance {
  name: string;
  /** ManagedInstance.Status, e.g. RUNNING_ACTUAL, RUNNING_OUTDATED, CHECKING_HEALTH. */
  status: string;
  statusMessage?: string;
}

export interface GroupRollout {
  id: string;
  name: string;
  /** InstanceGroup.Status: ACTIVE, PAUSED, STOPPED, ... ('UNKNOWN' until the API has answered). */
  status: string;
  targetSize: number;
  /** Counts from the instance list, which is the authority. */
  actual: number;
  outdated: number;
  processing: number;
  /** The group's own managedInstancesState counts, cross-checked against the list. */
  reported: { actual: number; outdated: number; processing: number };
  /** Live instances (DELETED ones left out), in the API's order. */
  instances: RolloutInstance[];
  done: boolean;
}

export interface RolloutOptions {
  groupIds: string[];
  /** IAM token provider (may refresh); asked once per poll. The token is never logged. */
  token: () => Promise<string>;
  apiBase?: string;
  timeoutMs: number;
  /** Between polls (default 10 s). */
  intervalMs?: number;
  /** Per HTTP request (default 30 s). */
  requestTimeoutMs?: number;
  /** Progress: one line per group per poll when something changed. */
  log?: (line: string) => void;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

export class RolloutError extends Error {
  override name = 'RolloutError';
  reason: RolloutFailureReason;
  /** Every group, done or not, in the order of groupIds. */
  groups: GroupRollout[];

  constructor(message: string, reason: RolloutFailureReason, groups: GroupRollout[]) {
    super(message);
    this.reason = reason;
    this.groups = groups;
  }
}

const ACTUAL = 'RUNNING_ACTUAL';
const OUTDATED = 'RUNNING_OUTDATED';
// Instances in these states already run the new template and wait on their own health or startup: stuck here at
// the deadline means the new version is unhealthy. Every other state short of RUNNING_ACTUAL (closing traffic,
// stopping, updating, creating, ...) means the rollout itself has not reached the instance yet.
const AWAITING_HEALTH = new Set(['AWAITING_STARTUP_DURATION', 'CHECKING_HEALTH', 'OPENING_TRAFFIC', 'AWAITING_WARMUP_DURATION', 'STOPPED']);
// Group states in which the group is still being changed or torn down: never a finished rollout.
const GROUP_IN_TRANSITION = new Set(['STARTING', 'DEPLOYING', 'STOPPING', 'DELETING']);
// ListInstances allows at most 1000 per page (instance_group_service.proto).
const PAGE_SIZE = 1000;
const MAX_PAGES = 100;

/** The Yandex Cloud console page of an instance group. */
export function consoleUrl(folderId: string, groupId: string): string {
  return `https://console.yandex.cloud/folders/${encodeURIComponent(folderId)}/compute/instance-group/${encodeURIComponent(groupId)}`;
}

// --- the JSON in, the state out ---------------------------------------------------------------------------------

/** An answer that is JSON but not the shape the API documents: waiting will not mend it. */
class MalformedAnswerError extends Error {}

function asObject(value: unknown, what: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new MalformedAnswerError(`${what}: expected a JSON object`);
  return value as Record<string, unknown>;
}

function asString(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

/** int64 fields come as JSON strings (proto3 JSON mapping); zero values may be left out altogether. */
function int64(value: unknown, field: string): number {
  if (value === undefined || value === null) return 0;
  const n = typeof value === 'string' && /^-?\d+$/.test(value) ? Number(value) : typeof value === 'number' ? value : Number.NaN;
  if (!Number.isSafeInteger(n)) throw new MalformedAnswerError(`${field}: expected an int64, got ${JSON.stringify(value)}`);
  return n;
}

function parseInstance(value: unknown, index: number): RolloutInstance {
  const o = asObject(value, `instances[${index}]`);
  const status = asString(o.status);
  if (!status) throw new MalformedAnswerError(`instances[${index}]: no "status"`);
  const name = asString(o.name) || asString(o.instanceId) || asString(o.id) || `#${index + 1}`;
  const statusMessage = asString(o.statusMessage);
  return statusMessage ? { name, status, statusMessage } : { name, status };
}

function isDone(g: Omit<GroupRollout, 'done'>): boolean {
  const listDone = g.targetSize > 0 && g.instances.every((i) => i.status === ACTUAL) && g.actual === g.targetSize && g.outdated === 0 && g.processing === 0;
  // managedInstancesState and the list are separate views that may lag each other: wait until both agree.
  const stateAgrees = g.reported.actual === g.targetSize && g.reported.outdated === 0 && g.reported.processing === 0;
  return listDone && stateAgrees && !GROUP_IN_TRANSITION.has(g.status);
}

/** Pure: an InstanceGroup and its ManagedInstances (Compute API JSON) in, the rollout state out. */
export function summarizeGroup(group: unknown, instances: unknown[]): GroupRollout {
  const g = asObject(group, 'instance group');
  const id = asString(g.id);
  const state = g.managedInstancesState === undefined ? {} : asObject(g.managedInstancesState, 'managedInstancesState');
  // A DELETED instance is gone; it neither counts toward the target size nor holds the rollout back.
  const live = instances.map(parseInstance).filter((i) => i.status !== 'DELETED');
  const actual = live.filter((i) => i.status === ACTUAL).length;
  const outdated = live.filter((i) => i.status === OUTDATED).length;
  const summary = {
    id,
    name: asString(g.name) || id,
    status: asString(g.status) || 'UNKNOWN',
    targetSize: int64(state.targetSize, 'managedInstancesState.targetSize'),
    actual,
    outdated,
    processing: live.length - actual - outdated,
    reported: {
      actual: int64(state.runningActualCount, 'managedInstancesState.runningActualCount'),
      outdated: int64(state.runningOutdatedCount, 'managedInstancesState.runningOutdatedCount'),
      processing: int64(state.processingCount, 'managedInstancesState.processingCount'),
    },
    instances: live,
  };
  return { ...summary, done: isDone(summary) };
}

// --- HTTP --------------------------------------------------------------------------------------------------------

class HttpStatusError extends Error {
  constructor(
    readonly status: number,
    readonly url: string,
    readonly detail: string,
  ) {
    super(`GET ${url} answered ${status}${detail ? `: ${detail}` : ''}`);
  }
}

/** The `message` of the API's google.rpc.Status error body, else the start of the body. */
function errorDetail(text: string): string {
  try {
    const body = JSON.parse(text) as { message?: unknown };
    if (typeof body.message === 'string') return body.message;
  } catch {
    /* not JSON: use the text */
  }
  return text.replace(/\s+/g, ' ').trim().slice(0, 200);
}

function describeFetchError(err: unknown, timeoutMs: number): string {
  const e = err as Error & { cause?: { code?: string; message?: string } };
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError') return `no answer within ${timeoutMs} ms`;
  const cause = e?.cause?.code ?? e?.cause?.message;
  return `${e?.message ?? String(err)}${cause ? ` (${cause})` : ''}`;
}

async function getJson(url: string, token: string, timeoutMs: number): Promise<unknown> {
  let status: number;
  let text: string;
  try {
    const res = await fetch(url, { headers: { authorization: `Bearer ${token}`, accept: 'application/json' }, signal: AbortSignal.timeout(timeoutMs) });
    status = res.status;
    text = await res.text();
  } catch (err) {
    throw new Error(`GET ${url} failed: ${describeFetchError(err, timeoutMs)}`);
  }
  if (status < 200 || status > 299) throw new HttpStatusError(status, url, errorDetail(text));
  try {
    return JSON.parse(text);
  } catch {
    // A proxy's HTML page, a cut-off body: transient as far as we can tell.
    throw new Error(`GET ${url} answered ${status} with a body that is not JSON`);
  }
}

interface Api {
  base: string;
  token: string;
  timeoutMs: number;
}

function groupUrl(api: Api, id: string): string {
  return `${api.base}/instanceGroups/${encodeURIComponent(id)}`;
}

async function listInstances(api: Api, id: string): Promise<unknown[]> {
  const all: unknown[] = [];
  let pageToken = '';
  for (let page = 0; page < MAX_PAGES; page++) {
    const query = new URLSearchParams({ pageSize: String(PAGE_SIZE) });
    if (pageToken) query.set('pageToken', pageToken);
    const body = asObject(await getJson(`${groupUrl(api, id)}/instances?${query}`, api.token, api.timeoutMs), 'instance list');
    if (body.instances !== undefined && !Array.isArray(body.instances)) throw new MalformedAnswerError('instance list: "instances" is not an array');
    all.push(...((body.instances as unknown[] | undefined) ?? []));
    const next = asString(body.nextPageToken);
    if (!next) return all;
    if (next === pageToken) throw new MalformedAnswerError(`instance list: nextPageToken "${next}" repeats`);
    pageToken = next;
  }
  throw new MalformedAnswerError(`instance list: more than ${MAX_PAGES} pages`);
}

// --- polling -----------------------------------------------------------------------------------------------------

interface Track {
  id: string;
  last?: GroupRollout;
  lastLine?: string;
  lastError?: string;
}

interface Settings {
  base: string;
  intervalMs: number;
  requestTimeoutMs: number;
  log: (line: string) => void;
  sleep: (ms: number) => Promise<void>;
  now: () => number;
}

const label = (t: Track) => t.last?.name ?? t.id;

function progressLine(g: GroupRollout): string {
  const waiting = [...new Set(g.instances.map((i) => i.status).filter((s) => s !== ACTUAL && s !== OUTDATED))];
  const r = g.reported;
  const disagrees = r.actual !== g.actual || r.outdated !== g.outdated || r.processing !== g.processing;
  return (
    `${g.name}: ${g.actual}/${g.targetSize} actual, ${g.outdated} outdated, ${g.processing} processing` +
    (waiting.length ? ` (${waiting.join(', ')})` : '') +
    (g.status !== 'ACTIVE' ? `; group ${g.status}` : '') +
    (disagrees ? `; group state says ${r.actual} actual, ${r.outdated} outdated, ${r.processing} processing` : '') +
    (g.done ? ' - done' : '')
  );
}

/** 401/403/404 and other client errors will not mend by waiting; 429, 5xx and network errors may. */
function fatalError(err: unknown, t: Track): Error | undefined {
  if (err instanceof MalformedAnswerError) return new Error(`instance group ${t.id}: unexpected answer from the Compute API: ${err.message}`);
  if (!(err instanceof HttpStatusError) || err.status === 408 || err.status === 429 || err.status >= 500) return undefined;
  if (err.status === 404) return new Error(`instance group ${t.id} not found (${err.message})`);
  if (err.status === 401 || err.status === 403)
    return new Error(`instance group ${label(t)}: the Compute API refused access (${err.status}): ${err.message}. Check the IAM token and the service account's roles on the folder`);
  return new Error(`instance group ${label(t)}: ${err.message}`);
}

async function pollGroup(t: Track, api: Api, s: Settings): Promise<void> {
  let group: unknown;
  let instances: unknown[];
  try {
    group = await getJson(groupUrl(api, t.id), api.token, api.timeoutMs);
    instances = await listInstances(api, t.id);
  } catch (err) {
    const fatal = fatalError(err, t);
    if (fatal) throw fatal;
    t.lastError = (err as Error).message;
    s.log(`${label(t)}: ${t.lastError} (retrying at the next poll)`);
    return;
  }
  try {
    t.last = summarizeGroup(group, instances);
  } catch (err) {
    throw fatalError(err, t) ?? err;
  }
  t.lastError = undefined;
  const line = progressLine(t.last);
  if (line !== t.lastLine) s.log(line);
  t.lastLine = line;
}

function placeholder(id: string): GroupRollout {
  return { id, name: id, status: 'UNKNOWN', targetSize: 0, actual: 0, outdated: 0, processing: 0, reported: { actual: 0, outdated: 0, processing: 0 }, instances: [], done: false };
}

/** Unhealthy: the group reached its size on the new template, but some instances never passed their checks. */
function isUnhealthy(g: GroupRollout | undefined): boolean {
  if (!g || g.targetSize === 0 || g.instances.length < g.targetSize || g.outdated > 0 || g.reported.outdated > 0) return false;
  if (GROUP_IN_TRANSITION.has(g.status)) return false;
  const waiting = g.instances.filter((i) => i.status !== ACTUAL);
  return waiting.length > 0 && waiting.every((i) => AWAITING_HEALTH.has(i.status));
}

function describeUnfinished(t: Track): string[] {
  const lines = [`  ${t.last ? progressLine(t.last) : `${t.id}: no answer from the Compute API`}`];
  for (const i of t.last?.instances ?? []) lines.push(`    ${i.name}: ${i.status}${i.statusMessage ? ` (${i.statusMessage})` : ''}`);
  if (t.lastError) lines.push(`    last error: ${t.lastError}`);
  return lines;
}

function timeoutError(tracks: Track[], timeoutMs: number): RolloutError {
  const unfinished = tracks.filter((t) => !t.last?.done);
  const reason: RolloutFailureReason = unfinished.every((t) => isUnhealthy(t.last)) ? 'instances-unhealthy' : 'rollout-timeout';
  const seconds = Math.round(timeoutMs / 1000);
  const n = `${unfinished.length} instance group${unfinished.length === 1 ? '' : 's'}`;
  const head =
    reason === 'rollout-timeout'
      ? `rollout not finished after ${seconds} s: ${n} not fully on the new template`
      : `instances not healthy after ${seconds} s: ${n} on the new template with instances that never became RUNNING_ACTUAL`;
  const message = [head, ...unfinished.flatMap(describeUnfinished)].join('\n');
  return new RolloutError(message, reason, tracks.map((t) => t.last ?? placeholder(t.id)));
}

function settingsOf(o: RolloutOptions): Settings {
  return {
    base: (o.apiBase ?? COMPUTE_API).replace(/\/+$/, ''),
    intervalMs: o.intervalMs ?? 10_000,
    requestTimeoutMs: o.requestTimeoutMs ?? 30_000,
    log: o.log ?? (() => {}),
    sleep: o.sleep ?? ((ms) => new Promise<void>((resolve) => setTimeout(resolve, ms))),
    now: o.now ?? Date.now,
  };
}

/**
 * Polls every group until all are done; resolves with their final state, in the order of groupIds.
 * Throws a plain Error at once on 401/403/404 (and other client errors), a RolloutError at the deadline.
 */
export async function waitForRollout(o: RolloutOptions): Promise<GroupRollout[]> {
  const s = settingsOf(o);
  const deadline = s.now() + o.timeoutMs;
  const tracks: Track[] = [...new Set(o.groupIds)].map((id) => ({ id }));
  for (;;) {
    const pending = tracks.filter((t) => !t.last?.done);
    if (pending.length === 0) return tracks.map((t) => t.last!);
    const api: Api = { base: s.base, token: await o.token(), timeoutMs: s.requestTimeoutMs };
    await Promise.all(pending.map((t) => pollGroup(t, api, s)));
    if (tracks.every((t) => t.last?.done)) continue;
    const left = deadline - s.now();
    if (left <= 0) throw timeoutError(tracks, o.timeoutMs);
    await s.sleep(Math.min(s.intervalMs, left));
  }
}
