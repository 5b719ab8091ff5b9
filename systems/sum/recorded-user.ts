import type { RecordedAction } from './messages.ts';

export class RecordedUserOrderError extends Error {
  override name = 'RecordedUserOrderError';
}

/**
 * A user's actions as (time, action) pairs, played back by an input leaf relative to its start.
 * Times must not go backwards: a recording that does is a mistake in the test, reported at once.
 */
export class RecordedUser {
  readonly actions: readonly RecordedAction[];

  constructor(
    readonly name: string,
    pairs: ReadonlyArray<readonly [atMs: number, action: RecordedAction['action']]>,
  ) {
    this.actions = RecordedUser.validate(
      name,
      pairs.map(([atMs, action]) => ({ atMs, action })),
    );
  }

  static validate(name: string, actions: readonly RecordedAction[]): readonly RecordedAction[] {
    for (let i = 1; i < actions.length; i++) {
      const before = actions[i - 1]!.atMs;
      const at = actions[i]!.atMs;
      if (at < before) {
        throw new RecordedUserOrderError(`recorded user ${name}: action ${i} at ${at} ms comes before action ${i - 1} at ${before} ms`);
      }
    }
    return actions;
  }

  /** The same user, acting `ms` later (time for a test to set up its faults first). */
  shifted(ms: number): RecordedUser {
    return new RecordedUser(
      this.name,
      this.actions.map((a) => [a.atMs + ms, a.action] as const),
    );
  }

  /** Sum of every increment: what each output leaf should end at, from this user alone. */
  get total(): number {
    return this.actions.reduce((sum, { action }) => sum + action.amount, 0);
  }
}
