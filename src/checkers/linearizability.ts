/**
 * Linearizability of key-value registers (read, write, compare-and-set), checked from a history.
 *
 * A history is linearizable when every operation can be given one instant between its invocation
 * and its completion such that, taken in the order of those instants, the operations are a legal
 * run of the sequential register. The search is Wing & Gong's, with Lowe's memoisation ("Testing
 * for linearizability", 2017; the same as Porcupine): walk the invocations and completions in time
 * order; at each invocation, try to linearize that operation now (the model must accept it), then
 * start again from the earliest event left; at a completion whose operation is not yet linearized,
 * undo the last choice. A configuration (set of linearized operations, register value) already seen
 * is not explored twice: that cache is what makes the search practical.
 *
 * Keys are independent registers, so each is checked on its own (linearizability is compositional):
 * small searches instead of one huge one.
 *
 * Outcomes: `fail` operations definitely did not happen and are dropped; `info` reads constrain
 * nothing and are dropped; `info` writes and cas may take effect at any time after their
 * invocation or never — their completion is taken as +∞ and the search may leave them out.
 */
import type { History, Operation, Value } from './history.ts';

export interface LinearizabilityOptions {
  /**
   * The search's bound, per key (and per search while shrinking a violation): past this many
   * steps the key's verdict is `unknown`. An unfinished search proves nothing either way.
   */
  maxSteps?: number;
  /** The value of a key never written (what a read of it returns). Default `null`. */
  initial?: Value;
}

export const DEFAULT_MAX_STEPS = 10_000_000;

export type KeyVerdict = 'linearizable' | 'violation' | 'unknown';

export interface KeyStats {
  key: string;
  /** Operations the search had to place (after dropping `fail`s and `info` reads). */
  operations: number;
  /** Operations of this key dropped before the search: `fail`, or `info` reads. */
  dropped: number;
  /** Search steps on the whole key (shrinking a violation not counted). */
  steps: number;
  verdict: KeyVerdict;
}

export type LinearizabilityResult =
  | { verdict: 'linearizable'; keys: KeyStats[] }
  /**
   * `window`: recorded operations of `key` (all `ok`), in order of invocation, that cannot be
   * linearized on their own, and each of which is needed: see `minimalWindow`.
   */
  | { verdict: 'violation'; key: string; window: Operation[]; keys: KeyStats[] }
  | { verdict: 'unknown'; key: string; reason: string; keys: KeyStats[] };

/** The register operations, the only ones this checker reads. */
type RegisterOperation = Operation<'read' | 'write' | 'cas'>;

const isRegisterOperation = (operation: Operation): operation is RegisterOperation =>
  operation.op === 'read' || operation.op === 'write' || operation.op === 'cas';

/** The key a history's operation is grouped under: those without a key form one register. */
const keyOf = (operation: Operation) => operation.key ?? '';

/**
 * Check a history of register operations; other kinds (`add`) are ignored. A violation
 * on one key wins over `unknown` on another: a violation found is a violation, whatever the rest.
 */
export function checkLinearizable(history: History, options: LinearizabilityOptions = {}): LinearizabilityResult {
  const maxSteps = options.maxSteps ?? DEFAULT_MAX_STEPS;
  const initial = options.initial ?? null;
  const byKey = new Map<string, RegisterOperation[]>();
  for (const operation of history) {
    if (!isRegisterOperation(operation)) continue;
    const list = byKey.get(keyOf(operation));
    if (list) list.push(operation);
    else byKey.set(keyOf(operation), [operation]);
  }
  const keys: KeyStats[] = [];
  let unknown: { key: string; reason: string } | undefined;
  for (const [key, operations] of [...byKey].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const kept = operations.filter(mayMatter);
    const search = searchLinearization(kept, initial, maxSteps);
    keys.push({ key, operations: kept.length, dropped: operations.length - kept.length, steps: search.steps, verdict: search.verdict });
    if (search.verdict === 'violation') {
      return { verdict: 'violation', key, window: minimalWindow(kept, initial, maxSteps), keys };
    }
    if (search.verdict === 'unknown' && !unknown) {
      unknown = { key, reason: `key ${JSON.stringify(key)}: no verdict within ${maxSteps} search steps (${kept.length} operations)` };
    }
  }
  return unknown ? { verdict: 'unknown', ...unknown, keys } : { verdict: 'linearizable', keys };
}

/** `fail` did not happen; an `info` read changed nothing and returned nothing known. */
const mayMatter = (operation: RegisterOperation) => operation.outcome.type !== 'fail' && !(operation.op === 'read' && operation.outcome.type === 'info');

/** An initial value known only to be one of these: the search succeeds if any of them makes the history linearizable. */
export interface OneOf {
  oneOf: readonly Value[];
}

