/**
 * Cloud mode: every machine is an EC2 instance running the same MachineRunner as virtual mode.
 * Instances are launched in one RunInstances call per batch, tagged with the system id, awaited with
 * the SDK's waiters, then given their runner through the boot loader (see boot.ts). Any failure
 * after a launch terminates everything launched and raises one error; teardown terminates every
 * instance of the system. A crash kills the runner and a restart starts it again from its journal,
 * both through the loader's control port: no EC2 call, no reboot, the same on AWS and locally.
 */
import { randomBytes } from 'node:crypto';
import {
  CreateTagsCommand,
  DescribeInstancesCommand,
  RunInstancesCommand,
  TerminateInstancesCommand,
  waitUntilInstanceRunning,
  type EC2Client,
  type Instance,
} from '@aws-sdk/client-ec2';
import type { Logger } from '../../logging.ts';
import { bundleMachine, type Bundle } from '../../runtime/bundle.ts';
import { newSystemSecret } from '../../runtime/wire.ts';
import type { Settings } from '../../settings.ts';
import { machineEnvironment } from '../machine-env.ts';
import { apiClientOptions } from '../api-client.ts';
import { RealMachines } from '../real-machines.ts';
import { RealSpawner } from '../real-spawner.ts';
import { retryUntil } from '../retry.ts';
import type { MachineSpec, SpawnedMachine, Systems } from '../spawner.ts';
import { controlPortOf, installMessage, renderUserData } from './boot.ts';
import { callLoader, type ControlMessage, type LoaderEndpoint } from './loader-client.ts';
import { MACHINE_TAG, systemTags } from './tags.ts';

export interface InstanceShape {
  ami: string;
  instanceType: string;
  securityGroupId?: string | undefined;
  keyName?: string | undefined;
  subnetId?: string | undefined;
}

export interface Ec2SpawnerOptions {
  logger: Logger;
  systems: Systems;
  settings: Settings;
  client: EC2Client;
  shape: InstanceShape;
  /** Waiter pacing in seconds; AWS's defaults are slow (15 s), tests against a local endpoint pass small ones. */
  waiter?: { minDelay: number; maxDelay: number; maxWaitTime: number };
  /** Instances per RunInstances call. */
  batchSize?: number;
  /** How long an instance may take from running to its runner answering. */
  bootTimeoutMs?: number;
  /** Seeds the machines' fault generators (the test's seed); random when absent. */
  seed?: number;
  /**
   * How an instance reaches this host, when its instances run on it (the local EC2 endpoint's are
   * containers here): a LOGSTASH_HOST naming this host's loopback is rewritten to it, as for
   * virtual machines. Absent on AWS, where this host's loopback means nothing to an instance.
   */
  hostGateway?: string;
}

export class CloudLaunchError extends Error {
  override name = 'CloudLaunchError';
}

export class Ec2Spawner extends RealSpawner {
  readonly mode = 'cloud' as const;
  readonly systemId: string;
  private readonly secret = newSystemSecret();
  protected readonly machines: RealMachines;
  /** Every instance this system launched, terminated at teardown. */
  readonly instanceIds: string[] = [];
  private bundle: Promise<Bundle> | undefined;

  constructor(private readonly options: Ec2SpawnerOptions) {
    const systemId = `sys-${randomBytes(4).toString('hex')}`;
    super(options.logger.child({ mode: 'cloud', system_id: systemId }), options.systems, options.seed);
    this.systemId = systemId;
    this.machines = new RealMachines(this.secret, apiClientOptions(options.settings, 20_000));
  }

  newId(prefix: string): string {
    return `${prefix}-${randomBytes(3).toString('hex')}`;
  }

