/**
 * The environment a real machine (container or instance) starts with: its identity, the system
 * secret, ports, and where to ship logs. Shared by the docker and cloud spawners.
 */
import type { Mode, Settings } from '../settings.ts';

export interface MachineIdentity {
  machineId: string;
  machineName: string;
  systemId: string;
  secret: string;
  mode: Exclude<Mode, 'simulated'>;
}

const loopback = new Set(['localhost', '127.0.0.1', '::1']);

export interface MachineEnvOptions {
  logDir: string;
  /** The name containers use for this host: a logstash on this host's loopback is reached there. */
  hostGateway?: string;
  /** How long the spawner waits for the machine to stop before killing it. */
  stopGraceMs?: number;
}

/** Where a machine is told to ship its logs (undefined: nowhere). */
export function machineLogstash(settings: Settings, hostGateway: string | undefined): { host: string; port: number } | undefined {
  if (!settings.LOGSTASH_HOST) return undefined;
  // A logstash on this host's loopback is, seen from a container, on the host gateway.
  const host = hostGateway && loopback.has(settings.LOGSTASH_HOST) ? hostGateway : settings.LOGSTASH_HOST;
  return { host, port: settings.LOGSTASH_PORT };
}

export function machineEnvironment(identity: MachineIdentity, settings: Settings, options: MachineEnvOptions): Record<string, string> {
  const env: Record<string, string> = {
    DZ_MACHINE_ID: identity.machineId,
    DZ_MACHINE_NAME: identity.machineName,
    DZ_SYSTEM_ID: identity.systemId,
    DZ_SYSTEM_SECRET: identity.secret,
    DZ_MODE: identity.mode,
    DZ_ENV: settings.DZ_ENV,
    LOG_LEVEL: settings.LOG_LEVEL,
    DZ_LOG_DIR: options.logDir,
    DZ_ADVERTISE_HOST: 'auto',
    MACHINE_UDP_PORT: String(settings.MACHINE_UDP_PORT),
    MACHINE_API_PORT: String(settings.MACHINE_API_PORT),
    MAX_MESSAGE_BYTES: String(settings.MAX_MESSAGE_BYTES),
    MAX_PACKET_BYTES: String(settings.MAX_PACKET_BYTES),
    API_MAX_CONNECTIONS: String(settings.API_MAX_CONNECTIONS),
    API_IDLE_TIMEOUT_MS: String(settings.API_IDLE_TIMEOUT_MS),
    API_FRAME_TIMEOUT_MS: String(settings.API_FRAME_TIMEOUT_MS),
    API_SMALL_FRAME_BYTES: String(settings.API_SMALL_FRAME_BYTES),
    API_UNAUTHENTICATED_BYTES: String(settings.API_UNAUTHENTICATED_BYTES),
  };
  if (options.stopGraceMs !== undefined) env.DZ_STOP_GRACE_MS = String(options.stopGraceMs);
  const logstash = machineLogstash(settings, options.hostGateway);
  if (logstash) {
    env.LOGSTASH_HOST = logstash.host;
    env.LOGSTASH_PORT = String(logstash.port);
    env.LOGSTASH_STALL_MS = String(settings.LOGSTASH_STALL_MS);
  }
  return env;
}
