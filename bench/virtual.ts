/**
 * Virtual-mode timings (needs a Docker engine): start N machines, run the three-machine sum, tear
 * down; and node-to-node messages per second between two machines. Prints one JSON line.
 */
import { pino } from 'pino';
import { settings } from '../src/settings.ts';
import { DockerSpawner } from '../src/spawners/docker/docker-spawner.ts';
import { dockerAvailable } from '../src/spawners/docker/sweep.ts';
import { buildSumSystem, inc, seedScenarioUsers } from '../src/system/sum-scenario.ts';
import { SystemController } from '../src/system/system-controller.ts';
import { RecordedUser } from '../src/nodes/recorded-user.ts';

const logger = pino({ level: 'silent' });
const seconds = (ms: number) => +(ms / 1000).toFixed(2);

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const t0 = performance.now();
  const value = await fn();
  return [value, performance.now() - t0];
}

async function startAndStop(n: number) {
  const spawner = new DockerSpawner({ logger, settings });
  const [, startMs] = await timed(() => spawner.createMachines(Array.from({ length: n }, (_, i) => ({ name: `m${i}` }))));
  const [, stopMs] = await timed(() => spawner.cleanUp());
  return { machines: n, startS: seconds(startMs), teardownS: seconds(stopMs) };
}

async function sumThree() {
  const spawner = new DockerSpawner({ logger, settings });
  const system = new SystemController(spawner, logger);
  const [, wallMs] = await timed(async () => {
    const sum = await buildSumSystem(system, seedScenarioUsers());
    await system.waitForTotals(sum.outputLeaves, 6, 60_000);
    await spawner.cleanUp();
  });
  return { sumThreeMachinesS: seconds(wallMs) };
}

/** One user sends `count` increments as fast as its timers allow; time until the hub has them all. */
async function throughput(count: number) {
  const spawner = new DockerSpawner({ logger, settings });
  const system = new SystemController(spawner, logger);
  try {
    const [hub, user] = await system.createMachines(['hub', 'user']);
    const input = await system.spawnInput(hub!, 'input');
    const actions = Array.from({ length: count }, () => [0, inc(1)] as const);
    const [, ms] = await timed(async () => {
      await system.spawnKid(input, user!, 'sender', new RecordedUser('sender', actions));
      await system.waitFor(async () => (await system.getOutputState(input)).total === count, { timeoutMs: 120_000, what: `the hub counts ${count}`, pollMs: 20 });
    });
    return { messages: count, messagesPerSecond: Math.round(count / (ms / 1000)) };
  } finally {
    await spawner.cleanUp();
  }
}

const docker = await dockerAvailable();
if (!docker.ok) {
  console.log(JSON.stringify({ skipped: docker.reason }));
} else {
  const starts = [await startAndStop(3), await startAndStop(10)];
  const sum = await sumThree();
  const link = await throughput(5_000);
  console.log(JSON.stringify({ starts, ...sum, link }));
}
