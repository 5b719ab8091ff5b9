/**
 * One simulated measurement, in a process of its own so its memory is its own:
 *   node --expose-gc --import tsx bench/sim-case.ts sum <users> <faults: none|lossy> [<untimed runs first> [<seed>]]
 *   node --expose-gc --import tsx bench/sim-case.ts idle <nodes>
 *   node --expose-gc --import tsx bench/sim-case.ts core <users>   (no batching; only the delivery phase is timed)
 * Prints one JSON line.
 */
import { simulate } from 'distzero/sim';
import systems from '../distzero.config.ts';
import { buildSumSystem, manyUsers, spawnOutput, totals } from '../systems/sum/scenario.ts';
import { buildManyUsers, manyUserSystem, runManyUsers, waitManyUsers, type Faults } from './many-users.ts';

const gc = (globalThis as { gc?: () => void }).gc ?? (() => undefined);
// The seed is 1 in the bench's rows; others are for comparing versions over several (a lossy run's
// length is luck: it ends when its last lost packet is resent).
const [kind = 'sum', sizeArg = '10', faultsArg = 'none', warmArg = '0', seedArg = '1'] = process.argv.slice(2);
const faults = faultsArg as Faults;
const size = Number(sizeArg);
const warmRuns = Number(warmArg);
let peakRss = process.memoryUsage().rss;
const sampleRss = () => (peakRss = Math.max(peakRss, process.memoryUsage().rss));

if (kind === 'core') {
  // The simulator core: every increment to every output leaf on its own (no batching), timed from
  // the moment the system is built until nothing is left to happen — no API calls in between.
  const system = simulate({ seed: 1, systems });
  const sum = await buildSumSystem(system, manyUsers(size, 10, 25));
  const before = system.simulationStats()!;
  const cpu0 = process.cpuUsage();
  const wall0 = performance.now();
  await system.runUntilQuiet();
  const wallMs = performance.now() - wall0;
  const cpu = process.cpuUsage(cpu0);
  const after = system.simulationStats()!;
  const count = after.delivered - before.delivered;
  const seen = await totals(system, sum.outputLeaves);
  console.log(
    JSON.stringify({
      kind,
      users: size,
      exact: seen.every((t) => t === sum.expectedTotal),
      delivered: count,
      events: after.events - before.events,
      wallMs: Math.round(wallMs),
      cpuMs: Math.round((cpu.user + cpu.system) / 1000),
      deliveredPerSec: Math.round(count / (wallMs / 1000)),
      nsPerDelivered: Math.round((wallMs * 1e6) / count),
    }),
  );
} else if (kind === 'idle') {
  // Bytes per idle simulated node: N machines, one node each, nothing happening.
  gc();
  gc();
  const before = process.memoryUsage().heapUsed;
  const system = simulate({ seed: 1, systems });
  const machines = await system.createMachines(Array.from({ length: size }, (_, i) => `m${i}`));
  await Promise.all(machines.map((m, i) => spawnOutput(system, m, `out-${i}`)));
  // Twice: one collection can leave garbage a second one finds (the figure then wanders by tens of bytes).
  gc();
  gc();
  const after = process.memoryUsage().heapUsed;
  console.log(JSON.stringify({ kind, nodes: size, bytesPerIdleNode: Math.round((after - before) / size), keepAlive: machines.length }));
} else {
  // Warm rows (`sum <users> none <n>`) run the same scenario n times first, untimed, in this process:
  // the timed run then shows V8's steady state, as in a sweep's thousandth seed, not its warm-up.
  for (let run = 0; run < warmRuns; run++) await runManyUsers(size, faults);
  gc();
  const system = await manyUserSystem(faults, { seed: Number(seedArg) });
  const cpu0 = process.cpuUsage();
  const wall0 = performance.now();
  const sum = await buildManyUsers(system, size);
  const virtualAtBuilt = system.now();
  const buildWallMs = performance.now() - wall0;
  sampleRss();
  const timer = setInterval(sampleRss, 50);
  await waitManyUsers(system, sum);
  clearInterval(timer);
  sampleRss();
  const wallMs = performance.now() - wall0;
  const cpu = process.cpuUsage(cpu0);
  const { delivered, retransmitted, events, virtualMs } = system.simulationStats()!;
  const seen = await totals(system, sum.outputLeaves);
  console.log(
    JSON.stringify({
      kind,
      users: size,
      faults,
      warmRuns,
      exact: seen.every((t) => t === sum.expectedTotal),
      expectedTotal: sum.expectedTotal,
      machines: sum.machines.length,
      delivered,
      retransmitted,
      events,
      wallMs: Math.round(wallMs),
      cpuMs: Math.round((cpu.user + cpu.system) / 1000),
      virtualMs: Math.round(virtualMs),
      buildVirtualMs: Math.round(virtualAtBuilt),
      buildWallMs: Math.round(buildWallMs),
      deliveredPerSec: Math.round(delivered / (wallMs / 1000)),
      simToWall: +(virtualMs / wallMs).toFixed(2),
      nsPerDelivered: Math.round((wallMs * 1e6) / delivered),
      peakRssMiB: +(peakRss / 2 ** 20).toFixed(1),
    }),
  );
}
