import {
  CreateTagsCommand,
  DescribeInstancesCommand,
  EC2Client,
  RunInstancesCommand,
  TerminateInstancesCommand,
  type EC2ClientResolvedConfig,
  type Instance,
  type ServiceInputTypes,
  type ServiceOutputTypes,
} from '@aws-sdk/client-ec2';
import { mockClient, type AwsStub } from 'aws-sdk-client-mock';
import { pino } from 'pino';
import { expect, test } from '../../fixtures/index.ts';
import { settings } from '../../src/settings.ts';
import path from 'node:path';
import systems from '../../distzero.config.ts';
import { CloudLaunchError, Ec2Spawner } from '../../src/spawners/cloud/ec2-spawner.ts';
import { sweepCloud } from '../../src/spawners/cloud/sweep.ts';

const cloud = { tag: '@cloud' };
// Mocks every EC2Client in this worker while these tests run; restored after them.
let ec2: AwsStub<ServiceInputTypes, ServiceOutputTypes, EC2ClientResolvedConfig>;
const instances = (...ids: string[]): Instance[] => ids.map((InstanceId) => ({ InstanceId, State: { Name: 'pending' } }));
const ec2Error = (name: string, message: string, status: number) => Object.assign(new Error(message), { name, $fault: 'client', $metadata: { httpStatusCode: status } });

function spawner(options: { batchSize?: number; bootTimeoutMs?: number } = {}) {
  return new Ec2Spawner({
    logger: pino({ level: 'silent' }),
    systems: { registry: systems, module: path.resolve('distzero.config.ts') },
    // A port nothing listens on, so a boot loader never answers.
    settings: { ...settings, MACHINE_API_PORT: 9 },
    client: new EC2Client({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } }),
    shape: { ami: 'ami-0123', instanceType: 't3.micro', securityGroupId: 'sg-1' },
    waiter: { minDelay: 1, maxDelay: 1, maxWaitTime: 5 },
    ...options,
  });
}

/** Every EC2 call made, as `Command(summary)`, in order: what the specs assert exactly. */
function callLog(): string[] {
  return ec2.calls().map((call) => {
    const command = call.args[0] as unknown as { constructor: { name: string }; input: Record<string, unknown> };
    const input = command.input;
    const name = command.constructor.name.replace(/Command$/, '');
    if (name === 'RunInstances') return `RunInstances(${input.MinCount}..${input.MaxCount})`;
    if (name === 'TerminateInstances') return `TerminateInstances(${(input.InstanceIds as string[]).join(',')})`;
    if (name === 'CreateTags') return `CreateTags(${(input.Resources as string[]).join(',')})`;
    return name;
  });
}

const machines = (n: number) => Array.from({ length: n }, (_, i) => ({ name: `m${i}` }));

