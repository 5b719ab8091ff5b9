/**
 * Replays one fault case exactly, as the search printed it:
 *   npx tsx scripts/replay-case.ts '{"seed":1,"users":10,...}' [--broken-dedup]
 * Prints the result, including the trace digest: the same case gives the same digest every time.
 */
import { runFaultCase, type FaultCase } from '../src/system/fault-cases.ts';

const json = process.argv[2];
if (!json) {
  console.error("usage: npx tsx scripts/replay-case.ts '<case json>' [--broken-dedup]");
  process.exit(2);
}
const result = await runFaultCase(JSON.parse(json) as FaultCase, { brokenDedup: process.argv.includes('--broken-dedup') });
console.log(JSON.stringify(result));
process.exit(result.exact ? 0 : 1);