export interface SearchResult {
  verdict: KeyVerdict;
  steps: number;
}

/**
 * Wing–Gong–Lowe on one key's operations (none `fail`; any `info` is optional). Exported for the
 * specs; `checkLinearizable` is the entry point.
 */
export function searchLinearization(operations: readonly RegisterOperation[], initial: Value | OneOf, maxSteps: number): SearchResult {
  const n = operations.length;
  // Register values as small integers: the model's state is one number, cheap to cache and compare.
  const ids = new Map<Value, number>();
  const idOf = (value: Value) => {
    let id = ids.get(value);
    if (id === undefined) ids.set(value, (id = ids.size));
    return id;
  };
  // Each operation as a transition on value ids: the next state, or IMPOSSIBLE where its observed
  // outcome cannot follow that state.
  const kind = new Uint8Array(n);
  const a = new Int32Array(n);
  const b = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const operation = operations[i] as RegisterOperation;
    const outcome = operation.outcome;
    if (operation.op === 'read') {
      kind[i] = READ;
      a[i] = idOf(outcome.type === 'ok' ? outcome.value : null);
    } else if (operation.op === 'write') {
      kind[i] = WRITE;
      a[i] = idOf(operation.args);
    } else {
      // An info cas either swapped or found another value (no effect: the same as never happening).
      kind[i] = outcome.type !== 'ok' ? CAS_MAYBE : outcome.value ? CAS_SWAPPED : CAS_REFUSED;
      a[i] = idOf(operation.args.from);
      b[i] = idOf(operation.args.to);
    }
  }
  const step = (i: number, state: number): number => {
    switch (kind[i]) {
      case READ:
        return state === a[i] ? state : IMPOSSIBLE;
      case WRITE:
        return a[i] as number;
      case CAS_SWAPPED:
        return state === a[i] ? (b[i] as number) : IMPOSSIBLE;
      case CAS_REFUSED:
        return state !== a[i] ? state : IMPOSSIBLE;
      default:
        return state === a[i] ? (b[i] as number) : state;
    }
  };

  // Events: entry 0 is the list's head; then a call and (unless info) a return per operation, in
  // time order. At equal times calls come first: operations that touch at an instant are taken as
  // concurrent, the reading that constrains least (it never invents a violation).
  type Event = { time: number; operation: number; call: boolean };
  const events: Event[] = [];
  let returns = 0;
  for (let i = 0; i < n; i++) {
    const operation = operations[i] as RegisterOperation;
    events.push({ time: operation.invokedAt, operation: i, call: true });
    if (operation.outcome.type === 'ok') {
      events.push({ time: operation.completedAt ?? Infinity, operation: i, call: false });
      returns++;
    }
  }
  events.sort((x, y) => x.time - y.time || (x.call === y.call ? x.operation - y.operation : x.call ? -1 : 1));
  const size = events.length + 1;
  const next = new Int32Array(size);
  const prev = new Int32Array(size);
  const opOf = new Int32Array(size);
  const isCall = new Uint8Array(size);
  const match = new Int32Array(size).fill(NONE);
  const callEntry = new Int32Array(n);
  for (let e = 0; e < size; e++) {
    next[e] = e + 1 < size ? e + 1 : NONE;
    prev[e] = e - 1;
  }
  events.forEach((event, index) => {
    const e = index + 1;
    opOf[e] = event.operation;
    isCall[e] = event.call ? 1 : 0;
    if (event.call) callEntry[event.operation] = e;
    else match[callEntry[event.operation] as number] = e;
  });
  // Take a call (and its return) out of the list, and put them back: the order undoes the removal.
  const lift = (e: number) => {
    next[prev[e] as number] = next[e] as number;
    if (next[e] !== NONE) prev[next[e] as number] = prev[e] as number;
    const m = match[e] as number;
    if (m !== NONE) {
      next[prev[m] as number] = next[m] as number;
      if (next[m] !== NONE) prev[next[m] as number] = prev[m] as number;
    }
  };
  const unlift = (e: number) => {
    const m = match[e] as number;
    if (m !== NONE) {
      next[prev[m] as number] = m;
      if (next[m] !== NONE) prev[next[m] as number] = m;
    }
    next[prev[e] as number] = e;
    if (next[e] !== NONE) prev[next[e] as number] = e;
  };

  // A configuration's future depends on nothing but (linearized set, state), so one cache serves
  // every starting state.
  const cache = new ConfigurationCache(n);
  const linearized = new Uint32Array((n + 31) >>> 5);
  const stackEntry: number[] = [];
  const stackState: number[] = [];
  const starts = [...new Set(isOneOf(initial) ? initial.oneOf.map(idOf) : [idOf(initial)])];
  let steps = 0;
  starting: for (const start of starts) {
    let state = start;
    let left = returns;
    let entry = next[0] as number;
    // Done when every ok operation is linearized: the info ones still in the list are left out.
    while (left > 0) {
      if (++steps > maxSteps) return { verdict: 'unknown', steps };
      if (entry === NONE) continue starting; // unreachable: an unplaced ok operation's return is still ahead
      const i = opOf[entry] as number;
      if (isCall[entry]) {
        const after = step(i, state);
        if (after !== IMPOSSIBLE) {
          linearized[i >>> 5]! |= 1 << (i & 31);
          if (cache.add(linearized, i, after)) {
            stackEntry.push(entry);
            stackState.push(state);
            state = after;
            lift(entry);
            if (match[entry] !== NONE) left--;
            entry = next[0] as number;
            continue;
          }
          linearized[i >>> 5]! &= ~(1 << (i & 31));
        }
        entry = next[entry] as number;
      } else {
        // This operation returned before we could place it: undo the last choice and try the next.
        // Nothing left to undo: no linearization from this start (and the list is whole again).
        const back = stackEntry.pop();
        if (back === undefined) continue starting;
        state = stackState.pop() as number;
        const j = opOf[back] as number;
        linearized[j >>> 5]! &= ~(1 << (j & 31));
        cache.unmark(j);
        unlift(back);
        if (match[back] !== NONE) left++;
        entry = next[back] as number;
      }
    }
    return { verdict: 'linearizable', steps };
  }
  return { verdict: 'violation', steps };
}

