/**
 * One simulated measurement, in a process of its own so its memory is its own:
 *   node --expose-gc --import tsx bench/sim-case.ts sum <users> <faults: none|lossy> [<untimed runs first>]
 *   node --expose-gc --import tsx bench/sim-case.ts idle <nodes>
 *   node --expose-gc --import tsx bench/sim-case.ts core <users>   (no batching; only the delivery phase is timed)
 * Prints one JSON line.
 */
import { simulate } from 'distzero/sim';
import systems from '../distzero.config.ts';
import { buildSumSystem, manyUsers, spawnOutput, totals, waitForTotals } from '../systems/sum/scenario.ts';

const gc = (globalThis as { gc?: () => void }).gc ?? (() => undefined);
const [kind = 'sum', sizeArg = '10', faults = 'none', warmArg = '0'] = process.argv.slice(2);
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
  for (let run = 0; run < warmRuns; run++) {
    const earlier = simulate({ seed: 1, systems });
    if (faults === 'lossy') await earlier.configureNetwork({ drop: 0.1, duplicate: 0.05 });
    const sum = await buildSumSystem(earlier, manyUsers(size, 10, 25), { flushMs: 10 });
    await waitForTotals(earlier, sum.outputLeaves, sum.expectedTotal, 3_600_000, { pollMs: 250, root: sum.output });
    await earlier.close();
  }
  gc();
  const system = simulate({ seed: 1, systems });
  if (faults === 'lossy') await system.configureNetwork({ drop: 0.1, duplicate: 0.05 });
  const users = manyUsers(size, 10, 25);
  const cpu0 = process.cpuUsage();
  const wall0 = performance.now();
  const sum = await buildSumSystem(system, users, { flushMs: 10 });
  const virtualAtBuilt = system.now();
  sampleRss();
  const timer = setInterval(sampleRss, 50);
  // Reading every output costs an API call each: wait on the output root first, and check every 250 virtual ms, not every 50.
  await waitForTotals(system, sum.outputLeaves, sum.expectedTotal, 3_600_000, { pollMs: 250, root: sum.output });
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
      deliveredPerSec: Math.round(delivered / (wallMs / 1000)),
      simToWall: +(virtualMs / wallMs).toFixed(2),
      nsPerDelivered: Math.round((wallMs * 1e6) / delivered),
      peakRssMiB: +(peakRss / 2 ** 20).toFixed(1),
    }),
  );
}
