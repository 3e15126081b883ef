// The service-level objectives file (monitoring/slo.yaml): parsed and validated in one place. Its consumers
// (the smoke thresholds, the Prometheus rules) take the typed result, never the YAML.
import { LineCounter, parseDocument } from 'yaml';

export const SLO_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH'] as const;
export type SloMethod = (typeof SLO_METHODS)[number];

/**
 * The bucket bounds (seconds) of the proxy's shs_proxy_request_duration_seconds: a latency objective counts
 * the requests under its bound from one bucket, so the bound must be one of them (proxy/lua/shs/metrics.lua).
 */
export const PROXY_LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.4, 0.8, 1, 1.5, 3, 6] as const;
/** The bucket bounds (seconds) of shs_proxy_cache_served_age_seconds, for the freshness bound. */
export const CACHE_AGE_BUCKETS = [1, 5, 10, 20, 30, 40, 50, 55, 60, 90, 120, 300] as const;

export interface Endpoint {
  method: SloMethod;
  /** The route pattern as the proxy labels it: /api/movie/{id}. */
  route: string;
}

export interface LatencyObjective {
  /** 90 for "p90 under below_ms". */
  percentile: number;
  belowMs: number;
}

export interface SloClass {
  name: string;
  description: string;
  endpoints: Endpoint[];
  /** Share of requests that must not fail (5xx), 0.99 for 99%; null: no availability objective. */
  availability: number | null;
  latency: LatencyObjective | null;
  /** The most a cached answer may be behind the origin; null: not a cached class. */
  maxStaleSeconds: number | null;
}

export interface Slo {
  /** As written ("30d"), and in seconds. */
  window: string;
  windowSeconds: number;
  overallAvailability: number | null;
  classes: SloClass[];
}

export class SloError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SloError';
  }
}

type Raw = Record<string, unknown>;

const DURATION = /^([1-9][0-9]*)([hdw])$/;
const UNIT_SECONDS: Record<string, number> = { h: 3600, d: 86400, w: 604800 };

