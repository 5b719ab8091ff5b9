import net from 'node:net';
import Dockerode from 'dockerode';
import { DescribeInstancesCommand, EC2Client, RunInstancesCommand, TerminateInstancesCommand, waitUntilInstanceRunning, waitUntilInstanceTerminated } from '@aws-sdk/client-ec2';
import { expect, test } from '../../fixtures/index.ts';
import { startLocalEc2, type LocalEc2 } from '../../fixtures/local-ec2/index.ts';
import { ENDPOINT_LABEL } from '../../fixtures/local-ec2/instances.ts';
import { settings } from '../../src/settings.ts';
import { dockerAvailable } from '../../src/spawners/docker/sweep.ts';
import { resolveBaseImage } from '../../src/spawners/docker/base-image.ts';
import { buildSumSystem, seedScenarioUsers, waitForTotals } from '../../systems/sum/scenario.ts';

const client = (endpoint: string) => new EC2Client({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, maxAttempts: 1 });

/** User data that proves it ran: a TCP server answering its own instance's name. */
const userData = (port: number) =>
  Buffer.from(
    `#!/bin/sh\nnode -e "require('net').createServer((s) => s.end('booted ' + require('os').hostname())).listen(${port})" &\n`,
  ).toString('base64');

function readGreeting(host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    let text = '';
    socket.on('data', (d) => (text += d));
    socket.on('end', () => resolve(text));
    socket.on('error', reject);
  });
}

const containersOf = (ec2: LocalEc2) => new Dockerode().listContainers({ all: true, filters: { label: [`${ENDPOINT_LABEL}=${ec2.id}`] } });

test.describe('local EC2 endpoint', () => {
  test('speaks EC2 to the real SDK: launch, wait, describe by tag, user data runs, terminate', { tag: '@cloud' }, async () => {
    const docker = await dockerAvailable();
    test.skip(!docker.ok, docker.ok ? '' : docker.reason);
    const ec2 = await startLocalEc2({ image: (await resolveBaseImage(new Dockerode(), settings.DOCKER_BASE_IMAGE)).image, pendingDescribes: 2 });
    try {
      const sdk = client(ec2.endpoint);
      const run = await sdk.send(
        new RunInstancesCommand({
          ImageId: 'ami-local',
          InstanceType: 't3.micro',
          MinCount: 2,
          MaxCount: 2,
          UserData: userData(7001),
          TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'team', Value: 'dz' }] }],
        }),
      );
      const ids = run.Instances!.map((i) => i.InstanceId!);
      expect(ids).toHaveLength(2);
      expect(run.Instances!.map((i) => i.State?.Name)).toEqual(['pending', 'pending']);
      const waited = await waitUntilInstanceRunning({ client: sdk, minDelay: 1, maxDelay: 1, maxWaitTime: 30 }, { InstanceIds: ids });
      expect(waited.state).toBe('SUCCESS');

      const described = await sdk.send(new DescribeInstancesCommand({ Filters: [{ Name: 'tag:team', Values: ['dz'] }] }));
      const found = described.Reservations!.flatMap((r) => r.Instances!);
      expect(found.map((i) => i.InstanceId).sort()).toEqual([...ids].sort());
      expect(found.every((i) => i.Tags?.some((t) => t.Key === 'team' && t.Value === 'dz'))).toBe(true);
      for (const instance of found) {
        expect(instance.PublicIpAddress).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
        await expect.poll(() => readGreeting(instance.PublicIpAddress!, 7001).catch(() => ''), { timeout: 10_000 }).toMatch(/^booted /);
      }
      expect(await sdk.send(new DescribeInstancesCommand({ Filters: [{ Name: 'tag:team', Values: ['nobody'] }] }))).toMatchObject({ Reservations: [] });

      await expect(sdk.send(new DescribeInstancesCommand({ InstanceIds: ['i-doesnotexist'] }))).rejects.toMatchObject({ name: 'InvalidInstanceID.NotFound' });
      ec2.failNext('RunInstances', { code: 'InsufficientInstanceCapacity', message: 'no room' });
      await expect(sdk.send(new RunInstancesCommand({ ImageId: 'ami-local', MinCount: 1, MaxCount: 1 }))).rejects.toMatchObject({ name: 'InsufficientInstanceCapacity' });

      await sdk.send(new TerminateInstancesCommand({ InstanceIds: ids }));
      const gone = await waitUntilInstanceTerminated({ client: sdk, minDelay: 1, maxDelay: 1, maxWaitTime: 30 }, { InstanceIds: ids });
      expect(gone.state).toBe('SUCCESS');
      expect(ec2.running()).toEqual([]);
      expect(await containersOf(ec2)).toEqual([]);
    } finally {
      await ec2.stop();
    }
  });

  test('after a cloud sum run the endpoint has no running instance and no container is left', { tag: '@cloud' }, async ({ system, localCloud }) => {
    test.skip(!localCloud, 'cloud mode is running against AWS, not the local endpoint');
    const before = localCloud!.calls.length;
    const sum = await buildSumSystem(system, seedScenarioUsers());
    await waitForTotals(system, sum.outputLeaves, 6, 30_000);
    expect(localCloud!.running()).toHaveLength(3);
    await system.spawner.cleanUp();
    const launched = localCloud!.calls
      .slice(before)
      .filter((c) => c.action === 'RunInstances')
      .map((c) => c.params.MaxCount);
    expect(launched).toEqual(['3']);
    const terminate = localCloud!.calls.slice(before).filter((c) => c.action === 'TerminateInstances');
    expect(terminate).toHaveLength(1);
    expect(Object.keys(terminate[0]!.params).filter((k) => k.startsWith('InstanceId.'))).toHaveLength(3);
    expect(localCloud!.running()).toEqual([]);
    expect(await containersOf(localCloud!)).toEqual([]);
  });
});
