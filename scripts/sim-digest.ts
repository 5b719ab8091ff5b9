/** Prints the trace digest of the ten-user simulated sum system for a seed: `tsx scripts/sim-digest.ts SEED`. */
import { simulate } from 'distzero/sim';
import systems from '../distzero.config.ts';
import { buildSumSystem, manyUsers, waitForTotals } from '../systems/sum/scenario.ts';

const seed = Number(process.argv[2] ?? 1);
const system = simulate({ seed, systems });
const sum = await buildSumSystem(system, manyUsers(10));
await waitForTotals(system, sum.outputLeaves, sum.expectedTotal, 60_000);
await system.pass(5_000);
console.log(JSON.stringify({ seed, digest: system.digest() }));