  async createMachines(specs: readonly MachineSpec[]): Promise<SpawnedMachine[]> {
    const named = specs.map((spec) => ({ name: spec.name, id: this.newId(spec.name) }));
    const launchedBefore = this.instanceIds.length;
    try {
      this.bundle ??= bundleMachine(this.systems.module);
      const instances: { instanceId: string; name: string; id: string }[] = [];
      const batchSize = this.options.batchSize ?? 50;
      for (let start = 0; start < named.length; start += batchSize) {
        const batch = named.slice(start, start + batchSize);
        const ids = await this.launch(batch.length, this.launches++);
        batch.forEach((machine, i) => instances.push({ instanceId: ids[i]!, ...machine }));
        await Promise.all(
          batch.map((machine, i) =>
            this.options.client.send(
              new CreateTagsCommand({ Resources: [ids[i]!], Tags: [{ Key: 'Name', Value: machine.name }, { Key: MACHINE_TAG, Value: machine.id }] }),
            ),
          ),
        );
      }
      const addresses = await this.waitRunning(instances.map((i) => i.instanceId));
      return await Promise.all(instances.map((instance) => this.boot(instance, addresses.get(instance.instanceId)!)));
    } catch (error) {
      const terminated = await this.terminate(this.instanceIds.slice(launchedBefore));
      throw new CloudLaunchError(
        `could not start ${specs.length} machine(s): ${(error as Error).name}: ${(error as Error).message}; terminated ${terminated.length} instance(s) launched for them`,
        { cause: error },
      );
    }
  }

  /** One RunInstances call for `count` identical instances; fewer than asked is a failure. */
  /**
   * RunInstances calls made so far: each gets a ClientToken of its own. EC2 answers a repeated token
   * with the first call's instances, so a second createMachines must never reuse one.
   */
  private launches = 0;

  private async launch(count: number, batch: number): Promise<string[]> {
    const { shape, settings } = this.options;
    const userData = renderUserData({
      secret: this.secret,
      apiPort: settings.MACHINE_API_PORT,
      controlPort: controlPortOf(settings.MACHINE_API_PORT),
      maxMessageBytes: settings.MAX_MESSAGE_BYTES,
      smallFrameBytes: settings.API_SMALL_FRAME_BYTES,
    });
    const result = await this.options.client.send(
      new RunInstancesCommand({
        ImageId: shape.ami,
        InstanceType: shape.instanceType as RunInstancesCommand['input']['InstanceType'],
        MinCount: count,
        MaxCount: count,
        UserData: Buffer.from(userData).toString('base64'),
        ...(shape.securityGroupId ? { SecurityGroupIds: [shape.securityGroupId] } : {}),
        ...(shape.keyName ? { KeyName: shape.keyName } : {}),
        ...(shape.subnetId ? { SubnetId: shape.subnetId } : {}),
        TagSpecifications: [{ ResourceType: 'instance', Tags: systemTags(this.systemId) }],
        ClientToken: `${this.systemId}-${batch}`,
      }),
    );
    const ids = (result.Instances ?? []).flatMap((i) => (i.InstanceId ? [i.InstanceId] : []));
    this.instanceIds.push(...ids);
    if (ids.length < count) {
      // Already recorded in instanceIds: the caller terminates what did launch.
      throw Object.assign(new Error(`EC2 launched ${ids.length} of ${count} instances`), { name: 'PartialLaunch' });
    }
    this.logger.info({ instances: ids, batch }, 'instances launched');
    return ids;
  }

  private async waitRunning(instanceIds: string[]): Promise<Map<string, string>> {
    const waiter = this.options.waiter ?? { minDelay: 5, maxDelay: 15, maxWaitTime: 600 };
    await waitUntilInstanceRunning({ client: this.options.client, ...waiter }, { InstanceIds: instanceIds });
    const described = await this.options.client.send(new DescribeInstancesCommand({ InstanceIds: instanceIds }));
    const addresses = new Map<string, string>();
    for (const instance of (described.Reservations ?? []).flatMap((r) => r.Instances ?? [])) {
      const address = reachableAddress(instance);
      if (instance.InstanceId && address) addresses.set(instance.InstanceId, address);
    }
    const missing = instanceIds.filter((id) => !addresses.has(id));
    if (missing.length > 0) throw new Error(`instances without a reachable address: ${missing.join(', ')}`);
    return addresses;
  }

