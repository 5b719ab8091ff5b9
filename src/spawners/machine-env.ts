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

export function machineEnvironment(identity: MachineIdentity, settings: Settings, options: { logDir: string; hostGateway?: string }): Record<string, string> {
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
  if (settings.LOGSTASH_HOST) {
    // A logstash on this host's loopback is, seen from a container, on the host gateway.
    env.LOGSTASH_HOST = options.hostGateway && loopback.has(settings.LOGSTASH_HOST) ? options.hostGateway : settings.LOGSTASH_HOST;
    env.LOGSTASH_PORT = String(settings.LOGSTASH_PORT);
  }
  return env;
}
