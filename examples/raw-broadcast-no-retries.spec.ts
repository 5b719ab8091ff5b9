import { expect, test } from 'distzero/test';
import { broadcastRandomly, buildBroadcast, waitForValues } from '../systems/broadcast/scenario.ts';

/**
 * A protocol bug the reliable links would hide: broadcast over the raw channel with its retries
 * switched off, under 20% loss. A lost gossip is never sent again, so some value never reaches some
 * node and the wait times out — a failure the report names with a replay command.
 */
test('a deliberately failing broadcast: raw datagrams without retries, under 20% loss', { tag: '@simulated' }, async ({ system }) => {
  const net = await buildBroadcast(system, { nodes: 6, topology: 'tree', variant: { channel: 'raw', retries: false } });
  await system.configureNetwork({ drop: 0.2 });
  const values = await broadcastRandomly(system, net.nodes, 10);
  await waitForValues(system, net.nodes, values, 5_000);
  expect(values).toHaveLength(10);
});
