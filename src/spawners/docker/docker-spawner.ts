/**
 * Virtual mode: every machine is a container on this host, started with testcontainers on a network
 * of its own system, running the bundled MachineRunner. The test reaches each machine's API through
 * its published port (works on Docker Desktop too); machines reach each other by their addresses on
 * the system network. Every container and network is labelled with the system id; cleanUp removes
 * them, and sweepDocker removes what a crashed run left.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import Dockerode from 'dockerode';
import { GenericContainer, Wait, type StartedTestContainer } from 'testcontainers';
import type { Logger } from '../../logging.ts';
import { READY_LINE } from '../../runtime/machine-runner.ts';
import { newSystemSecret } from '../../runtime/wire.ts';
import type { Settings } from '../../settings.ts';
import { machineEnvironment } from '../machine-env.ts';
import { apiClientOptions } from '../api-client.ts';
import { RealMachines } from '../real-machines.ts';
import { RealSpawner } from '../real-spawner.ts';
import { retryUntil } from '../retry.ts';
import type { Attachment, MachineSpec, SpawnedMachine, Systems } from '../spawner.ts';
import { MACHINE_LABEL, systemLabels } from './labels.ts';
import { checkLogstashFromContainers } from './logstash-probe.ts';
import { machineImage } from './machine-image.ts';
import { sweepDocker } from './sweep.ts';

const CONTAINER_LOG_DIR = '/var/log/distzero';
/**
 * How long a machine may take to stop (SIGTERM) before Docker kills it (SIGKILL). The machine is
 * told it (DZ_STOP_GRACE_MS) and fits its log flush inside, so it exits 0 even when logstash is away.
 * Docker counts whole seconds.
 */
export const STOP_GRACE_MS = 3_000;

export interface DockerSpawnerOptions {
  logger: Logger;
  systems: Systems;
  settings: Settings;
  docker?: Dockerode;
  /** Seeds the machines' fault generators (the test's seed); random when absent. */
  seed?: number;
}

export class DockerSpawner extends RealSpawner {
  readonly mode = 'virtual' as const;
  readonly systemId: string;
  private readonly secret = newSystemSecret();
  private readonly docker: Dockerode;
  private readonly settings: Settings;
  protected readonly machines: RealMachines;
  private readonly containers = new Map<string, StartedTestContainer>();
  /** Each stopped machine's exit code (0: it stopped cleanly within the grace), by machine id. */
  private readonly exits = new Map<string, number>();
  private network: Dockerode.Network | undefined;
  private readonly networkName: string;

  constructor(options: DockerSpawnerOptions) {
    const systemId = `sys-${randomBytes(4).toString('hex')}`;
    super(options.logger.child({ mode: 'virtual', system_id: systemId }), options.systems, options.seed);
    this.systemId = systemId;
    this.networkName = `distzero-${systemId}`;
    this.settings = options.settings;
    this.docker = options.docker ?? new Dockerode();
    this.machines = new RealMachines(this.secret, apiClientOptions(options.settings, 15_000));
  }

  newId(prefix: string): string {
    return `${prefix}-${randomBytes(3).toString('hex')}`;
  }

  /** Host directory that holds a machine's log files (bind-mounted into its container). */
  logDir(machineId: string): string {
    return path.resolve(this.settings.LOG_DIR, 'containers', machineId, 'logs');
  }