function isObject(v: unknown): v is Raw {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** "99%", "99.5%" or 0.99 -> 0.99; strictly between 0 and 1. */
function ratio(path: string, v: unknown): number {
  let n: number;
  if (typeof v === 'string' && /^\d+(\.\d+)?%$/.test(v.trim())) n = Number(v.trim().slice(0, -1)) / 100;
  else if (typeof v === 'number') n = v;
  else throw new SloError(`${path}: expected a percentage like 99% or 99.5%, got ${JSON.stringify(v)}`);
  if (!(n > 0 && n < 1)) throw new SloError(`${path}: must be above 0% and below 100%, got ${JSON.stringify(v)}`);
  return n;
}

function only(path: string, obj: Raw, keys: string[]): void {
  for (const k of Object.keys(obj)) if (!keys.includes(k)) throw new SloError(`${path}: unknown key "${k}" (expected ${keys.join(', ')})`);
}

function endpoint(path: string, v: unknown): Endpoint {
  const m = typeof v === 'string' ? /^([A-Z]+) (\/[A-Za-z0-9_./{}-]*)$/.exec(v.trim()) : null;
  if (!m) throw new SloError(`${path}: expected "METHOD /route" like "GET /api/movie/{id}", got ${JSON.stringify(v)}`);
  if (!(SLO_METHODS as readonly string[]).includes(m[1]!)) throw new SloError(`${path}: unknown method ${m[1]} (expected ${SLO_METHODS.join(', ')})`);
  return { method: m[1] as SloMethod, route: m[2]! };
}

function latency(path: string, v: unknown): LatencyObjective {
  if (!isObject(v)) throw new SloError(`${path}: expected { percentile: 90, below_ms: 400 }`);
  only(path, v, ['percentile', 'below_ms']);
  const p = v.percentile;
  if (typeof p !== 'number' || !(p > 0 && p < 100)) throw new SloError(`${path}.percentile: expected a number above 0 and below 100, got ${JSON.stringify(p)}`);
  const ms = v.below_ms;
  const bounds = PROXY_LATENCY_BUCKETS.map((s) => Math.round(s * 1000));
  if (typeof ms !== 'number' || !bounds.includes(ms))
    throw new SloError(`${path}.below_ms: must be a bucket bound of shs_proxy_request_duration_seconds in ms (${bounds.join(', ')}), got ${JSON.stringify(ms)}`);
  return { percentile: p, belowMs: ms };
}

function sloClass(path: string, v: unknown, seen: Map<string, string>): SloClass {
  if (!isObject(v)) throw new SloError(`${path}: expected a mapping with name, endpoints and objectives`);
  only(path, v, ['name', 'description', 'endpoints', 'availability', 'latency', 'freshness']);
  const name = v.name;
  if (typeof name !== 'string' || !/^[a-z][a-z0-9-]{0,39}$/.test(name))
    throw new SloError(`${path}.name: expected lower-case letters, digits and -, starting with a letter, got ${JSON.stringify(name)}`);
  if (!Array.isArray(v.endpoints) || v.endpoints.length === 0) throw new SloError(`${path}.endpoints: expected a non-empty list of "METHOD /route"`);
  const endpoints = v.endpoints.map((e, i) => endpoint(`${path}.endpoints[${i}]`, e));
  for (const e of endpoints) {
    const key = `${e.method} ${e.route}`;
    const other = seen.get(key);
    if (other) throw new SloError(`${path}.endpoints: ${key} is already in class "${other}" (an endpoint belongs to one class)`);
    seen.set(key, name);
  }
  let maxStaleSeconds: number | null = null;
  if (v.freshness !== undefined) {
    const f = v.freshness;
    if (!isObject(f)) throw new SloError(`${path}.freshness: expected { max_stale_seconds: 60 }`);
    only(`${path}.freshness`, f, ['max_stale_seconds']);
    const s = f.max_stale_seconds;
    if (typeof s !== 'number' || !(CACHE_AGE_BUCKETS as readonly number[]).includes(s))
      throw new SloError(`${path}.freshness.max_stale_seconds: must be a bucket bound of shs_proxy_cache_served_age_seconds (${CACHE_AGE_BUCKETS.join(', ')}), got ${JSON.stringify(s)}`);
    maxStaleSeconds = s;
  }
  const out: SloClass = {
    name,
    description: typeof v.description === 'string' ? v.description : '',
    endpoints,
    availability: v.availability === undefined ? null : ratio(`${path}.availability`, v.availability),
    latency: v.latency === undefined ? null : latency(`${path}.latency`, v.latency),
    maxStaleSeconds,
  };
  if (out.availability === null && out.latency === null && out.maxStaleSeconds === null)
    throw new SloError(`${path}: has no objective (give availability, latency or freshness)`);
  return out;
}

/** Validates a parsed document; `file` names the source in errors. */
export function sloFromObject(doc: unknown, file = 'slo'): Slo {
  if (!isObject(doc)) throw new SloError(`${file}: expected a mapping with version, window, overall and classes`);
  const at = (p: string) => `${file}: ${p}`;
  try {
    only('top level', doc, ['version', 'window', 'overall', 'classes']);
    if (doc.version !== 1) throw new SloError(`version: expected 1, got ${JSON.stringify(doc.version)}`);
    const w = typeof doc.window === 'string' ? DURATION.exec(doc.window) : null;
    if (!w) throw new SloError(`window: expected a duration like 30d, 4w or 720h, got ${JSON.stringify(doc.window)}`);
    const windowSeconds = Number(w[1]) * UNIT_SECONDS[w[2]!]!;
    if (windowSeconds < 3 * 86400) throw new SloError(`window: must be at least 3d (the slowest burn-rate alert looks back 3 days), got ${doc.window}`);
    let overallAvailability: number | null = null;
    if (doc.overall !== undefined) {
      if (!isObject(doc.overall)) throw new SloError('overall: expected { availability: 99% }');
      only('overall', doc.overall, ['availability']);
      overallAvailability = ratio('overall.availability', doc.overall.availability);
    }
    if (!Array.isArray(doc.classes) || doc.classes.length === 0) throw new SloError('classes: expected a non-empty list');
    const seen = new Map<string, string>();
    const classes = doc.classes.map((c, i) => sloClass(`classes[${i}]`, c, seen));
    const names = new Set<string>();
    for (const c of classes) {
      if (names.has(c.name)) throw new SloError(`classes: the name "${c.name}" is used twice`);
      names.add(c.name);
    }
    return { window: doc.window as string, windowSeconds, overallAvailability, classes };
  } catch (err) {
    if (err instanceof SloError) throw new SloError(at(err.message));
    throw err;
  }
}

/** Parses the YAML text of an SLO file; errors name the file, the line and the key. */
export function parseSlo(text: string, file = 'slo.yaml'): Slo {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const pos = lines.linePos(e.pos[0]);
    throw new SloError(`${file}:${pos.line}: not valid YAML (${e.code})`);
  }
  return sloFromObject(doc.toJS(), file);
}

/** An endpoint as the smoke load and reports name it: the route for GET, "METHOD route" otherwise. */
export function endpointKey(e: Endpoint): string {
  return `${e.method} ${e.route}`;
}
