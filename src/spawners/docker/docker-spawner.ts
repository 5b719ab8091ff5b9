/**
 * Virtual mode: every machine is a container on this host, started with testcontainers on a network
 * of its own system, running the bundled MachineRunner. The test reaches each machine's API through
 * its published port (works on Docker Desktop too); machines reach each other by their addresses on
 * the system network. Every container and network is labelled with the system id; cleanUp removes
 * them, and sweepDocker removes what a crashed run left.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import Dockerode from 'dockerode';
import { GenericContainer, Wait, type StartedTestContainer } from 'testcontainers';
import type { Logger } from '../../logging.ts';
import type { ApiRequest, ApiResponse } from '../../messages/index.ts';
import { READY_LINE } from '../../runtime/machine-runner.ts';
import { newSystemSecret } from '../../runtime/wire.ts';
import type { Settings } from '../../settings.ts';
import { machineEnvironment } from '../machine-env.ts';
import { RealMachines } from '../real-machines.ts';
import { Spawner, type Attachment, type MachineSpec, type SpawnedMachine, type WireAccess } from '../spawner.ts';
import { MACHINE_LABEL, systemLabels } from './labels.ts';
import { machineImage } from './machine-image.ts';
import { sweepDocker } from './sweep.ts';

const CONTAINER_LOG_DIR = '/var/log/distzero';

export interface DockerSpawnerOptions {
  logger: Logger;
  settings: Settings;
  docker?: Dockerode;
}

export class DockerSpawner extends Spawner {
  readonly mode = 'virtual' as const;
  readonly systemId = `sys-${randomBytes(4).toString('hex')}`;
  private readonly secret = newSystemSecret();
  private readonly docker: Dockerode;
  private readonly settings: Settings;
  private readonly machines: RealMachines;
  private readonly containers = new Map<string, StartedTestContainer>();
  private network: Dockerode.Network | undefined;
  private readonly networkName = `distzero-${this.systemId}`;

  constructor(options: DockerSpawnerOptions) {
    super(options.logger);
    this.settings = options.settings;
    this.docker = options.docker ?? new Dockerode();
    this.machines = new RealMachines(this.secret, { maxMessageBytes: options.settings.MAX_MESSAGE_BYTES, timeoutMs: 15_000 });
  }

  newId(prefix: string): string {
    return `${prefix}-${randomBytes(3).toString('hex')}`;
  }

  /** Host directory that holds a machine's log files (bind-mounted into its container). */
  logDir(machineId: string): string {
    return path.resolve(this.settings.LOG_DIR, 'containers', machineId, 'logs');
  }

  async createMachines(specs: readonly MachineSpec[]): Promise<SpawnedMachine[]> {
    const image = await machineImage(this.docker, this.settings.DOCKER_BASE_IMAGE, path.resolve(this.settings.LOG_DIR, 'build'));
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
      { logDir: CONTAINER_LOG_DIR, hostGateway: this.settings.DOCKER_HOST_GATEWAY },
    );
    const apiPort = this.settings.MACHINE_API_PORT;
    const udpPort = this.settings.MACHINE_UDP_PORT;
    const container = await new GenericContainer(image)
      .withName(`${this.systemId}-${id}`)
      .withNetworkMode(this.networkName)
      .withLabels({ ...systemLabels(this.systemId), [MACHINE_LABEL]: id })
      .withEnvironment(env)
      .withExposedPorts(apiPort, `${udpPort}/udp`)
      .withBindMounts([{ source: logDir, target: CONTAINER_LOG_DIR, mode: 'rw' }])
      .withExtraHosts([{ host: this.settings.DOCKER_HOST_GATEWAY, ipAddress: 'host-gateway' }])
      // netem and partitions inside the machine need it; nothing else does.
      .withAddedCapabilities('NET_ADMIN')
      .withWaitStrategy(Wait.forLogMessage(READY_LINE))
      .withStartupTimeout(30_000)
      .start();
    this.containers.set(id, container);
    const host = container.getHost();
    const machine = await this.machines.add(id, name, { host, port: container.getMappedPort(apiPort) }, { host, port: container.getMappedPort(udpPort, 'udp') });
    this.logger.info({ machine_id: id, machine_name: name, transport: machine.transport }, 'container machine started');
    return { id, name, transport: machine.transport };
  }

  override wireAccess(machineId: string): WireAccess {
    return this.machines.wireAccess(machineId);
  }

  protected send(machineId: string, request: ApiRequest): Promise<ApiResponse> {
    return this.machines.send(machineId, request);
  }

  async cleanUp(): Promise<void> {
    this.machines.closeAll();
    await Promise.allSettled([...this.containers.values()].map((c) => c.stop({ timeout: 2_000, remove: true })));
    this.containers.clear();
    // Whatever a failed start left behind (a container that never became ready, the network).
    await sweepDocker({ systemId: this.systemId, docker: this.docker });
    this.network = undefined;
  }

  override async attachments(_failed: boolean): Promise<Attachment[]> {
    return [...this.containers.keys()].flatMap((id) => {
      const file = path.join(this.logDir(id), 'output.log');
      return fs.existsSync(file) ? [{ name: `machine-${id}.log`, contentType: 'text/plain', path: file }] : [];
    });
  }
}
