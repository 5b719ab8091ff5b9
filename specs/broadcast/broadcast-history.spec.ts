/**
 * The broadcast judged by its clients' history, as Maelstrom judges it: clients broadcast values
 * while the network drops packets, a partition comes and goes and a machine crashes; every call is
 * recorded (ok, fail or info), then the set checker reads every node once the system has settled:
 * nothing acknowledged may be lost, nothing never attempted may appear.
 */
import { checkSet, setAdds, timelineSvg } from 'distzero/checkers';
import { EVERY_MODE, expect, inModes, test } from 'distzero/test';
import { buildBroadcast, readAll, type BroadcastHandle } from '../../systems/broadcast/scenario.ts';

test.describe('broadcast history', () => {
  inModes(EVERY_MODE, () => {
    test('under loss, a healing partition and a crash, no acknowledged value is lost and none is made up', async ({ system }, testInfo) => {
      const net = await buildBroadcast(system, { nodes: 5, topology: 'grid' });
      await system.configureNetwork({ drop: 0.1 });
      // Three clients, each on a node of its own; values are distinct across clients.
      const client = async (process: number, on: BroadcastHandle, values: number[]) => {
        for (const value of values) await system.history.record(process, { op: 'add', args: value }, () => system.call(on, { type: 'broadcast', value }));
      };
      const batch = (process: number, from: number) => Array.from({ length: 4 }, (_, i) => process * 1000 + from + i);
      await Promise.all([0, 1, 2].map((p) => client(p, net.nodes[p]!, batch(p, 0))));
      // The loss must be seen to fire: a few dozen datagrams can all get through 10% loss, so more
      // values go out (a bounded number of batches) until one has been dropped.
      for (let more = 1; (await system.faultCounts()).drops === 0 && more <= 10; more++) {
        await Promise.all([0, 1, 2].map((p) => client(p, net.nodes[p]!, batch(p, 100 + 10 * more))));
        await system.pass(100);
      }
      await system.partition(net.machines.slice(0, 2), net.machines.slice(2));
      await Promise.all([0, 1, 2].map((p) => client(p, net.nodes[p]!, batch(p, 10))));
      // Held for some gossip rounds (every 50 ms): the calls alone take a few ms on real machines,
      // too short for any gossip to meet the cut.
      await system.pass(300);
      // Node 4's machine goes down: calls to it are recorded as what they are (never an answer).
      await system.crash(net.machines[4]!);
      await Promise.all([client(3, net.nodes[4]!, [3_000, 3_001]), client(0, net.nodes[0]!, batch(0, 20))]);
      await system.heal();
      await system.restart(net.machines[4]!);
      const history = system.history.history();
      const { acknowledged, attempted } = setAdds(history);
      // Settled when every node has every acknowledged value (the checker then judges the rest).
      const reads = await system.waitFor(() => readAll(system, net.nodes), {
        until: (all) => all.every((values) => [...acknowledged].every((v) => values.includes(v as number))),
        timeoutMs: 60_000,
        what: 'every node has every acknowledged value',
      });
      const result = checkSet({ acknowledged, attempted, reads: Object.fromEntries(reads.map((values, i) => [`n${i}`, values])) });
      await testInfo.attach('history.svg', { body: timelineSvg(history), contentType: 'image/svg+xml' });
      await testInfo.attach('set-check.json', { body: JSON.stringify(result, null, 2), contentType: 'application/json' });
      expect(result.valid, JSON.stringify(result)).toBe(true);
      expect(result.counts.acknowledged).toBeGreaterThanOrEqual(24);
      // The two calls to the crashed machine never got an answer: recorded as not ok, never as done.
      expect(history.filter((op) => op.process === 3).every((op) => op.outcome.type !== 'ok')).toBe(true);
    });
  });
});
