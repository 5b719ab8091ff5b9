/**
 * One simulated measurement, in a process of its own so its memory is its own:
 *   node --expose-gc --import tsx bench/sim-case.ts sum <users> <faults: none|lossy>
 *   node --expose-gc --import tsx bench/sim-case.ts idle <nodes>
 *   node --expose-gc --import tsx bench/sim-case.ts core <users>   (no batching; only the delivery phase is timed)
 * Prints one JSON line.
 */
import { pino } from 'pino';
import { SimulatedSpawner } from '../src/spawners/simulated/simulated-spawner.ts';
import { buildSumSystem, manyUsers } from '../src/system/sum-scenario.ts';
import { SystemController } from '../src/system/system-controller.ts';

const gc = (globalThis as { gc?: () => void }).gc ?? (() => undefined);
const [kind = 'sum', sizeArg = '10', faults = 'none'] = process.argv.slice(2);
const size = Number(sizeArg);
const logger = pino({ level: 'silent' });
let peakRss = process.memoryUsage().rss;
const sampleRss = () => (peakRss = Math.max(peakRss, process.memoryUsage().rss));

if (kind === 'core') {
  // The simulator core: every increment to every output leaf on its own (no batching), timed from
  // the moment the system is built until nothing is left to happen — no API calls in between.
  const spawner = new SimulatedSpawner({ seed: 1, logger });
  const system = new SystemController(spawner, logger);
  const sum = await buildSumSystem(system, manyUsers(size, 10, 25));
  const delivered = () => [...spawner.sim.allMachines()].reduce((n, m) => n + m.manager.links.stats.delivered, 0);
  const before = delivered();
  const events0 = spawner.sim.eventsRun;
  const wall0 = performance.now();
  spawner.sim.runWhile(() => true);
  const wallMs = performance.now() - wall0;
  const count = delivered() - before;
  const totals = await system.totals(sum.outputLeaves);
  console.log(
    JSON.stringify({
      kind,
      users: size,
      exact: totals.every((t) => t === sum.expectedTotal),
      delivered: count,
      events: spawner.sim.eventsRun - events0,
      wallMs: Math.round(wallMs),
      deliveredPerSec: Math.round(count / (wallMs / 1000)),
      nsPerDelivered: Math.round((wallMs * 1e6) / count),
    }),
  );
} else if (kind === 'idle') {
  // Bytes per idle simulated node: N machines, one node each, nothing happening.
  gc();
  const before = process.memoryUsage().heapUsed;
  const spawner = new SimulatedSpawner({ seed: 1, logger });
  const system = new SystemController(spawner, logger);
  const machines = await system.createMachines(Array.from({ length: size }, (_, i) => `m${i}`));
  await Promise.all(machines.map((m, i) => system.spawnNode(m, { kind: 'output', id: `out-${i}`, name: `out-${i}`, parent: null, flushMs: 0 })));
  gc();
  const after = process.memoryUsage().heapUsed;
  console.log(JSON.stringify({ kind, nodes: size, bytesPerIdleNode: Math.round((after - before) / size), keepAlive: machines.length }));
} else {
  const spawner = new SimulatedSpawner({ seed: 1, logger });
  const system = new SystemController(spawner, logger);
  if (faults === 'lossy') await system.configureNetwork({ drop: 0.1, duplicate: 0.05 });
  const users = manyUsers(size, 10, 25);
  const wall0 = performance.now();
  const sum = await buildSumSystem(system, users, { flushMs: 10 });
  const virtualAtBuilt = spawner.sim.now;
  sampleRss();
  const timer = setInterval(sampleRss, 50);
  // Reading every output costs an API call each: check every 250 virtual ms, not every 50.
  await system.waitForTotals(sum.outputLeaves, sum.expectedTotal, 3_600_000, 250);
  clearInterval(timer);
  sampleRss();
  const wallMs = performance.now() - wall0;
  let delivered = 0;
  let retransmitted = 0;
  for (const machine of spawner.sim.allMachines()) {
    delivered += machine.manager.links.stats.delivered;
    retransmitted += machine.manager.links.stats.retransmitted;
  }
  const totals = await system.totals(sum.outputLeaves);
  console.log(
    JSON.stringify({
      kind,
      users: size,
      faults,
      exact: totals.every((t) => t === sum.expectedTotal),
      expectedTotal: sum.expectedTotal,
      machines: sum.machines.length,
      delivered,
      retransmitted,
      events: spawner.sim.eventsRun,
      wallMs: Math.round(wallMs),
      virtualMs: Math.round(spawner.sim.now),
      buildVirtualMs: Math.round(virtualAtBuilt),
      deliveredPerSec: Math.round(delivered / (wallMs / 1000)),
      simToWall: +(spawner.sim.now / wallMs).toFixed(2),
      nsPerDelivered: Math.round((wallMs * 1e6) / delivered),
      peakRssMiB: +(peakRss / 2 ** 20).toFixed(1),
    }),
  );
}
