/**
 * `distzero/sim`: a simulated system outside Playwright — for scripts that replay a case, benchmarks,
 * or a property-based search of your own. Inside a spec, use the `system` / `newSystem` fixtures.
 */
import { pino } from 'pino';
import type { Logger } from './logging.ts';
import type { Registry } from './nodes/kinds.ts';
import { SimulatedSpawner } from './spawners/simulated/simulated-spawner.ts';
import { SystemController } from './system/system-controller.ts';

export interface SimulateOptions {
  seed: number;
  /** The project's registry (the default export of its systems module). */
  systems: Registry;
  /** Default: silent. */
  logger?: Logger;
  /** JSON round-trip and check every packet, as a real wire would. */
  serialize?: boolean;
  /** Test-only: links deliver duplicates again, to show a check catches a broken link layer. */
  brokenDedup?: boolean;
  /** How many of the run's last events the trace keeps whole, for `sequenceDiagram` (default 2,000). */
  traceEvents?: number;
}

export function simulate(options: SimulateOptions): SystemController {
  const logger = options.logger ?? pino({ level: 'silent' });
  const spawner = new SimulatedSpawner({
    seed: options.seed,
    logger,
    systems: { registry: options.systems, module: '' },
    serialize: options.serialize ?? false,
    brokenDedup: options.brokenDedup ?? false,
    traceEvents: options.traceEvents,
  });
  return new SystemController(spawner, spawner.logger, options.seed);
}

export { SystemController, type Handle, type MachineRef, type WaitForOptions } from './system/system-controller.ts';
export { WaitTimeoutError } from './spawners/spawner.ts';
export { CallTimeoutError } from './spawners/api-client.ts';
export { SimulationError } from './spawners/simulated/simulation-error.ts';
export type { ClockSkew, FaultCounts, FaultKind, LinkConditions } from './spawners/faults.ts';
