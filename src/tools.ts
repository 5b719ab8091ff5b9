/**
 * `distzero/tools`: what maintenance scripts need — settings, cleaning up Docker and EC2 leftovers,
 * the machine bundle, the log files.
 */
export { settings, childEnvironment, type Settings, type Mode } from './settings.ts';
export { dockerAvailable, sweepDocker } from './spawners/docker/sweep.ts';
export { sweepCloud } from './spawners/cloud/sweep.ts';
export { ec2ClientFrom } from './spawners/cloud/ec2-client.ts';
export { bundleMachine, type Bundle } from './runtime/bundle.ts';

import { pino } from 'pino';
import type { Logger } from './logging.ts';
import { settings } from './settings.ts';
import { DockerSpawner } from './spawners/docker/docker-spawner.ts';
import { SimulatedSpawner } from './spawners/simulated/simulated-spawner.ts';
import { loadSystems } from './spawners/systems-module.ts';
import { SystemController } from './system/system-controller.ts';

/**
 * A system outside Playwright, in simulated or virtual mode (benchmarks, scripts). `systems` is the
 * absolute path of the systems module, as in the Playwright option. Close it when done.
 */
export async function createSystem(options: { mode: 'simulated' | 'virtual'; systems: string; seed?: number; logger?: Logger }): Promise<SystemController> {
  const systems = await loadSystems(options.systems);
  const logger = options.logger ?? pino({ level: 'silent' });
  const seed = options.seed ?? 1;
  const spawner = options.mode === 'simulated' ? new SimulatedSpawner({ seed, logger, systems }) : new DockerSpawner({ seed, logger, settings, systems });
  return new SystemController(spawner, spawner.logger, seed);
}
