/**
 * One simulated sum run under a fault schedule, described entirely by a small JSON value: what the
 * property-based search generates, shrinks, prints and replays (`npx tsx scripts/replay-case.ts`).
 */
import type { LinkConditions, SystemController } from 'distzero/sim';
import { buildSumSystem, manyUsers, totals, waitForTotals } from './scenario.ts';

export interface FaultCase {
  /** The simulator's seed: every delay and fault decision comes from it. */
  seed: number;
  users: number;
  increments: number;
  network: Pick<LinkConditions, 'drop' | 'duplicate' | 'reorder'>;
  /** Users [0, cut) and the hub on one side, the other users on the other, from atMs for forMs. */
  partition: { atMs: number; forMs: number; cut: number } | null;
}

export interface CaseResult {
  exact: boolean;
  expected: number;
  totals: number[];
  digest: string;
  error?: string;
}

/** How many output leaves a case watches (the first users'): the check, not the load, grows with more. */
const WATCHED_OUTPUTS = 8;

/** Run a case on `system`, a fresh simulated system whose seed is the case's (see `newSystem` / `simulate`). */
export async function runFaultCase(system: SystemController, c: FaultCase): Promise<CaseResult> {
  await system.configureNetwork(c.network);
  const sum = await buildSumSystem(system, manyUsers(c.users, c.increments), { outputLeaves: WATCHED_OUTPUTS });
  let error: string | undefined;
  try {
    if (c.partition) {
      const users = sum.machines.slice(1);
      const cut = Math.min(c.partition.cut, users.length - 1);
      await system.pass(c.partition.atMs);
      await system.partition([sum.machines[0]!, ...users.slice(0, cut)], users.slice(cut));
      await system.pass(c.partition.forMs);
      await system.heal();
    }
    await waitForTotals(system, sum.outputLeaves, sum.expectedTotal, 120_000);
  } catch (e) {
    error = (e as Error).message.split('\n')[0];
  }
  const seen = await totals(system, sum.outputLeaves);
  await system.close();
  return {
    exact: error === undefined && seen.every((t) => t === sum.expectedTotal),
    expected: sum.expectedTotal,
    totals: seen,
    digest: system.digest() ?? '',
    ...(error ? { error } : {}),
  };
}