const isOneOf = (initial: Value | OneOf): initial is OneOf => typeof initial === 'object' && initial !== null;

const NONE = -1;
const IMPOSSIBLE = -1;
const READ = 0;
const WRITE = 1;
const CAS_SWAPPED = 2;
const CAS_REFUSED = 3;
const CAS_MAYBE = 4;

/**
 * The configurations (linearized set, state) seen. The set's hash is updated as it changes (Zobrist:
 * a random 52-bit word per operation, XORed in and out), so a lookup costs one map access and, on
 * a hash match, one comparison of the bitsets — never a string built per step.
 */
class ConfigurationCache {
  private readonly low: Uint32Array;
  private readonly high: Uint32Array;
  private hashLow = 0;
  private hashHigh = 0;
  private readonly seen = new Map<number, Uint32Array[]>();

  constructor(n: number) {
    this.low = new Uint32Array(n);
    this.high = new Uint32Array(n);
    // A fixed generator (xorshift32): the same history is searched the same way every run.
    let x = 0x9e3779b9;
    const random = () => {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      return x >>> 0;
    };
    for (let i = 0; i < n; i++) {
      this.low[i] = random();
      this.high[i] = random() & 0xfffff;
    }
  }

  /** Mark operation `i` linearized (its bit is already set in `bits`); false if (bits, state) was seen. */
  add(bits: Uint32Array, i: number, state: number): boolean {
    const hashLow = (this.hashLow ^ (this.low[i] as number)) >>> 0;
    const hashHigh = this.hashHigh ^ (this.high[i] as number);
    const mixed = (hashLow ^ Math.imul(state + 1, 0x85ebca6b)) >>> 0;
    const key = hashHigh * 0x1_0000_0000 + mixed;
    const bucket = this.seen.get(key);
    const width = bits.length;
    if (bucket) {
      for (const other of bucket) {
        if (other[width] !== state) continue;
        let same = true;
        for (let w = 0; w < width; w++) {
          if (other[w] !== bits[w]) {
            same = false;
            break;
          }
        }
        if (same) return false;
      }
    }
    const stored = new Uint32Array(width + 1);
    stored.set(bits);
    stored[width] = state;
    if (bucket) bucket.push(stored);
    else this.seen.set(key, [stored]);
    this.hashLow = hashLow;
    this.hashHigh = hashHigh;
    return true;
  }

  /** Operation `i` is no longer linearized (backtracking): take it out of the running hash. */
  unmark(i: number): void {
    this.hashLow = (this.hashLow ^ (this.low[i] as number)) >>> 0;
    this.hashHigh ^= this.high[i] as number;
  }
}

