/**
 * Linearizable register histories on demand, to test and measure the checker: a plan of operations
 * (who, when, how long) is run against the sequential register, each operation taking effect at a
 * chosen instant inside its interval, so the history is linearizable by construction whatever the
 * overlaps. Plans come from fast-check in the specs and from a seeded generator in the bench.
 */
import type { Operation, Value } from './history.ts';

export interface PlannedOperation {
  process: number;
  key: string;
  op: 'read' | 'write' | 'cas';
  /** What a write writes, what a cas sets. */
  value: number;
  /** What a cas expects. */
  from: number;
  /** Time between the process's previous completion and this invocation (≥ 0). */
  gap: number;
  /** From invocation to completion (> 0). */
  duration: number;
  /** Where in its interval it takes effect, in [0, 1). */
  at: number;
  /**
   * `ok`; `info-applied`: unknown to the client, took effect — possibly late, up to three durations
   * after the invocation; `info-lost`: unknown to the client, never took effect.
   */
  fate: 'ok' | 'info-applied' | 'info-lost';
  /** How a refused cas completes: definitely (`fail`), or `ok` with `false`. */
  refusal: 'fail' | 'ok-false';
}

/** The history of `plan` (operations ids in plan order), linearizable by construction. */
export function plannedRegisterHistory(plan: readonly PlannedOperation[], initial: Value = null): Operation[] {
  const clock = new Map<number, number>();
  const placed = plan.map((step, id) => {
    const invokedAt = (clock.get(step.process) ?? 0) + step.gap;
    const completedAt = invokedAt + step.duration;
    clock.set(step.process, completedAt);
    const effectAt = step.fate === 'info-lost' ? undefined : invokedAt + step.at * step.duration * (step.fate === 'info-applied' ? 3 : 1);
    return { step, id, invokedAt, completedAt, effectAt };
  });
  const state = new Map<string, Value>();
  const operations: Operation[] = [];
  const effective = placed.filter((p) => p.effectAt !== undefined).sort((a, b) => (a.effectAt as number) - (b.effectAt as number) || a.id - b.id);
  const results = new Map<number, Operation>();
  for (const { step, id, invokedAt, completedAt } of effective) {
    const common = { id, process: step.process, key: step.key, invokedAt, completedAt };
    const current = state.has(step.key) ? (state.get(step.key) as Value) : initial;
    const known = step.fate === 'ok';
    if (step.op === 'read') {
      results.set(id, { ...common, op: 'read', args: null, outcome: known ? { type: 'ok', value: current } : { type: 'info' } });
    } else if (step.op === 'write') {
      state.set(step.key, step.value);
      results.set(id, { ...common, op: 'write', args: step.value, outcome: known ? { type: 'ok', value: null } : { type: 'info' } });
    } else {
      const swapped = current === step.from;
      if (swapped) state.set(step.key, step.value);
      const outcome = !known ? { type: 'info' as const } : swapped ? { type: 'ok' as const, value: true } : step.refusal === 'fail' ? { type: 'fail' as const } : { type: 'ok' as const, value: false };
      results.set(id, { ...common, op: 'cas', args: { from: step.from, to: step.value }, outcome });
    }
  }
  for (const { step, id, invokedAt, completedAt, effectAt } of placed) {
    if (effectAt !== undefined) operations.push(results.get(id) as Operation);
    else {
      const common = { id, process: step.process, key: step.key, invokedAt, completedAt, outcome: { type: 'info' as const } };
      if (step.op === 'read') operations.push({ ...common, op: 'read', args: null });
      else if (step.op === 'write') operations.push({ ...common, op: 'write', args: step.value });
      else operations.push({ ...common, op: 'cas', args: { from: step.from, to: step.value } });
    }
  }
  return operations;
}

/**
 * A random plan: `operations` over `keys` keys by `processes` processes, values in [0, values),
 * a fraction `infoRate` of unknown outcomes (half of them took effect). Seeded: the same plan each run.
 */
export function randomRegisterPlan(options: { seed: number; operations: number; keys: number; processes: number; values?: number; infoRate?: number }): PlannedOperation[] {
  let s = options.seed >>> 0 || 1;
  // mulberry32: small, fast, and good enough to shape a workload.
  const random = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(random() * n);
  const values = options.values ?? 10;
  const infoRate = options.infoRate ?? 0;
  return Array.from({ length: options.operations }, (): PlannedOperation => {
    const roll = random();
    const info = random() < infoRate;
    return {
      process: int(options.processes),
      key: `k${int(options.keys)}`,
      op: roll < 0.5 ? 'read' : roll < 0.8 ? 'write' : 'cas',
      value: int(values),
      from: int(values),
      gap: int(3),
      duration: 1 + int(10),
      at: random(),
      fate: !info ? 'ok' : random() < 0.5 ? 'info-applied' : 'info-lost',
      refusal: random() < 0.5 ? 'fail' : 'ok-false',
    };
  });
}
