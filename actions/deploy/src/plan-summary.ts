// What a saved plan will do, from `show -json`: one row per resource that changes, and the totals that
// terraform prints as "Plan: N to add, N to change, N to destroy" (replacements counted on their own).
export type ChangeKind = 'create' | 'update' | 'delete' | 'replace' | 'read';

export interface ResourceChange {
  address: string;
  kind: ChangeKind;
  /** For replacements: the attributes that force them. */
  because?: string[];
}

export interface PlanSummary {
  add: number;
  change: number;
  destroy: number;
  replace: number;
  resources: ResourceChange[];
}

interface RawChange {
  address?: string;
  mode?: string;
  change?: { actions?: string[]; replace_paths?: unknown[][] };
}

function kindOf(actions: string[]): ChangeKind | undefined {
  const key = actions.join(',');
  switch (key) {
    case 'create':
      return 'create';
    case 'update':
      return 'update';
    case 'delete':
      return 'delete';
    case 'delete,create':
    case 'create,delete':
      return 'replace';
    case 'read':
      return 'read';
    default:
      return undefined; // no-op, forget
  }
}

export function summarizePlan(plan: unknown): PlanSummary {
  const raw = (plan as { resource_changes?: RawChange[] } | null)?.resource_changes ?? [];
  const resources: ResourceChange[] = [];
  for (const rc of raw) {
    const kind = kindOf(rc.change?.actions ?? []);
    if (!kind || !rc.address) continue;
    const because = kind === 'replace' ? (rc.change?.replace_paths ?? []).map((p) => p.join('.')).filter(Boolean) : [];
    resources.push({ address: rc.address, kind, ...(because.length ? { because } : {}) });
  }
  const count = (k: ChangeKind) => resources.filter((r) => r.kind === k).length;
  return { add: count('create'), change: count('update'), destroy: count('delete'), replace: count('replace'), resources };
}

const SYMBOL: Record<ChangeKind, string> = { create: '+ create', update: '~ update', delete: '- destroy', replace: '-/+ replace', read: '<= read' };

export function planTotals(s: PlanSummary): string {
  return `${s.add} to add, ${s.change} to change, ${s.destroy} to destroy, ${s.replace} to replace`;
}

/** A markdown table of the changes (at most `limit` rows, then a count of the rest). */
export function planTable(s: PlanSummary, limit = 100): string {
  if (s.resources.length === 0) return 'No changes: the infrastructure matches the configuration.';
  const rows = s.resources.slice(0, limit).map((r) => `| \`${r.address}\` | ${SYMBOL[r.kind]} | ${r.because?.map((b) => `\`${b}\``).join(', ') ?? ''} |`);
  const more = s.resources.length > limit ? `\n\n…and ${s.resources.length - limit} more.` : '';
  return `| resource | change | forced by |\n|---|---|---|\n${rows.join('\n')}${more}`;
}