  /** Hand the instance its runner through the boot loader, then wait for the runner to answer. */
  private async boot(instance: { instanceId: string; name: string; id: string }, host: string): Promise<SpawnedMachine> {
    const { settings } = this.options;
    const env = machineEnvironment(
      { machineId: instance.id, machineName: instance.name, systemId: this.systemId, secret: this.secret, mode: 'cloud' },
      settings,
      { logDir: '/var/log/distzero', ...(this.options.hostGateway ? { hostGateway: this.options.hostGateway } : {}) },
    );
    // The runner journals, so the loader's `restart` brings it back with what it had committed.
    env.DZ_STATE_FILE = '/opt/distzero/state.json';
    const api = { host, port: settings.MACHINE_API_PORT };
    const deadline = Date.now() + (this.options.bootTimeoutMs ?? 180_000);
    const install = installMessage(await this.bundle!, env);
    await retryUntil(deadline, `the boot loader of ${instance.name} (${instance.instanceId}) at ${host}`, () =>
      callLoader({ ...api, secret: this.secret, machineId: instance.id, maxMessageBytes: settings.MAX_MESSAGE_BYTES, smallFrameBytes: settings.API_SMALL_FRAME_BYTES }, install, { machine: instance.name, timeoutMs: 20_000 }),
    );
    const machine = await retryUntil(deadline, `the runner of ${instance.name} at ${host}`, () =>
      this.machines.add(instance.id, instance.name, api, { host, port: settings.MACHINE_UDP_PORT }),
    );
    await this.machineJoined(instance.id);
    this.logger.info({ machine_id: instance.id, machine_name: instance.name, instance: instance.instanceId, host }, 'cloud machine started');
    return this.named({ id: instance.id, name: instance.name, transport: machine.transport });
  }

  /** SIGKILL of the runner by its loader: the machine's process dies mid-step; its journal is what it had committed. */
  protected override async crashMachine(machineId: string): Promise<void> {
    const { name } = this.machines.get(machineId);
    await this.processDies(machineId);
    this.machines.down(machineId);
    await this.control(machineId, { type: 'crash' });
    this.logger.info({ machine_id: machineId, machine_name: name }, 'cloud machine crashed');
  }

  /** The loader starts the runner again with the same environment; it is back once its API answers. */
  protected override async restartMachine(machineId: string): Promise<void> {
    const { name, api, udp } = this.machines.get(machineId);
    await this.control(machineId, { type: 'restart' });
    await retryUntil(Date.now() + 30_000, `the restarted runner of ${name} at ${api.host}`, () => this.machines.add(machineId, name, api, udp));
    await this.processRestarted(machineId);
    this.logger.info({ machine_id: machineId, machine_name: name }, 'cloud machine restarted');
  }

  private control(machineId: string, message: ControlMessage): Promise<unknown> {
    const { name, api } = this.machines.get(machineId);
    const { settings } = this.options;
    const loader: LoaderEndpoint = {
      host: api.host,
      port: controlPortOf(api.port),
      secret: this.secret,
      machineId,
      maxMessageBytes: settings.MAX_MESSAGE_BYTES,
      smallFrameBytes: settings.API_SMALL_FRAME_BYTES,
    };
    return callLoader(loader, message, { machine: name, timeoutMs: 15_000 });
  }

  async cleanUp(): Promise<void> {
    this.machines.closeAll();
    await this.terminate([...this.instanceIds]);
  }

  private async terminate(instanceIds: string[]): Promise<string[]> {
    if (instanceIds.length === 0) return [];
    try {
      await this.options.client.send(new TerminateInstancesCommand({ InstanceIds: instanceIds }));
      const gone = new Set(instanceIds);
      this.instanceIds.splice(0, this.instanceIds.length, ...this.instanceIds.filter((id) => !gone.has(id)));
      this.logger.info({ instances: instanceIds }, 'instances terminated');
    } catch (error) {
      this.logger.error({ instances: instanceIds, err: (error as Error).message }, 'terminating instances failed; run npm run clean:cloud');
      throw error;
    }
    return instanceIds;
  }
}

/** The address the test process can reach: the public one when there is one. */
function reachableAddress(instance: Instance): string | undefined {
  return instance.PublicIpAddress ?? instance.PrivateIpAddress;
}
