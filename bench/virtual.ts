/**
 * Virtual-mode timings (needs a Docker engine): start N machines, run the three-machine sum, tear
 * down; and node-to-node messages per second between two machines. Prints one JSON line.
 */
import path from 'node:path';
import { createSystem, dockerAvailable } from 'distzero/tools';
import { RecordedUser, buildSumSystem, inc, seedScenarioUsers, spawnInput, spawnKid, totalOf, waitForTotals } from '../systems/sum/scenario.ts';

const systems = path.resolve('distzero.config.ts');
const docker = () => createSystem({ mode: 'virtual', systems });
const seconds = (ms: number) => +(ms / 1000).toFixed(2);

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const t0 = performance.now();
  const value = await fn();
  return [value, performance.now() - t0];
}

async function startAndStop(n: number) {
  const system = await docker();
  const [, startMs] = await timed(() => system.createMachines(Array.from({ length: n }, (_, i) => `m${i}`)));
  const [, stopMs] = await timed(() => system.close());
  return { machines: n, startS: seconds(startMs), teardownS: seconds(stopMs) };
}

async function sumThree() {
  const system = await docker();
  const [, wallMs] = await timed(async () => {
    const sum = await buildSumSystem(system, seedScenarioUsers());
    await waitForTotals(system, sum.outputLeaves, 6, 60_000);
    await system.close();
  });
  return { sumThreeMachinesS: seconds(wallMs) };
}

/** One user sends `count` increments as fast as its timers allow; time until the hub has them all. */
async function throughput(count: number) {
  const system = await docker();
  try {
    const [hub, user] = await system.createMachines(['hub', 'user']);
    const input = await spawnInput(system, hub!, 'input');
    const actions = Array.from({ length: count }, () => [0, inc(1)] as const);
    const [, ms] = await timed(async () => {
      await spawnKid(system, input, user!, 'sender', new RecordedUser('sender', actions));
      await system.waitFor(async () => (await totalOf(system, input)) === count, { timeoutMs: 120_000, what: `the hub counts ${count}`, pollMs: 20 });
    });
    return { messages: count, messagesPerSecond: Math.round(count / (ms / 1000)) };
  } finally {
    await system.close();
  }
}

const engine = await dockerAvailable();
if (!engine.ok) {
  console.log(JSON.stringify({ skipped: engine.reason }));
} else {
  const starts = [await startAndStop(3), await startAndStop(10)];
  const sum = await sumThree();
  const link = await throughput(5_000);
  console.log(JSON.stringify({ starts, ...sum, link }));
}
