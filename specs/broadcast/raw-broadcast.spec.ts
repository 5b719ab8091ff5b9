/**
 * `broadcast.raw`: the broadcast workload over the raw channel, where drops and partitions reach
 * the protocol and only its own retries (resend until acknowledged) make every value arrive.
 */
import { EVERY_MODE, expect, inModes, test, type SystemController } from 'distzero/test';
import { broadcast, broadcastRandomly, buildBroadcast, cutRingInTwo, joinBroadcast, readAll, sorted, waitForValues, type BroadcastSystem } from '../../systems/broadcast/scenario.ts';

const RAW = { channel: 'raw' } as const;

/** In simulation: the workload went over the raw channel only (no node message took a reliable link). */
function expectRawOnly(system: SystemController): void {
  const stats = system.simulationStats();
  if (!stats) return;
  expect(stats.delivered, 'node messages delivered by the reliable links').toBe(0);
  expect(stats.raw.delivered).toBeGreaterThan(0);
}

async function everyNodeGetsEveryValue(system: SystemController, net: BroadcastSystem, count: number): Promise<void> {
  const values = await broadcastRandomly(system, net.nodes, count);
  await waitForValues(system, net.nodes, values, 30_000);
  expect(await readAll(system, net.nodes)).toEqual(net.nodes.map(() => sorted(values)));
}

test.describe('broadcast over the raw channel, with retries of its own', () => {
  inModes(EVERY_MODE, () => {
    test('5 nodes in a ring: every node gets every value, over raw datagrams only', async ({ system }) => {
      const net = await buildBroadcast(system, { nodes: 5, topology: 'ring', variant: RAW });
      await everyNodeGetsEveryValue(system, net, 10);
      expectRawOnly(system);
    });
  });

  // Loss, partitions and crashes mean the same in every mode (the runners apply them in their own
  // packet path on containers and instances), so every case runs in every mode.
  inModes(EVERY_MODE, () => {
    test('a partition that heals: each side spreads its own values, then the retries carry them across', async ({ system }) => {
      const net = await buildBroadcast(system, { nodes: 5, topology: 'ring', variant: RAW });
      const { left, right, whileCut } = await cutRingInTwo(system, net);
      // Held a while: the retries go on, and nothing crosses the cut.
      await system.pass(1_000);
      expect(await readAll(system, net.nodes)).toEqual(whileCut);
      await system.heal();
      await waitForValues(system, net.nodes, [...left, ...right], 30_000);
      expectRawOnly(system);
    });

    test('a machine crashed before its value got through spreads it after its restart (the journal re-arms the retries)', async ({ system }) => {
      const net = await buildBroadcast(system, { nodes: 5, topology: 'ring', variant: RAW });
      const crashed = net.machines[2]!;
      // Cut off first, so no gossip of the value gets out before the crash, whatever the timing
      // (a real crash takes a while: racing a gossip round, it sometimes lost).
      await system.partition([crashed], net.machines.filter((m) => m !== crashed));
      await broadcast(system, net.nodes[2]!, 42);
      // Its gossip of 42 meets the cut before it crashes (and the partition is seen to fire).
      await system.waitFor(() => system.faultCounts(), { until: (faults) => faults.partitioned > 0, timeoutMs: 10_000, what: 'a gossip of 42 meets the cut' });
      await system.crash(crashed);
      const others = net.nodes.filter((_, i) => i !== 2);
      expect(await readAll(system, others)).toEqual(others.map(() => []));
      // Nothing else happens meanwhile: the others have nothing to gossip, so no message wakes the
      // restarted node; only its own re-armed timer can send 42.
      await system.restart(crashed);
      await system.heal();
      await waitForValues(system, net.nodes, [42], 30_000);
    });

    test('20% loss and 10% duplicates on every link: every node gets every value', async ({ system }) => {
      const net = await buildBroadcast(system, { nodes: 6, topology: 'grid', variant: RAW });
      await system.configureNetwork({ drop: 0.2, duplicate: 0.1 });
      await everyNodeGetsEveryValue(system, net, 20);
      expectRawOnly(system);
      const faults = await system.faultCounts();
      expect(faults.drops).toBeGreaterThan(0);
      expect(faults.duplicates).toBeGreaterThan(0);
    });

    test('20% loss: a node that joins later is introduced (its hello repeated until answered) and caught up', async ({ system }) => {
      const net = await buildBroadcast(system, { nodes: 5, topology: 'tree', variant: RAW, spare: 1 });
      await system.configureNetwork({ drop: 0.2 });
      // Twenty values, each gossiped in rounds of its own on real machines: enough datagrams that
      // 20% loss surely drops some (five once passed none through the loss on containers, 0.8^16).
      const early = await broadcastRandomly(system, net.nodes, 20);
      await waitForValues(system, net.nodes, early, 30_000);
      const late = await joinBroadcast(system, net, [4]);
      await waitForValues(system, [late], early, 30_000);
      await broadcast(system, late, 99_999);
      await waitForValues(system, net.nodes, [...early, 99_999], 30_000);
    });

    test('without its retries, 20% loss keeps values from some nodes: the retries are what makes it work', async ({ system }) => {
      const net = await buildBroadcast(system, { nodes: 6, topology: 'tree', variant: { channel: 'raw', retries: false } });
      await system.configureNetwork({ drop: 0.2 });
      const values = await broadcastRandomly(system, net.nodes, 20);
      await system.pass(5_000);
      const seen = await readAll(system, net.nodes);
      expect(seen.some((v) => v.length < values.length), `some node lacks a value: ${JSON.stringify(seen)}`).toBe(true);
    });
  });
});
