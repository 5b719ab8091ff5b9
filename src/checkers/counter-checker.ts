/**
 * A counter: clients add to it (`add` with a number of any sign) and read it. Without knowing when
 * concurrent adds took effect, each read still has bounds (Jepsen's counter checker): it must
 * include every add that completed `ok` before the read began, and may include any add, `ok` or
 * `info`, invoked before the read completed — and nothing else.
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
  /** Adds counted (`ok` and `info` ones: a failed add never happened). */
  adds: number;
  /** The reads outside their bounds, in order of invocation. */
  errors: CounterBoundsError[];
}

/**
 * Check the `add` and `read` operations of `key` (all of them if no key given). Adds may be
 * negative: a possible one then lowers the lower bound instead of raising the upper one.
 * Operations that touch at an instant count as concurrent (the reading that constrains least).
 * An add of anything but a finite number is refused with an error naming it (a set's key, say).
 */
export function checkCounter(history: History, options: { key?: string; initial?: number } = {}): CounterCheckResult {
  const initial = options.initial ?? 0;
  const ours = history.filter((o) => options.key === undefined || o.key === options.key);
  const adds = ours.filter((o): o is Operation<'add'> => o.op === 'add' && o.outcome.type !== 'fail').map(counted);
  const reads = ours.filter((o): o is Operation<'read'> => o.op === 'read' && o.outcome.type === 'ok').sort((a, b) => a.invokedAt - b.invokedAt || a.id - b.id);
  // Two sweeps over running tallies, O(n log n): "definite" = ok and completed before a time, sorted by
  // completion; "possible" = invoked by a time, sorted by invocation. Positive and negative parts apart.
  const definite = adds.filter(({ add }) => add.outcome.type === 'ok').map(({ add, delta }) => ({ at: add.completedAt ?? Infinity, delta }));
  const possible = adds.map(({ add, delta }) => ({ at: add.invokedAt, delta }));
  const before = runningTallies(definite);
  const upTo = runningTallies(possible);
  const errors: CounterBoundsError[] = [];
  for (const read of reads) {
    const outcome = read.outcome as { type: 'ok'; value: unknown };
    const sure = before.through((t) => t < read.invokedAt);
    const maybe = upTo.through((t) => t <= (read.completedAt ?? Infinity));
    // Everything definite is also possible (completed before the read began, so invoked before it ended).
    const lower = initial + sure.positive + maybe.negative;
    const upper = initial + maybe.positive + sure.negative;
    const value = outcome.value;
    if (typeof value !== 'number' || value < lower || value > upper) errors.push({ read, value, lower, upper });
  }
  return { valid: errors.length === 0, reads: reads.length, adds: adds.length, errors };
}

/** An add's delta: a counter adds numbers, and a history that adds anything else is not a counter's. */
function counted(add: Operation<'add'>): { add: Operation<'add'>; delta: number } {
  const delta = add.args;
  if (typeof delta !== 'number' || !Number.isFinite(delta)) {
    throw new TypeError(`checkCounter: operation ${add.id}${add.key === undefined ? '' : ` on key ${add.key}`} adds ${JSON.stringify(delta)}, not a finite number (is this a set's key?)`);
  }
  return { add, delta };
}

/** Running tallies of the positive and negative deltas of the events at or before a time, by binary search. */
function runningTallies(events: { at: number; delta: number }[]) {
  events.sort((a, b) => a.at - b.at);
  const positive = new Float64Array(events.length + 1);
  const negative = new Float64Array(events.length + 1);
  events.forEach(({ delta }, i) => {
    positive[i + 1] = (positive[i] as number) + Math.max(0, delta);
    negative[i + 1] = (negative[i] as number) + Math.min(0, delta);
  });
  return {
    /** Over the longest prefix of events whose time satisfies `within` (a monotone predicate). */
    through(within: (at: number) => boolean) {
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