  async createMachines(specs: readonly MachineSpec[]): Promise<SpawnedMachine[]> {
    const image = await machineImage(this.docker, this.settings.DOCKER_BASE_IMAGE, path.resolve(this.settings.LOG_DIR, 'build'), this.systems.module);
    await checkLogstashFromContainers(this.docker, this.settings, this.logger);
    await this.ensureNetwork();
    const started = await Promise.allSettled(specs.map((spec) => this.startMachine(image, spec.name)));
    const failure = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failure) throw failure.reason;
    return started.map((r) => (r as PromiseFulfilledResult<SpawnedMachine>).value);
  }

  private async ensureNetwork(): Promise<void> {
    this.network ??= await this.docker.createNetwork({ Name: this.networkName, Driver: 'bridge', Labels: systemLabels(this.systemId) });
  }

  private async startMachine(image: string, name: string): Promise<SpawnedMachine> {
    const id = this.newId(name);
    const logDir = this.logDir(id);
    fs.mkdirSync(logDir, { recursive: true });
    const env = machineEnvironment(
      { machineId: id, machineName: name, systemId: this.systemId, secret: this.secret, mode: 'virtual' },
      this.settings,
      { logDir: CONTAINER_LOG_DIR, hostGateway: this.settings.DOCKER_HOST_GATEWAY, stopGraceMs: STOP_GRACE_MS },
    );
    const apiPort = this.settings.MACHINE_API_PORT;
    const udpPort = this.settings.MACHINE_UDP_PORT;
    const containerName = `${this.systemId}-${id}`;
    // Peers address it by name: Docker's DNS follows it across a restart, its IP need not.
    env.DZ_ADVERTISE_HOST = containerName;
    env.DZ_STATE_FILE = '/var/lib/distzero/state.json';
    const container = await new GenericContainer(image)
      .withName(containerName)
      .withNetworkMode(this.networkName)
      .withLabels({ ...systemLabels(this.systemId), [MACHINE_LABEL]: id })
      .withEnvironment(env)
      .withExposedPorts(apiPort, `${udpPort}/udp`)
      .withBindMounts([{ source: logDir, target: CONTAINER_LOG_DIR, mode: 'rw' }])
      .withExtraHosts([{ host: this.settings.DOCKER_HOST_GATEWAY, ipAddress: 'host-gateway' }])
      .withWaitStrategy(Wait.forLogMessage(READY_LINE))
      .withStartupTimeout(30_000)
      .start();
    this.containers.set(id, container);
    const machine = await this.connect(id, name, container.getId());
    await this.machineJoined(id);
    this.logger.info({ machine_id: id, machine_name: name, transport: machine.transport }, 'container machine started');
    return this.named({ id, name, transport: machine.transport });
  }

  /**
   * Reach a started container through its published ports (they change when it restarts). Docker
   * may publish IPv4 and IPv6 on different host ports: take one address family's binding and
   * connect to that family's loopback explicitly (never `localhost`, which may resolve to the other
   * family, whose port can belong to another container). RealMachines.add then checks that both
   * the API and the UDP port answer as this machine.
   */
  private async connect(id: string, name: string, containerId: string) {
    const info = await this.docker.getContainer(containerId).inspect();
    const published = (spec: string) => publishedPort(info.NetworkSettings.Ports[spec], `${spec} of ${name}`);
    return this.machines.add(id, name, published(`${this.settings.MACHINE_API_PORT}/tcp`), published(`${this.settings.MACHINE_UDP_PORT}/udp`));
  }

  /** SIGKILL: the machine's process dies mid-step; its journal is what it had committed. */
  protected override async crashMachine(machineId: string): Promise<void> {
    const container = this.container(machineId);
    await this.processDies(machineId);
    this.machines.down(machineId);
    await this.docker.getContainer(container.getId()).kill({ signal: 'SIGKILL' });
  }

  protected override async restartMachine(machineId: string): Promise<void> {
    const container = this.container(machineId);
    const { name } = this.machines.get(machineId);
    await this.docker.getContainer(container.getId()).start();
    await retryUntil(Date.now() + 30_000, `machine ${name} to come back after restart`, () => this.connect(machineId, name, container.getId()), { firstDelayMs: 50, maxDelayMs: 500 });
    await this.processRestarted(machineId);
  }

  private container(machineId: string): StartedTestContainer {
    const container = this.containers.get(machineId);
    if (!container) throw new Error(`no container for machine ${machineId}`);
    return container;
  }

  async cleanUp(): Promise<void> {
    this.machines.closeAll();
    await Promise.allSettled([...this.containers].map(([id, c]) => this.stopMachine(id, c.getId())));
    this.containers.clear();
    // Whatever a failed start left behind (a container that never became ready, the network).
    await sweepDocker({ systemId: this.systemId, docker: this.docker });
    this.network = undefined;
  }

  /** Each machine's exit code once the system is cleaned up (a crashed machine's is its SIGKILL's, 137). */
  exitCodes(): ReadonlyMap<string, number> {
    return this.exits;
  }

  /** SIGTERM, up to STOP_GRACE_MS to stop, then SIGKILL; the exit code is kept and a dirty stop said. */
  private async stopMachine(machineId: string, containerId: string): Promise<void> {
    const container = this.docker.getContainer(containerId);
    try {
      await container.stop({ t: Math.ceil(STOP_GRACE_MS / 1000) });
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode !== 304) throw error; // 304: already stopped (crashed)
    }
    const code = (await container.inspect()).State.ExitCode;
    this.exits.set(machineId, code);
    if (code !== 0 && !this.isDown(machineId)) {
      const killed = code === 137 ? `: killed, not stopped within ${STOP_GRACE_MS} ms` : '';
      this.logger.warn({ machine_id: machineId, exit_code: code }, `machine ${this.nameOf(machineId)} did not stop cleanly (exit code ${code}${killed})`);
    }
    await container.remove({ force: true, v: true });
  }

  override machineLogFiles(): string[] {
    return [...this.containers.keys()].map((id) => path.join(this.logDir(id), 'output.json.log'));
  }

  override async attachments(_failed: boolean): Promise<Attachment[]> {
    return [...this.containers.keys()].flatMap((id) => {
      const file = path.join(this.logDir(id), 'output.log');
      return fs.existsSync(file) ? [{ name: `machine-${id}.log`, contentType: 'text/plain', path: file }] : [];
    });
  }
}

/** A published port as the test reaches it: IPv4 when Docker published one, else IPv6; each on its own loopback. */
export function publishedPort(bindings: { HostIp: string; HostPort: string }[] | null | undefined, what: string): { host: string; port: number } {
  const v4 = bindings?.find((b) => b.HostIp === '' || net.isIPv4(b.HostIp));
  const v6 = bindings?.find((b) => net.isIPv6(b.HostIp));
  const chosen = v4 ?? v6;
  if (!chosen) throw new Error(`${what} is not published`);
  return { host: chosen === v4 ? '127.0.0.1' : '::1', port: Number(chosen.HostPort) };
}
