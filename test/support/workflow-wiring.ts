// Checks how workflows use this repository's own actions, which actionlint cannot see (it does not read
// local action.yml files): every `uses: ./actions/x` passes only inputs x declares and all it requires,
// every steps.<id>.outputs.<name> names a step of the job and an output its action declares, every
// needs.<job>.outputs.<name> an output the job declares; no deprecated input (deprecationMessage) is used;
// third-party actions are pinned by commit SHA and every job states its permissions.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

interface ActionSpec {
  inputs: Record<string, { required?: boolean; default?: unknown; deprecationMessage?: string }>;
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
          for (const input of given) if (spec.inputs[input]?.deprecationMessage) problems.push(`${at}: ${step.uses} input "${input}" is deprecated: ${spec.inputs[input].deprecationMessage}`);
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

// npm install scripts. npm 11 honours package.json's allowScripts, but the npm a runner has may not, and then
// `npm ci` runs every dependency's install script in a job that may hold id-token: write or secrets. So every
// npm command that installs (ci, install, add, update, rebuild...) must say --ignore-scripts, and every script
// of ours that runs `npm ci` inside (./dev setup|up|test|bench, .ci/run) must run with
// npm_config_ignore_scripts=true in its environment (kept through sudo).
const INSTALLING = new Set([
  'ci', 'clean-install', 'ic', 'install-clean', 'isntall-clean', 'install', 'i', 'in', 'ins', 'inst', 'insta', 'instal', 'isnt', 'isnta', 'isntal', 'isntall',
  'add', 'install-test', 'it', 'install-ci-test', 'cit', 'clean-install-test', 'sit', 'update', 'up', 'upgrade', 'udpate', 'rebuild', 'rb',
]);
const IGNORE_SCRIPTS_ENV = 'npm_config_ignore_scripts';

interface RunStep extends Step {
  run?: string;
  env?: Record<string, unknown>;
}

const ignoresScripts = (env: Record<string, unknown> | undefined) =>
  Object.entries(env ?? {}).some(([k, v]) => k.toLowerCase() === IGNORE_SCRIPTS_ENV && String(v).trim().toLowerCase() === 'true');

/** One shell command's words, split on && || ; | and newlines (quotes kept as they are: enough for these checks). */
function commands(script: string): string[][] {
  return script
    .replace(/\\\n/g, ' ')
    .split(/&&|\|\||[;|\n]/)
    .map((c) => c.trim().split(/\s+/).filter(Boolean))
    .filter((words) => words.length > 0 && !words[0]!.startsWith('#'));
}

export function checkInstallScripts(name: string, text: string): string[] {
  const problems: string[] = [];
  const wf = parse(text) as Workflow & { env?: Record<string, unknown>; jobs?: Record<string, Job & { env?: Record<string, unknown> }> };
  for (const [jobId, job] of Object.entries(wf.jobs ?? {})) {
    (job.steps ?? []).forEach((raw, i) => {
      const step = raw as RunStep;
      if (typeof step.run !== 'string') return;
      const at = `${name} jobs.${jobId} step ${step.id ?? i + 1}`;
      const envIgnores = ignoresScripts(wf.env) || ignoresScripts(job.env) || ignoresScripts(step.env);
      for (const words of commands(step.run)) {
        const inline = words.findIndex((w) => !/^[A-Za-z_][A-Za-z0-9_]*=/.test(w));
        const assigned = words.slice(0, inline < 0 ? words.length : inline).some((w) => w.toLowerCase() === `${IGNORE_SCRIPTS_ENV}=true`);
        const npm = words.indexOf('npm');
        if (npm >= 0) {
          const sub = words.slice(npm + 1).find((w) => !w.startsWith('-'));
          if (sub && INSTALLING.has(sub) && !words.includes('--ignore-scripts') && !words.includes('--ignore-scripts=true'))
            problems.push(`${at}: "npm ${sub}" runs the dependencies' install scripts: add --ignore-scripts (and run the one script needed, the build, by name)`);
        }
        const ours = words.findIndex((w, j) => /^(\.\/)?\.ci\/run$/.test(w) || (/^(\.\/)?dev$/.test(w) && ['setup', 'up', 'test', 'bench'].includes(words[j + 1] ?? '')));
        if (ours < 0) continue;
        const what = words[ours]!.endsWith('run') ? '.ci/run' : `./dev ${words[ours + 1]}`;
        if (!envIgnores && !assigned) {
          problems.push(`${at}: ${what} runs npm ci: set ${IGNORE_SCRIPTS_ENV}: 'true' in the step's env`);
          continue;
        }
        const sudo = words.indexOf('sudo');
        if (sudo >= 0 && sudo < ours && !assigned) {
          const opts = words.slice(sudo + 1, ours);
          const kept = opts.some((o) => o === '-E' || o === '--preserve-env' || (o.startsWith('--preserve-env=') && o.slice('--preserve-env='.length).split(',').some((v) => v.toLowerCase() === IGNORE_SCRIPTS_ENV)));
          if (!kept) problems.push(`${at}: sudo drops ${IGNORE_SCRIPTS_ENV} before ${what}: add it to --preserve-env`);
        }
      }
    });
  }
  return problems;
}
