/**
 * The replicated register judged by its clients' history, as Jepsen and Maelstrom judge one:
 * clients read, write and compare-and-set keys on random nodes while a nemesis cuts the cluster in
 * random halves, crashes and restarts machines, skews clocks and drops packets; every call is
 * recorded (ok, fail, or info when its outcome is unknown) and the history must be linearizable.
 * With the planted bug (a leader reads its own register without checking it still leads) the same
 * checker must find the stale read.
 */
import { checkLinearizable, operationLabel, timelineSvg, type History, type LinearizabilityResult } from 'distzero/checkers';
import { EVERY_MODE, expect, inModes, nemesisFaults, perform, runWorkload, test, type NemesisEvent, type TestInfo } from 'distzero/test';
import { buildRegister, readOp, registerWorkload, writeOp } from '../../systems/register/scenario.ts';

/** The verdict and the timeline (a violation's window in red) go into the report beside the history the fixtures attach. */
async function attachVerdict(testInfo: TestInfo, history: History, result: LinearizabilityResult, nemesis: NemesisEvent[] = []): Promise<void> {
  const marked = result.verdict === 'violation' ? result.window : [];
  await testInfo.attach('timeline.svg', { body: timelineSvg(history, { marked }), contentType: 'image/svg+xml' });
  await testInfo.attach('linearizability.json', { body: JSON.stringify(result, null, 2), contentType: 'application/json' });
  if (nemesis.length > 0) await testInfo.attach('nemesis.json', { body: JSON.stringify(nemesis, null, 2), contentType: 'application/json' });
}

test.describe('register history', () => {
  inModes(EVERY_MODE, () => {
    test('a seeded workload under partitions of random halves, crashes, clock skew and loss: the history is linearizable', async ({ system }, testInfo) => {
      const net = await buildRegister(system, { nodes: 3 });
      const workload = registerWorkload(system, net, { keys: 2, callTimeoutMs: 2_000 });
      const { history, nemesis } = await runWorkload(system, {
        clients: 3,
        rate: 20,
        durationMs: 4_000,
        next: workload.next,
        final: workload.final,
        // Four intervals, four faults: each of them once, in the seed's order.
        nemesis: { machines: net.machines, faults: nemesisFaults, intervalMs: 1_000 },
        // Time for a view change after healing (a node cut off alone comes back with a later view).
        settleMs: 2_000,
      });
      const result = checkLinearizable(history);
      await attachVerdict(testInfo, history, result, nemesis);
      expect(result.verdict, JSON.stringify(result)).toBe('linearizable');
      expect(new Set(nemesis.map((event) => event.fault))).toEqual(new Set([...nemesisFaults, 'undo']));
      // Available most of the time: a fault costs the calls it catches, not the run.
      expect(history.filter((op) => op.outcome.type === 'ok').length, 'operations answered').toBeGreaterThan(history.length / 3);
      // After healing, the final reads are answered.
      const finals = history.slice(-3 * 2);
      expect(finals.every((op) => op.op === 'read' && op.outcome.type === 'ok'), JSON.stringify(finals)).toBe(true);
    });

    test('the leader crashes: the others elect a new one and go on taking writes; its restart rejoins as a follower', async ({ system }, testInfo) => {
      const net = await buildRegister(system, { nodes: 3 });
      const [n0, n1, n2] = net.nodes;
      await perform(system, 0, writeOp(system, n0!, 'k0', 1));
      await system.crash(net.machines[0]!);
      // Answered only once n1 or n2 leads: a view change (n1 leads view 1), not the crashed leader.
      const written = await system.waitFor(async () => (await perform(system, 1, writeOp(system, n1!, 'k0', 2, { timeoutMs: 1_000 }))).outcome.type, {
        until: (outcome) => outcome === 'ok',
        timeoutMs: 20_000,
        what: 'a write is acknowledged without the crashed leader',
      });
      expect(written).toBe('ok');
      const read = await perform(system, 2, readOp(system, n2!, 'k0'));
      expect(read.outcome).toEqual({ type: 'ok', value: 2 });
      await system.restart(net.machines[0]!);
      // The old leader learns of the new view and forwards to its leader: it sees the write it missed.
      const caughtUp = await system.waitFor(async () => (await perform(system, 0, readOp(system, n0!, 'k0', { timeoutMs: 1_000 }))).outcome, {
        until: (outcome) => outcome.type === 'ok',
        timeoutMs: 20_000,
        what: 'the restarted node answers a read',
      });
      expect(caughtUp).toEqual({ type: 'ok', value: 2 });
      const history = system.history.history();
      const result = checkLinearizable(history);
      await attachVerdict(testInfo, history, result);
      expect(result.verdict, JSON.stringify(result)).toBe('linearizable');
    });
  });

  inModes(['simulated'], () => {
    for (const staleReads of [true, false]) {
      const title = staleReads
        ? 'planted bug: a leader cut off from the majority still serves reads, and the checker catches the stale one'
        : 'the same schedule without the bug: the cut-off leader cannot confirm a read, so it never answers a stale one';
      test(title, async ({ system }, testInfo) => {
        const net = await buildRegister(system, { nodes: 3, staleReads });
        const [n0, n1] = net.nodes;
        await perform(system, 0, writeOp(system, n0!, 'k0', 1));
        // n0 leads view 0; cut off, it hears nothing but keeps believing it leads. The majority
        // side times out, and n1 leads view 1 and takes a write.
        await system.partition([net.machines[0]!], net.machines.slice(1));
        await system.pass(1_000);
        const write = await perform(system, 1, writeOp(system, n1!, 'k0', 2));
        expect(write.outcome.type).toBe('ok');
        // A moment later (operations that touch at an instant count as concurrent), a read at n0.
        await system.pass(1);
        const read = await perform(system, 2, readOp(system, n0!, 'k0', { timeoutMs: 1_000 }));
        await system.heal();
        const history = system.history.history();
        const result = checkLinearizable(history);
        await attachVerdict(testInfo, history, result);
        if (!staleReads) {
          expect(read.outcome.type, 'a read the cut-off leader could not confirm').toBe('info');
          expect(result.verdict).toBe('linearizable');
          return;
        }
        expect(read.outcome).toEqual({ type: 'ok', value: 1 });
        expect(result.verdict).toBe('violation');
        if (result.verdict !== 'violation') return;
        // The minimal window: the write the read missed, and the read.
        expect(result.window.map(operationLabel)).toEqual(['w 2', 'r 1']);
      });
    }
  });
});