/**
 * A small set of one key's operations that already cannot be linearized, from operations that
 * cannot (`operations`: none `fail`, no `info` read). Every step only ever weakens the history —
 * leaves an operation out, or turns it into `info` (it may or may not have happened, at any time
 * after its invocation) — and keeps a step only if the weakened history still fails. Weakening can
 * only make a history easier to linearize, so what still fails is a contradiction the recorded
 * history really contains, never one made by taking away the operation that explained a value.
 *
 * 1. End: the shortest prefix — the operations completed `ok` by some time t, those invoked by t
 *    but not completed by then taken as `info`. The smallest failing t, by binary search (a prefix
 *    of a linearizable history is linearizable: cut its linearization at t).
 * 2. Start: the latest time s such that, forgetting everything before s (the register may then hold
 *    the initial value or any value written by an operation invoked before s; operations invoked before s and still running, or `info`, taken as `info`), the
 *    prefix still fails. Binary search again (a later s weakens more).
 * 3. Inside [s, t], turn each `ok` operation into `info` in turn; keep it `info` where the history
 *    still fails.
 *
 * The window is the operations left `ok`. So "minimal" means: with every other operation of the key
 * up to t possibly having happened or not (and, if s is past the key's first operation, with any
 * value written before s possibly there at s), these recorded outcomes cannot all be true; and turning any single one of them into
 * `info` removes the contradiction — each one is part of it. The window alone is also not
 * linearizable. It is not necessarily the smallest such set (that search is exponential). A search
 * that hits the bound while shrinking counts as "not shown to fail": the step is not taken, and the
 * window is still a true violation, only maybe not minimal.
 */
export function minimalWindow(operations: readonly RegisterOperation[], initial: Value, maxSteps: number): Operation[] {
  const fails = (set: readonly RegisterOperation[], from: Value | OneOf) => searchLinearization(set, from, maxSteps).verdict === 'violation';
  const isOk = (o: RegisterOperation) => o.outcome.type === 'ok';
  const completedBy = (o: RegisterOperation) => o.completedAt ?? Infinity;
  // The smallest index in [low, high] where `failsAt` holds, given it holds at `high` and is monotone.
  const firstFailing = (low: number, high: number, failsAt: (index: number) => boolean) => {
    while (low < high) {
      const middle = Math.floor((low + high) / 2);
      if (failsAt(middle)) high = middle;
      else low = middle + 1;
    }
    return high;
  };

  // 1. The end.
  const ends = [...new Set(operations.filter(isOk).map(completedBy))].sort((x, y) => x - y);
  const prefix = (t: number): RegisterOperation[] =>
    operations.flatMap((o): RegisterOperation[] => (isOk(o) && completedBy(o) <= t ? [o] : o.invokedAt > t || o.op === 'read' ? [] : [asInfo(o)]));
  const endIndex = firstFailing(0, ends.length - 1, (index) => fails(prefix(ends[index] as number), initial));
  let window = ends.length > 0 ? prefix(ends[endIndex] as number) : [...operations];
  if (!fails(window, initial)) window = [...operations]; // the bound interfered: keep the whole key

  // 2. The start: index -1 is "from the beginning, with the initial value"; index i forgets before starts[i].
  const starts = [...new Set(window.filter(isOk).map((o) => o.invokedAt))].sort((x, y) => x - y);
  const suffix = (s: number): RegisterOperation[] =>
    window.flatMap((o): RegisterOperation[] => (o.invokedAt >= s ? [o] : o.op === 'read' || (isOk(o) && completedBy(o) < s) ? [] : [asInfo(o)]));
  // Latest failing start: search on reversed indices, so "fails" is monotone the way firstFailing wants.
  const last = starts.length - 1;
  // At s the register holds the initial value or one written by an operation invoked before s.
  const heldAt = (s: number): OneOf => ({
    oneOf: [initial, ...operations.flatMap((o) => (o.invokedAt >= s ? [] : o.op === 'write' ? [o.args] : o.op === 'cas' ? [o.args.to] : []))],
  });
  const failsFrom = (index: number) => (index < 0 ? fails(window, initial) : fails(suffix(starts[index] as number), heldAt(starts[index] as number)));
  const startIndex = last - firstFailing(0, last + 1, (reversed) => failsFrom(last - reversed));
  let from: Value | OneOf = initial;
  if (startIndex >= 0) {
    window = suffix(starts[startIndex] as number);
    from = heldAt(starts[startIndex] as number);
  }

  // 3. Weaken one ok operation at a time.
  for (const operation of window.filter(isOk)) {
    const weakened = window.flatMap((o) => (o !== operation ? [o] : o.op === 'read' ? [] : [asInfo(o)]));
    if (fails(weakened, from)) window = weakened;
  }
  // The ok operations left are the recorded objects themselves (weakened ones are copies).
  return window.filter(isOk).sort((x, y) => x.invokedAt - y.invokedAt || x.id - y.id);
}

/** The same operation, its outcome unknown: it may take effect at any time after its invocation, or never. */
function asInfo(operation: RegisterOperation): RegisterOperation {
  return { ...operation, outcome: { type: 'info' } } as RegisterOperation;
}
