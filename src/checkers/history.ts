/**
 * A history is what the clients saw: each operation invoked at some time, then completed `ok`
 * (with what it returned), `fail` (it definitely did not take effect) or `info` (nobody knows:
 * a timeout, a crashed node — it may take effect at any time after its invocation, or never).
 * The checkers judge a system by its history alone, as Jepsen and Maelstrom do.
 */

/** A value a register holds, a set contains, a read returns. Primitives only: compared with `===`. */
export type Value = string | number | boolean | null;

/** Who invoked an operation: a client, a worker. Its operations should not overlap in time. */
export type Process = string | number;

/**
 * For each kind of operation, what it is given (`args`) and what an `ok` completion carries
 * (`value`). `null` where there is nothing: a read takes no argument, a write returns nothing.
 */
export interface OperationKinds {
  /** A register read; `null` = the key has no value (never written). */
  read: { args: null; value: Value };
  write: { args: Value; value: null };
  /**
   * Compare-and-set: `to` replaces the value iff it is `from`. `ok` with `true`: it swapped;
   * `ok` with `false`: it happened and saw another value (where the system says so definitely; a
   * system that reports a failed precondition as an error completes it `fail` instead).
   */
  cas: { args: { from: Value; to: Value }; value: boolean };
  /**
   * Add: an element to a set (or a broadcast message), or a number of any sign to a counter, as
   * Jepsen and Maelstrom use it. Which one is the checker's reading: `checkSet` for a set's key,
   * `checkCounter` for a counter's.
   */
  add: { args: Value; value: null };
}

export type OperationKind = keyof OperationKinds;

/** How an operation completed. `fail` and `info` may carry the error's message, for the reports. */
export type Outcome<V> = { type: 'ok'; value: V } | { type: 'fail'; error?: string } | { type: 'info'; error?: string };

/** The fields every operation has, whatever its kind. */
interface OperationCommon {
  /** Unique within a history: the order of invocation when recorded by `HistoryRecorder`. */
  id: number;
  process: Process;
  /** The key (register, counter) it acts on; checkers split a history by key. Absent = one key. */
  key?: string;
  invokedAt: number;
  /** When its answer (or error, or timeout) came back; `undefined` while it is still in flight. */
  completedAt: number | undefined;
  /**
   * What a reader of the history should know and the checkers ignore: which node it went to, or
   * which served it (`served by backup`). Given with the invocation, or set on the operation
   * `record` returns once the answer says.
   */
  note?: string;
}

/**
 * One operation of a history. A union discriminated by `op` (and, inside, `outcome.type`), so a
 * `read` has no arguments and an ok `cas` has a boolean: `Operation<'cas'>` narrows to one kind.
 */
export type Operation<K extends OperationKind = OperationKind> = {
  [N in K]: OperationCommon & { op: N; args: OperationKinds[N]['args']; outcome: Outcome<OperationKinds[N]['value']> };
}[K];

/** What is invoked: an operation before it has times, an id or an outcome. */
export type Invocation<K extends OperationKind = OperationKind> = {
  [N in K]: { op: N; key?: string; args: OperationKinds[N]['args']; note?: string };
}[K];

/** A history: operations in any order (the checkers sort what they need). */
export type History = readonly Operation[];

/** What a client call may resolve to, for each kind: a read gives its value; a cas `false` when it saw another value. */
export type CallResult<K extends OperationKind> = K extends 'read' ? Value : K extends 'cas' ? boolean | void : unknown;

export interface HistoryRecorderOptions {
  /**
   * The clock: the system's own (`() => system.now()`, virtual time in simulated mode) so the
   * history is deterministic there. Default: `performance.now()`.
   */
  now?: () => number;
  /**
   * Whether an error means the operation definitely did not take effect (a refused request, a
   * failed precondition, a key that does not exist): then it completes `fail`. Anything else — a
   * timeout, a lost connection, a crash — completes `info`, the only safe default: a `fail` that
   * did take effect would make the checkers judge wrongly, an `info` only makes them less strict.
   * A `DefiniteFailure` thrown by the call is always `fail`.
   */
  isDefiniteFailure?: (error: unknown) => boolean;
}

/**
 * Throw it from a client call that knows its operation did not take effect (the system refused it
 * before applying it): the recorder completes the operation `fail` rather than `info`.
 */
export class DefiniteFailure extends Error {
  override readonly name = 'DefiniteFailure';
}

