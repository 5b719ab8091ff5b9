/**
 * The scenario of the bench's table, in one place (bench/sim-case.ts times it, bench/sweep.ts times
 * it with serialize on): N users, one machine each, every user sending 10 increments 25 ms apart and
 * watching an output leaf; root input and output nodes batch what they pass on every 10 ms.
 */
import { simulate, type SystemController } from 'distzero/sim';
import systems from '../distzero.config.ts';
import { buildSumSystem, manyUsers, waitForTotals, type SumSystem } from '../systems/sum/scenario.ts';

export type Faults = 'none' | 'lossy';

/** A simulated system for the scenario, on seed 1 unless told; `lossy` drops 10% and duplicates 5%. */
export async function manyUserSystem(faults: Faults, options: { serialize?: boolean; seed?: number } = {}): Promise<SystemController> {
  const system = simulate({ seed: options.seed ?? 1, systems, serialize: options.serialize ?? false });
  if (faults === 'lossy') await system.configureNetwork({ drop: 0.1, duplicate: 0.05 });
  return system;
}

export function buildManyUsers(system: SystemController, users: number): Promise<SumSystem> {
  return buildSumSystem(system, manyUsers(users, 10, 25), { flushMs: 10 });
}

/**
 * Until every leaf has the total. Reading every output costs an API call each: wait on the output
 * root first, and check every 250 virtual ms, not every 50.
 */
export function waitManyUsers(system: SystemController, sum: SumSystem): Promise<number[]> {
  return waitForTotals(system, sum.outputLeaves, sum.expectedTotal, 3_600_000, { pollMs: 250, root: sum.output });
}

/** The whole scenario, built, waited for and closed. */
export async function runManyUsers(users: number, faults: Faults, options: { serialize?: boolean } = {}): Promise<void> {
  const system = await manyUserSystem(faults, options);
  await waitManyUsers(system, await buildManyUsers(system, users));
  await system.close();
}
