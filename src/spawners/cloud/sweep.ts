/** Terminates DistZero instances by tag: one system's, or every leftover (`npm run clean:cloud`). */
import { DescribeInstancesCommand, TerminateInstancesCommand, type EC2Client, type Filter } from '@aws-sdk/client-ec2';
import { APPLICATION_TAG, SYSTEM_TAG } from './tags.ts';

const LIVE_STATES = ['pending', 'running', 'stopping', 'stopped'];

export async function sweepCloud(client: EC2Client, options: { systemId?: string } = {}): Promise<string[]> {
  const filters: Filter[] = [
    { Name: `tag:${APPLICATION_TAG.Key}`, Values: [APPLICATION_TAG.Value] },
    { Name: 'instance-state-name', Values: LIVE_STATES },
  ];
  if (options.systemId) filters.push({ Name: `tag:${SYSTEM_TAG}`, Values: [options.systemId] });
  const ids: string[] = [];
  let token: string | undefined;
  do {
    const page = await client.send(new DescribeInstancesCommand({ Filters: filters, NextToken: token }));
    for (const r of page.Reservations ?? []) for (const i of r.Instances ?? []) if (i.InstanceId) ids.push(i.InstanceId);
    token = page.NextToken;
  } while (token);
  for (let start = 0; start < ids.length; start += 500) {
    await client.send(new TerminateInstancesCommand({ InstanceIds: ids.slice(start, start + 500) }));
  }
  return ids;
}