const messageOf = (error: unknown): string => (error instanceof Error ? `${error.name}: ${error.message}` : String(error));

/**
 * Records the operations clients make into a history: wrap each call in `record`. Operations still
 * in flight when `history()` is read appear as `info` with no completion time, which is exactly
 * what they are: they may or may not take effect.
 */
export class HistoryRecorder {
  private readonly operations: Operation[] = [];
  private readonly now: () => number;
  private readonly isDefiniteFailure: (error: unknown) => boolean;

  constructor(options: HistoryRecorderOptions = {}) {
    this.now = options.now ?? (() => performance.now());
    const definite = options.isDefiniteFailure ?? (() => false);
    this.isDefiniteFailure = (error) => error instanceof DefiniteFailure || definite(error);
  }

  /**
   * Invoke `call` as `process` performing `invocation`, and record it. Never throws for the call's
   * error: the error is the outcome (`fail` or `info`), returned with the completed operation, so a
   * workload loop goes on after it as Jepsen's clients do.
   */
  async record<K extends OperationKind>(process: Process, invocation: Invocation<K>, call: () => Promise<CallResult<K>>): Promise<Operation<K>> {
    // Built as the general type, then narrowed back: TypeScript cannot follow K through the spread.
    const operation = { ...invocation, id: this.operations.length, process, invokedAt: this.now(), completedAt: undefined, outcome: { type: 'info' } } as Operation;
    this.operations.push(operation);
    try {
      const result = await call();
      operation.completedAt = this.now();
      operation.outcome = { type: 'ok', value: okValue(operation.op, result) } as Operation['outcome'];
    } catch (error) {
      operation.completedAt = this.now();
      operation.outcome = { type: this.isDefiniteFailure(error) ? 'fail' : 'info', error: messageOf(error) };
    }
    return operation as Operation<K>;
  }

  /** How many operations have been invoked so far. */
  get size(): number {
    return this.operations.length;
  }

  /** A copy of the history so far, in order of invocation. */
  history(): Operation[] {
    return this.operations.map((operation) => ({ ...operation }));
  }
}

/** The `ok` value stored for what a call resolved to: only reads and cas carry one. */
function okValue(op: OperationKind, result: unknown): Value | boolean {
  if (op === 'read') return result === undefined ? null : (result as Value);
  // A cas client that resolves with nothing swapped; one that reports "saw another value" resolves false.
  if (op === 'cas') return result !== false;
  return null;
}

/** The text an operation is shown with: `w 3`, `r 3`, `cas 1→2`, `add 7`. */
export function operationLabel(operation: Operation): string {
  const value = (v: Value) => (typeof v === 'string' ? v : JSON.stringify(v));
  switch (operation.op) {
    case 'read':
      return `r ${operation.outcome.type === 'ok' ? value(operation.outcome.value) : '?'}`;
    case 'write':
      return `w ${value(operation.args)}`;
    case 'cas':
      return `cas ${value(operation.args.from)}→${value(operation.args.to)}${operation.outcome.type === 'ok' && !operation.outcome.value ? ' ✗' : ''}`;
    case 'add':
      return `add ${value(operation.args)}`;
  }
}

const formatTime = (t: number | undefined) => (t === undefined ? '…' : Number.isInteger(t) ? String(t) : t.toFixed(3));

/**
 * A fixed-width text table of a history, in order of invocation, for reports and failure messages:
 * id, process, key, operation, invoked, completed, outcome, and notes when any operation has one.
 */
export function historyTable(history: History): string {
  const notes = history.some((operation) => operation.note !== undefined);
  const rows = [...history]
    .sort((a, b) => a.invokedAt - b.invokedAt || a.id - b.id)
    .map((operation) => {
      const outcome = operation.outcome;
      const said = outcome.type === 'ok' ? 'ok' : outcome.error === undefined ? outcome.type : `${outcome.type} (${outcome.error})`;
      const row = [String(operation.id), String(operation.process), operation.key ?? '', operationLabel(operation), formatTime(operation.invokedAt), formatTime(operation.completedAt), said];
      return notes ? [...row, operation.note ?? ''] : row;
    });
  const header = ['id', 'process', 'key', 'op', 'invoked', 'completed', 'outcome', ...(notes ? ['note'] : [])];
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]?.length ?? 0)));
  const line = (cells: string[]) => cells.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join('  ').trimEnd();
  return [line(header), line(widths.map((width) => '-'.repeat(width))), ...rows.map(line)].join('\n');
}
