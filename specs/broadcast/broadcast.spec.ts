import { EVERY_MODE, expect, inModes, test, type SystemController } from 'distzero/test';
import { broadcast, broadcastRandomly, buildBroadcast, cutRingInTwo, joinBroadcast, messagesSent, readAll, sorted, waitForValues, type BroadcastHandle } from '../../systems/broadcast/scenario.ts';
import type { TopologyName } from '../../systems/broadcast/topology.ts';

/** Small enough for containers and EC2 instances: one machine per node. */
const SHAPES: readonly { topology: TopologyName; nodes: number }[] = [
  { topology: 'ring', nodes: 5 },
  { topology: 'tree', nodes: 5 },
  { topology: 'grid', nodes: 6 }, // 2 x 3
];

/** Time for the wiring's hellos to land, so the message count is the workload's alone. */
const SETTLE_MS = 300;

/** Link-level counts where the mode has them (simulation), else nulls. */
function linkStats(system: SystemController): { delivered: number | null; retransmitted: number | null } {
  const stats = system.simulationStats();
  return { delivered: stats?.delivered ?? null, retransmitted: stats?.retransmitted ?? null };
}

const less = (after: number | null, before: number | null) => (after === null || before === null ? null : after - before);
const per = (total: number | null, count: number) => (total === null ? null : +(total / count).toFixed(2));

/**
 * Measure one workload of `count` broadcasts: the messages it cost and the time until every node has
 * every value. Messages delivered come from the simulator (null in real modes); messages sent come
 * from the nodes' own counters, in every mode. Returns the report's JSON, for the test to attach.
 */
async function measured(system: SystemController, nodes: readonly BroadcastHandle[], label: Record<string, unknown>, count: number, converge: () => Promise<unknown>): Promise<string> {
  const sentBefore = await messagesSent(system, nodes);
  const linksBefore = linkStats(system);
  const start = system.now();
  await converge();
  const elapsed = system.now() - start;
  const linksAfter = linkStats(system);
  const sent = (await messagesSent(system, nodes)) - sentBefore;
  const delivered = less(linksAfter.delivered, linksBefore.delivered);
  const report = {
    mode: system.mode,
    ...label,
    broadcasts: count,
    messagesSent: sent,
    messagesSentPerBroadcast: per(sent, count),
    messagesDelivered: delivered,
    messagesDeliveredPerBroadcast: per(delivered, count),
    retransmitted: less(linksAfter.retransmitted, linksBefore.retransmitted),
    msUntilEveryNodeHasEveryValue: Math.round(elapsed),
  };
  return JSON.stringify(report, null, 2);
}

test.describe('broadcast system', () => {
  inModes(EVERY_MODE, () => {
    for (const shape of SHAPES) {
      test(`${shape.nodes} nodes in a ${shape.topology}: every node gets every value`, async ({ system }, testInfo) => {
        const net = await buildBroadcast(system, shape);
        await system.pass(SETTLE_MS);
        expect(await readAll(system, net.nodes)).toEqual(net.nodes.map(() => []));
        let values: number[] = [];
        const report = await measured(system, net.nodes, { ...shape, phase: 'from the first broadcast' }, 10, async () => {
          values = await broadcastRandomly(system, net.nodes, 10);
          await waitForValues(system, net.nodes, values, 30_000);
        });
        await testInfo.attach('broadcast.json', { body: report, contentType: 'application/json' });
        expect(new Set(values).size).toBe(10);
        expect(await readAll(system, net.nodes)).toEqual(net.nodes.map(() => sorted(values)));
      });
    }

    test('a node that joins later gets every value, and its own reach everyone', async ({ system }) => {
      const net = await buildBroadcast(system, { nodes: 5, topology: 'tree', spare: 1 });
      const early = await broadcastRandomly(system, net.nodes, 5);
      await waitForValues(system, net.nodes, early, 30_000);
      // A leaf's new kid: everything reaches it through one link.
      const late = await joinBroadcast(system, net, [4]);
      await waitForValues(system, [late], early, 30_000);
      await broadcast(system, late, 99_999);
      await waitForValues(system, net.nodes, [...early, 99_999], 30_000);
      expect(net.nodes).toHaveLength(6);
    });
  });

  inModes(['simulated', 'virtual'], () => {
    test('a partition that heals: each side spreads its own values, then every node has every value', async ({ system }, testInfo) => {
      const net = await buildBroadcast(system, { nodes: 5, topology: 'ring' });
      await system.pass(SETTLE_MS);
      const { left, right, whileCut } = await cutRingInTwo(system, net);
      // Held a while: nothing crosses the cut.
      await system.pass(1_000);
      expect(await readAll(system, net.nodes)).toEqual(whileCut);
      const report = await measured(system, net.nodes, { topology: 'ring', nodes: 5, phase: 'from heal' }, 6, async () => {
        await system.heal();
        await waitForValues(system, net.nodes, [...left, ...right], 30_000);
      });
      await testInfo.attach('broadcast.json', { body: report, contentType: 'application/json' });
      expect(await readAll(system, net.nodes)).toEqual(net.nodes.map(() => sorted([...left, ...right])));
    });

    test('a machine crashed and restarted keeps what it had from its journal and catches up', async ({ system }) => {
      const net = await buildBroadcast(system, { nodes: 5, topology: 'ring' });
      const before = await broadcastRandomly(system, net.nodes, 3);
      await waitForValues(system, net.nodes, before, 30_000);
      await system.crash(net.machines[2]!);
      // The ring without node 2 is still a path: the others go on without it.
      const others = net.nodes.filter((_, i) => i !== 2);
      const during = await broadcastRandomly(system, others, 3, 10);
      await waitForValues(system, others, [...before, ...during], 30_000);
      await system.restart(net.machines[2]!);
      await waitForValues(system, net.nodes, [...before, ...during], 30_000);
      expect((await system.faultCounts()).crashes).toBe(1);
    });
  });

  test('20% loss and 10% duplicates on every link: every node has every value', { tag: '@simulated' }, async ({ system }, testInfo) => {
    const net = await buildBroadcast(system, { nodes: 6, topology: 'grid' });
    await system.pass(SETTLE_MS);
    await system.configureNetwork({ drop: 0.2, duplicate: 0.1 });
    let values: number[] = [];
    const report = await measured(system, net.nodes, { topology: 'grid', nodes: 6, network: { drop: 0.2, duplicate: 0.1 }, phase: 'from the first broadcast' }, 20, async () => {
      values = await broadcastRandomly(system, net.nodes, 20);
      await waitForValues(system, net.nodes, values, 30_000);
    });
    await testInfo.attach('broadcast.json', { body: report, contentType: 'application/json' });
    expect(await readAll(system, net.nodes)).toEqual(net.nodes.map(() => sorted(values)));
    const faults = await system.faultCounts();
    expect(faults.drops).toBeGreaterThan(0);
    expect(faults.duplicates).toBeGreaterThan(0);
  });
});