test.describe('cloud failure paths', () => {
  test.beforeAll(() => {
    ec2 = mockClient(EC2Client);
  });
  test.afterAll(() => ec2.restore());

  test.beforeEach(() => {
    ec2.reset();
    ec2.on(CreateTagsCommand).resolves({});
    ec2.on(TerminateInstancesCommand).resolves({});
  });

  test('a partial launch terminates what did launch and raises one error', cloud, async () => {
    ec2.on(RunInstancesCommand).resolves({ Instances: instances('i-1', 'i-2') });
    const error = await spawner().createMachines(machines(3)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CloudLaunchError);
    expect((error as Error).message).toBe('could not start 3 machine(s): PartialLaunch: EC2 launched 2 of 3 instances; terminated 2 instance(s) launched for them');
    expect(callLog()).toEqual(['RunInstances(3..3)', 'TerminateInstances(i-1,i-2)']);
  });

  test('throttling on a later batch terminates the earlier batches', cloud, async () => {
    ec2.on(RunInstancesCommand)
      .resolvesOnce({ Instances: instances('i-1', 'i-2') })
      .rejectsOnce(ec2Error('RequestLimitExceeded', 'Request limit exceeded.', 503));
    const error = await spawner({ batchSize: 2 }).createMachines(machines(3)).catch((e: unknown) => e);
    expect((error as Error).message).toBe('could not start 3 machine(s): RequestLimitExceeded: Request limit exceeded.; terminated 2 instance(s) launched for them');
    expect(callLog()).toEqual(['RunInstances(2..2)', 'CreateTags(i-1)', 'CreateTags(i-2)', 'RunInstances(1..1)', 'TerminateInstances(i-1,i-2)']);
  });

  test('a capacity error with nothing launched terminates nothing', cloud, async () => {
    ec2.on(RunInstancesCommand).rejects(ec2Error('InsufficientInstanceCapacity', 'We currently do not have sufficient t3.micro capacity.', 500));
    const error = await spawner().createMachines(machines(2)).catch((e: unknown) => e);
    expect((error as Error).message).toBe(
      'could not start 2 machine(s): InsufficientInstanceCapacity: We currently do not have sufficient t3.micro capacity.; terminated 0 instance(s) launched for them',
    );
    expect(callLog()).toEqual(['RunInstances(2..2)']);
  });

  test('instances that never boot are terminated, and teardown has nothing left to terminate', cloud, async () => {
    ec2.on(RunInstancesCommand).resolves({ Instances: instances('i-1', 'i-2') });
    ec2.on(DescribeInstancesCommand).resolves({
      Reservations: [{ Instances: ['i-1', 'i-2'].map((InstanceId) => ({ InstanceId, State: { Name: 'running' }, PrivateIpAddress: '127.0.0.1' })) }],
    });
    const s = spawner({ bootTimeoutMs: 300 });
    const error = await s.createMachines(machines(2)).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/^could not start 2 machine\(s\): Error: gave up waiting for the boot loader of m0 \(i-1\) at 127\.0\.0\.1: .*; terminated 2 instance\(s\)/);
    await s.cleanUp();
    expect(callLog()).toEqual(['RunInstances(2..2)', 'CreateTags(i-1)', 'CreateTags(i-2)', 'DescribeInstances', 'DescribeInstances', 'TerminateInstances(i-1,i-2)']);
  });

  test('the sweep finds leftovers by tag and terminates them', cloud, async () => {
    ec2.on(DescribeInstancesCommand)
      .resolvesOnce({ Reservations: [{ Instances: [{ InstanceId: 'i-a' }, { InstanceId: 'i-b' }] }], NextToken: 'page-2' })
      .resolvesOnce({ Reservations: [{ Instances: [{ InstanceId: 'i-c' }] }] });
    const client = new EC2Client({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } });
    expect(await sweepCloud(client, { systemId: 'sys-1' })).toEqual(['i-a', 'i-b', 'i-c']);
    expect(callLog()).toEqual(['DescribeInstances', 'DescribeInstances', 'TerminateInstances(i-a,i-b,i-c)']);
    const describe = ec2.commandCalls(DescribeInstancesCommand)[0]!.args[0].input;
    expect(describe.Filters).toEqual([
      { Name: 'tag:Application', Values: ['dist_zero'] },
      { Name: 'instance-state-name', Values: ['pending', 'running', 'stopping', 'stopped'] },
      { Name: 'tag:distzero:system', Values: ['sys-1'] },
    ]);
    expect(ec2.commandCalls(DescribeInstancesCommand)[1]!.args[0].input.NextToken).toBe('page-2');
  });

  test('every launch is tagged with the application, system and owner, and each instance with its machine', cloud, async () => {
    ec2.on(RunInstancesCommand).resolves({ Instances: instances('i-1') });
    ec2.on(DescribeInstancesCommand).resolves({ Reservations: [{ Instances: [{ InstanceId: 'i-1', State: { Name: 'running' }, PrivateIpAddress: '127.0.0.1' }] }] });
    const s = spawner({ bootTimeoutMs: 100 });
    await s.createMachines([{ name: 'hub' }]).catch(() => undefined);
    const run = ec2.commandCalls(RunInstancesCommand)[0]!.args[0].input;
    expect(run.TagSpecifications?.[0]?.Tags?.map((t) => t.Key)).toEqual(['Application', 'distzero:system', 'distzero:owner']);
    expect(run.TagSpecifications?.[0]?.Tags?.[1]?.Value).toBe(s.systemId);
    expect(run.SecurityGroupIds).toEqual(['sg-1']);
    expect(Buffer.from(run.UserData!, 'base64').toString()).toContain('/opt/distzero/loader.cjs');
    const tags = ec2.commandCalls(CreateTagsCommand)[0]!.args[0].input.Tags!;
    expect(tags[0]).toEqual({ Key: 'Name', Value: 'hub' });
    expect(tags[1]?.Key).toBe('distzero:machine');
  });
});
