/**
 * Entry point of a real machine (a container in virtual mode, an instance in cloud mode). Everything
 * it needs arrives in its environment (see machineSettingsSchema); it runs until SIGTERM/SIGINT.
 * The bundle's entry (see bundle.ts) calls runMachine with the project's registry of node kinds.
 */
import { createLogger } from '../logging.ts';
import { SettingsError, machineSettings } from '../settings.ts';
import type { Registry } from '../nodes/kinds.ts';
import { MachineClock } from './clock.ts';
import { MachineRunner, READY_LINE } from './machine-runner.ts';

/** Kept from the stop grace: the exit itself, and a loaded host's scheduling. */
const STOP_MARGIN_MS = 1_000;

async function main(registry: Registry): Promise<void> {
  const s = machineSettings();
  const clock = new MachineClock(s.DZ_CLOCK_OFFSET_MS, s.DZ_CLOCK_RATE);
  const log = createLogger({
    now: () => clock.now(),
    dir: s.DZ_LOG_DIR,
    name: 'output',
    level: s.LOG_LEVEL,
    bindings: { env: s.DZ_ENV, mode: s.DZ_MODE, system_id: s.DZ_SYSTEM_ID, machine_id: s.DZ_MACHINE_ID, machine_name: s.DZ_MACHINE_NAME },
    logstash: s.LOGSTASH_HOST ? { host: s.LOGSTASH_HOST, port: s.LOGSTASH_PORT, stallMs: s.LOGSTASH_STALL_MS } : undefined,
  });
  const runner = new MachineRunner({
    machineId: s.DZ_MACHINE_ID,
    machineName: s.DZ_MACHINE_NAME,
    secret: s.DZ_SYSTEM_SECRET,
    udpPort: s.MACHINE_UDP_PORT,
    apiPort: s.MACHINE_API_PORT,
    advertise: { host: s.DZ_ADVERTISE_HOST, port: s.DZ_ADVERTISE_PORT },
    api: {
      maxMessageBytes: s.MAX_MESSAGE_BYTES,
      smallFrameBytes: s.API_SMALL_FRAME_BYTES,
      maxConnections: s.API_MAX_CONNECTIONS,
      idleTimeoutMs: s.API_IDLE_TIMEOUT_MS,
      frameTimeoutMs: s.API_FRAME_TIMEOUT_MS,
      unauthenticatedBytes: s.API_UNAUTHENTICATED_BYTES,
    },
    maxPacketBytes: s.MAX_PACKET_BYTES,
    logger: log.logger,
    clock,
    stateFile: s.DZ_STATE_FILE,
    registry,
  });
  await runner.start();
  console.log(`${READY_LINE} ${s.DZ_MACHINE_ID}`);
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    // The spawner kills us DZ_STOP_GRACE_MS after its signal: stop within it, log flush included
    // (a logstash that cannot be reached gets what is left of it, and the lines it missed are counted).
    const deadline = Date.now() + s.DZ_STOP_GRACE_MS - STOP_MARGIN_MS;
    const overdue = setTimeout(() => {
      log.logger.error({ signal, grace_ms: s.DZ_STOP_GRACE_MS }, 'stopping took too long; exiting before being killed');
      process.exit(1);
    }, Math.max(0, deadline - Date.now() + STOP_MARGIN_MS / 2));
    overdue.unref();
    log.logger.info({ signal }, 'stopping');
    await runner.stop();
    await log.close({ deadline });
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
  // Code that throws outside every handler the runner guards (a promise a node left rejected): the
  // process dies, as Node makes it, but says why in its log first (stderr dies with its container).
  const die = (kind: string) => (error: unknown) => {
    log.logger.fatal({ err: error instanceof Error ? { name: error.name, message: error.message, stack: error.stack } : String(error) }, `${kind}; the machine's process dies`);
    void log.close({ deadline: Date.now() + 1_000 }).finally(() => process.exit(1));
  };
  process.on('uncaughtException', die('uncaught exception'));
  process.on('unhandledRejection', die('unhandled promise rejection'));
}

/** Run this process as a DistZero machine hosting the kinds of `registry`, until SIGTERM/SIGINT. */
export function runMachine(registry: Registry): void {
  main(registry).catch((error: unknown) => {
    console.error('distzero machine failed to start:', error instanceof SettingsError ? error.message : error);
    process.exit(1);
  });
}
