/**
 * The replicated register judged by its clients' history, as Jepsen and Maelstrom judge one: three
 * clients read, write and compare-and-set two keys on random nodes while the network drops packets,
 * a backup is cut off and comes back, and a machine crashes and restarts; every call is recorded
 * (ok, or info when it never got an answer) and the history must be linearizable. With the planted
 * bug (backups read their own replica) the same checker must find the stale read.
 */
import { HistoryRecorder, checkLinearizable, historyTable, timelineSvg, type History, type LinearizabilityResult } from 'distzero/checkers';
import { EVERY_MODE, expect, inModes, test, type SystemController, type TestInfo } from 'distzero/test';
import { buildRegister, read, runRegisterWorkload, write, type RegisterSystem } from '../../systems/register/scenario.ts';

/** 3 s per call: a call stuck behind a partition or a down primary becomes `info` without holding a real-mode test for 10 s. */
const WORKLOAD = { clients: 3, keys: 2, callTimeoutMs: 3_000 } as const;
/** Ops per client in each of a test's three rounds: about 15 in all. */
const ROUND = 5;

async function attachHistory(testInfo: TestInfo, history: History, result: LinearizabilityResult): Promise<void> {
  const marked = result.verdict === 'violation' ? result.window : [];
  await testInfo.attach('history.txt', { body: historyTable(history), contentType: 'text/plain' });
  await testInfo.attach('timeline.svg', { body: timelineSvg(history, { marked }), contentType: 'image/svg+xml' });
  await testInfo.attach('linearizability.json', { body: JSON.stringify(result, null, 2), contentType: 'application/json' });
}

/** A round of the workload while `fault` runs alongside it (a fault held for a while, then undone). */
function round(system: SystemController, net: RegisterSystem, recorder: HistoryRecorder, index: number, fault: () => Promise<void> = async () => {}): Promise<unknown> {
  return Promise.all([runRegisterWorkload(system, net, { ...WORKLOAD, opsPerClient: ROUND, recorder, firstValue: index * ROUND }), fault()]);
}

test.describe('register history', () => {
  inModes(EVERY_MODE, () => {
    test('under loss, a backup cut off and healed, and a backup crashed and restarted, the history is linearizable', async ({ system }, testInfo) => {
      const net = await buildRegister(system, { nodes: 3 });
      const [, cutOff, crashed] = net.machines;
      const recorder = new HistoryRecorder({ now: () => system.now() });
      await system.configureNetwork({ drop: 0.1 });
      await round(system, net, recorder, 0);
      // The backup's forwards and its updates wait at the partition; its clients wait or time out.
      await system.partition([cutOff!], net.machines.filter((m) => m !== cutOff));
      await round(system, net, recorder, 1, async () => {
        await system.pass(100);
        await system.heal();
      });
      // Calls on the crashed backup fail (info: the primary may have applied them); after its restart
      // it goes on from its journal, and results of forwards from before the crash are ignored.
      await system.crash(crashed!);
      await round(system, net, recorder, 2, async () => {
        await system.pass(100);
        await system.restart(crashed!);
      });
      const history = recorder.history();
      const result = checkLinearizable(history);
      await attachHistory(testInfo, history, result);
      expect(result.verdict, JSON.stringify(result)).toBe('linearizable');
      expect(history.length).toBe(WORKLOAD.clients * ROUND * 3);
      expect(history.filter((op) => op.outcome.type === 'ok').length).toBeGreaterThan(history.length / 2);
    });

    test('a crash and restart of the primary: requests wait for it (no failover), and the history is linearizable', async ({ system }, testInfo) => {
      const net = await buildRegister(system, { nodes: 3 });
      const primary = net.machines[0]!;
      const recorder = new HistoryRecorder({ now: () => system.now() });
      await round(system, net, recorder, 0);
      await system.crash(primary);
      // Calls on the primary fail at once; the backups' forwards wait in the links until it is back.
      await round(system, net, recorder, 1, async () => {
        await system.pass(100);
        await system.restart(primary);
      });
      await round(system, net, recorder, 2);
      const history = recorder.history();
      const result = checkLinearizable(history);
      await attachHistory(testInfo, history, result);
      expect(result.verdict, JSON.stringify(result)).toBe('linearizable');
      // Every acknowledged write from before the crash survived it: the last round's reads see some of them or later ones.
      expect(history.filter((op) => op.outcome.type === 'ok').length).toBeGreaterThan(history.length / 2);
    });
  });

  inModes(['simulated'], () => {
    test('planted bug: backups that read their own replica serve stale reads, and the checker catches one', async ({ system }, testInfo) => {
      const net = await buildRegister(system, { nodes: 3, staleReads: true });
      const cutOff = net.machines[1];
      const [primary, stale] = net.nodes;
      const recorder = new HistoryRecorder({ now: () => system.now() });
      await round(system, net, recorder, 0);
      // The backup falls behind: the primary's updates wait at the partition, its reads do not.
      await system.partition([cutOff!], net.machines.filter((m) => m !== cutOff));
      await round(system, net, recorder, 1);
      // Whatever the seeded round did, this is certain: a write acknowledged by the primary, then a
      // read at the cut-off backup of what it last knew (process 9, a client of its own).
      await write(system, recorder, 9, primary!, 'k0', 9_000);
      await read(system, recorder, 9, stale!, 'k0');
      await system.heal();
      const history = recorder.history();
      const result = checkLinearizable(history);
      await attachHistory(testInfo, history, result);
      expect(result.verdict, historyTable(history)).toBe('violation');
      if (result.verdict !== 'violation') return;
      // A stale read's window: the write it missed and the read (a few operations, not the history).
      expect(result.window.length).toBeGreaterThan(0);
      expect(result.window.length).toBeLessThanOrEqual(4);
      expect(result.window.some((op) => op.op === 'read')).toBe(true);
    });
  });
});
