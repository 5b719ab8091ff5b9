/** Prints the trace digest of the ten-user simulated sum system for a seed: `tsx scripts/sim-digest.ts SEED`. */
import { pino } from 'pino';
import { SimulatedSpawner } from '../src/spawners/simulated/simulated-spawner.ts';
import { SystemController } from '../src/system/system-controller.ts';
import { buildSumSystem, manyUsers } from '../src/system/sum-scenario.ts';

const seed = Number(process.argv[2] ?? 1);
const logger = pino({ level: 'silent' });
const spawner = new SimulatedSpawner({ seed, logger });
const system = new SystemController(spawner, logger);
const sum = await buildSumSystem(system, manyUsers(10));
await system.waitForTotals(sum.outputLeaves, sum.expectedTotal, 60_000);
spawner.sim.runFor(5_000);
console.log(JSON.stringify({ seed, digest: spawner.sim.trace.digest(), events: spawner.sim.trace.count }));
