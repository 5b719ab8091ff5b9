/**
 * Swarm testing: each seed derives not only the run's delays but which fault kinds are on and how
 * hard (some seeds calm, some with everything), so a sweep of seeds covers more ground than any one
 * fixed setting. The whole configuration is plain JSON, printed with the seed.
 */
import { Rng } from 'distzero';
import type { ClockSkew, LinkConditions, SystemController } from 'distzero/test';
import { buildSumSystem, manyUsers, type SumSystem } from './scenario.ts';

export interface Swarm {
  seed: number;
  users: number;
  increments: number;
  network: Partial<LinkConditions>;
  partition: { atMs: number; forMs: number; cut: number } | null;
  crash: { user: number; atMs: number; forMs: number } | null;
  /** One skew per machine (hub first), or null for true clocks everywhere. */
  skews: ClockSkew[] | null;
}

/** The swarm a seed implies: a generator of its own, so the run's own randomness is untouched. */
export function swarmFor(seed: number): Swarm {
  const rng = new Rng(seed ^ 0x2545f491);
  const on = () => rng.chance(0.4);
  const between = (lo: number, hi: number) => +(lo + rng.float() * (hi - lo)).toFixed(3);
  // Floors high enough that a fault that is on fires in every run (hundreds of packets each):
  // the sweep checks that it did.
  const users = 5 + rng.int(11);
  const network: Partial<LinkConditions> = {};
  if (on()) network.drop = between(0.1, 0.25);
  if (on()) network.duplicate = between(0.1, 0.2);
  if (on()) network.reorder = between(0.1, 0.3);
  if (on()) Object.assign(network, { tailChance: between(0.1, 0.2), tailMs: 200 });
  return {
    seed,
    users,
    increments: 2 + rng.int(3),
    network,
    // Users act from 300 ms after they start: a partition always overlaps their traffic.
    partition: on() ? { atMs: rng.int(100), forMs: 400 + rng.int(600), cut: 1 + rng.int(users - 1) } : null,
    crash: on() ? { user: rng.int(users), atMs: rng.int(200), forMs: 50 + rng.int(1000) } : null,
    skews: on() ? Array.from({ length: users + 1 }, () => ({ offsetMs: rng.int(20_001) - 10_000, rate: between(0.9, 1.1) })) : null,
  };
}

/**
 * How long after they start users act: 300 ms in simulation (starting the nodes takes less than that
 * in virtual time); on containers and instances starting a dozen nodes can take a second or two.
 */
const LEAD_MS = { simulated: 300, virtual: 3_000, cloud: 3_000 } as const;

/**
 * Build the sum system and put it through the swarm's faults; the caller waits for the totals. The
 * same swarm runs unchanged in every mode: its fault times count from 300 ms before the users act.
 */
export async function runSwarm(system: SystemController, swarm: Swarm): Promise<SumSystem> {
  if (Object.keys(swarm.network).length > 0) await system.configureNetwork(swarm.network);
  const lead = LEAD_MS[system.mode];
  const users = manyUsers(swarm.users, swarm.increments, 40).map((u) => u.shifted(lead));
  const skews = swarm.skews;
  const sum = await buildSumSystem(system, users, {
    // Clocks are skewed before anything starts: every machine lives its whole life on its own clock.
    beforeNodes: skews ? (machines) => Promise.all(machines.map((m, i) => system.skewClock(m, skews[i]!))).then(() => undefined) : undefined,
  });
  // Real modes wait out the lead they added (the last nodes started just now): the faults below then
  // start, as in simulation, about 300 ms before the users act.
  if (lead > LEAD_MS.simulated) await system.pass(lead - LEAD_MS.simulated);
  const [hub, ...userMachines] = sum.machines;
  if (swarm.partition) {
    const cut = Math.min(swarm.partition.cut, userMachines.length - 1);
    await system.pass(swarm.partition.atMs);
    await system.partition([hub!, ...userMachines.slice(0, cut)], userMachines.slice(cut));
    await system.pass(swarm.partition.forMs);
    await system.heal();
  }
  if (swarm.crash) {
    const victim = userMachines[swarm.crash.user % userMachines.length]!;
    await system.pass(swarm.crash.atMs);
    await system.crash(victim);
    await system.pass(swarm.crash.forMs);
    await system.restart(victim);
  }
  return sum;
}
