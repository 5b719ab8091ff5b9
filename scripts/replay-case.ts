/**
 * Replays one fault case exactly, as the search printed it:
 *   npx tsx scripts/replay-case.ts '{"seed":1,"users":10,...}' [--broken-dedup]
 * Prints the result, including the trace digest: the same case gives the same digest every time.
 */
import { simulate } from 'distzero/sim';
import systems from '../distzero.config.ts';
import { runFaultCase, type FaultCase } from '../systems/sum/fault-cases.ts';

const json = process.argv[2];
if (!json) {
  console.error("usage: npx tsx scripts/replay-case.ts '<case json>' [--broken-dedup]");
  process.exit(2);
}
const c = JSON.parse(json) as FaultCase;
const result = await runFaultCase(simulate({ seed: c.seed, systems, brokenDedup: process.argv.includes('--broken-dedup') }), c);
console.log(JSON.stringify(result));
process.exit(result.exact ? 0 : 1);
