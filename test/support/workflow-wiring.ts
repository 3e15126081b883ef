// Checks how workflows use this repository's own actions, which actionlint cannot see (it does not read
// local action.yml files): every `uses: ./actions/x` passes only inputs x declares and all it requires,
// every steps.<id>.outputs.<name> names a step of the job and an output its action declares, every
// needs.<job>.outputs.<name> an output the job declares; third-party actions are pinned by commit SHA and
// every job states its permissions.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

interface ActionSpec {
  inputs: Record<string, { required?: boolean; default?: unknown }>;
  outputs: Record<string, unknown>;
}

interface Step {
  id?: string;
  uses?: string;
  with?: Record<string, unknown>;
}

interface Job {
  needs?: string | string[];
  permissions?: unknown;
  outputs?: Record<string, string>;
  steps?: Step[];
}

interface Workflow {
  permissions?: unknown;
  jobs?: Record<string, Job>;
}

const loadAction = (root: string, ref: string): ActionSpec | undefined => {
  const file = join(root, ref, 'action.yml');
  if (!existsSync(file)) return undefined;
  const spec = parse(readFileSync(file, 'utf8')) as Partial<ActionSpec>;
  return { inputs: spec.inputs ?? {}, outputs: spec.outputs ?? {} };
};

/** Every string inside a value (expressions live in with:, env:, run:, if:, outputs: ...). */
function strings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(strings);
  if (value && typeof value === 'object') return Object.values(value).flatMap(strings);
  return [];
}

export function checkWiring(root: string, name: string, text: string): string[] {
  const problems: string[] = [];
  const wf = parse(text) as Workflow;
  if (wf.permissions === undefined) problems.push(`${name}: no top-level permissions (use {} and grant per job)`);
  for (const [jobId, job] of Object.entries(wf.jobs ?? {})) {
    const where = `${name} jobs.${jobId}`;
    if (job.permissions === undefined) problems.push(`${where}: no permissions`);
    const steps = job.steps ?? [];
    const byId = new Map<string, ActionSpec | null>();
    steps.forEach((step, i) => {
      const at = `${where} step ${step.id ?? i + 1}`;
      let spec: ActionSpec | null = null;
      if (step.uses?.startsWith('./')) {
        const loaded = loadAction(root, step.uses);
        if (!loaded) problems.push(`${at}: ${step.uses}/action.yml does not exist`);
        else {
          spec = loaded;
          const given = Object.keys(step.with ?? {});
          for (const input of given) if (!(input in spec.inputs)) problems.push(`${at}: ${step.uses} has no input "${input}"`);
          for (const [input, def] of Object.entries(spec.inputs)) {
            if (def.required && def.default === undefined && !given.includes(input)) problems.push(`${at}: ${step.uses} requires input "${input}"`);
          }
        }
      } else if (step.uses && !step.uses.startsWith('docker://') && !/@[0-9a-f]{40}$/.test(step.uses.split(' ')[0]!)) {
        problems.push(`${at}: ${step.uses} is not pinned by a full commit SHA`);
      }
      if (step.id) byId.set(step.id, spec);
    });
    const needs = new Set([job.needs ?? []].flat());
    for (const s of strings(job)) {
      for (const [, id, output] of s.matchAll(/steps\.([\w-]+)\.outputs\.([\w-]+)/g)) {
        if (!byId.has(id!)) problems.push(`${where}: steps.${id} is not a step of this job`);
        else {
          const spec = byId.get(id!);
          if (spec && !(output! in spec.outputs)) problems.push(`${where}: steps.${id}.outputs.${output}: the action declares no output "${output}"`);
        }
      }
      for (const [, other, output] of s.matchAll(/needs\.([\w-]+)\.outputs\.([\w-]+)/g)) {
        if (!needs.has(other!)) problems.push(`${where}: needs.${other} is not in this job's needs`);
        else if (!(output! in (wf.jobs?.[other!]?.outputs ?? {}))) problems.push(`${where}: needs.${other}.outputs.${output}: job ${other} declares no such output`);
      }
    }
  }
  return problems;
}
