/**
 * A counter: clients increment it and read it. Without knowing when concurrent increments took
 * effect, each read still has bounds (Jepsen's counter checker): it must include every increment
 * that completed `ok` before the read began, and may include any increment, `ok` or `info`, invoked
 * before the read completed — and nothing else.
 */
import type { History, Operation } from './history.ts';

export interface CounterBoundsError {
  read: Operation<'read'>;
  value: unknown;
  lower: number;
  upper: number;
}

export interface CounterCheckResult {
  valid: boolean;
  /** Reads checked (`ok` ones: a failed or unknown read says nothing). */
  reads: number;
  increments: number;
  /** The reads outside their bounds, in order of invocation. */
  errors: CounterBoundsError[];
}

/**
 * Check the `increment` and `read` operations of `key` (all of them if no key given). Increments
 * may be negative: a possible one then lowers the lower bound instead of raising the upper one.
 * Operations that touch at an instant count as concurrent (the reading that constrains least).
 */
export function checkCounter(history: History, options: { key?: string; initial?: number } = {}): CounterCheckResult {
  const initial = options.initial ?? 0;
  const ours = history.filter((o) => options.key === undefined || o.key === options.key);
  const increments = ours.filter((o): o is Operation<'increment'> => o.op === 'increment' && o.outcome.type !== 'fail');
  const reads = ours.filter((o): o is Operation<'read'> => o.op === 'read' && o.outcome.type === 'ok').sort((a, b) => a.invokedAt - b.invokedAt || a.id - b.id);
  // Two sweeps with prefix sums, O(n log n): "definite" = ok and completed before a time, sorted by
  // completion; "possible" = invoked by a time, sorted by invocation. Positive and negative parts apart.
  const definite = increments.filter((o) => o.outcome.type === 'ok').map((o) => ({ at: o.completedAt ?? Infinity, delta: o.args }));
  const possible = increments.map((o) => ({ at: o.invokedAt, delta: o.args }));
  const before = prefixSums(definite);
  const upTo = prefixSums(possible);
  const errors: CounterBoundsError[] = [];
  for (const read of reads) {
    const outcome = read.outcome as { type: 'ok'; value: unknown };
    const sure = before.sum((t) => t < read.invokedAt);
    const maybe = upTo.sum((t) => t <= (read.completedAt ?? Infinity));
    // Everything definite is also possible (completed before the read began, so invoked before it ended).
    const lower = initial + sure.positive + maybe.negative;
    const upper = initial + maybe.positive + sure.negative;
    const value = outcome.value;
    if (typeof value !== 'number' || value < lower || value > upper) errors.push({ read, value, lower, upper });
  }
  return { valid: errors.length === 0, reads: reads.length, increments: increments.length, errors };
}

/** Sums of the positive and negative deltas of the events at or before a time, by binary search. */
function prefixSums(events: { at: number; delta: number }[]) {
  events.sort((a, b) => a.at - b.at);
  const positive = new Float64Array(events.length + 1);
  const negative = new Float64Array(events.length + 1);
  events.forEach(({ delta }, i) => {
    positive[i + 1] = (positive[i] as number) + Math.max(0, delta);
    negative[i + 1] = (negative[i] as number) + Math.min(0, delta);
  });
  return {
    /** Over the longest prefix of events whose time satisfies `within` (a monotone predicate). */
    sum(within: (at: number) => boolean) {
      let low = 0;
      let high = events.length;
      while (low < high) {
        const middle = (low + high) >>> 1;
        if (within((events[middle] as { at: number }).at)) low = middle + 1;
        else high = middle;
      }
      return { positive: positive[low] as number, negative: negative[low] as number };
    },
  };
}
