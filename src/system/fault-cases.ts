/**
 * One simulated sum run under a fault schedule, described entirely by a small JSON value: what the
 * property-based search generates, shrinks, prints and replays (`npx tsx scripts/replay-case.ts`).
 */
import { pino } from 'pino';
import type { LinkConditions } from '../spawners/faults.ts';
import { SimulatedSpawner } from '../spawners/simulated/simulated-spawner.ts';
import { buildSumSystem, manyUsers } from './sum-scenario.ts';
import { SystemController } from './system-controller.ts';

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
  events: number;
  error?: string;
}

/** How many output leaves a case watches (the first users'): the check, not the load, grows with more. */
const WATCHED_OUTPUTS = 8;

export async function runFaultCase(c: FaultCase, options: { brokenDedup?: boolean } = {}): Promise<CaseResult> {
  const logger = pino({ level: 'silent' });
  const spawner = new SimulatedSpawner({ seed: c.seed, logger, brokenDedup: options.brokenDedup ?? false });
  const system = new SystemController(spawner, logger);
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
    await system.waitForTotals(sum.outputLeaves, sum.expectedTotal, 120_000);
  } catch (e) {
    error = (e as Error).message.split('\n')[0];
  }
  const totals = await system.totals(sum.outputLeaves);
  await spawner.cleanUp();
  return {
    exact: error === undefined && totals.every((t) => t === sum.expectedTotal),
    expected: sum.expectedTotal,
    totals,
    digest: spawner.sim.trace.digest(),
    events: spawner.sim.eventsRun,
    ...(error ? { error } : {}),
  };
}
