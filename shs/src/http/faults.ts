// The fault switch for resilience tests. The HTTP route that flips it exists only when faults.enabled is true.
export type FaultMode = 'healthy' | 'sick' | 'slow' | 'crash';
export const FAULT_MODES: readonly FaultMode[] = ['healthy', 'sick', 'slow', 'crash'];

export class FaultState {
  mode: Exclude<FaultMode, 'crash'> = 'healthy';
}
