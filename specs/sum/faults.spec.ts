import { UnsupportedFaultError, expect, inModes, test } from 'distzero/test';
import { RecordedUser, buildSumSystem, inc, manyUsers, seedScenarioUsers, totalOf, totals, waitForTotals } from '../../systems/sum/scenario.ts';


/** The same users, acting `ms` later: time for a test to set up its faults first. */
const delayed = (users: RecordedUser[], ms: number) => users.map((u) => u.shifted(ms));

test.describe('faults', () => {
  inModes(['simulated', 'virtual'], () => {
    test('a partition that heals: the cut-off side falls behind, then every output is exact', async ({ system }) => {
      // Users act 4 s after they start: the partition is in place before anyone acts.
      const sum = await buildSumSystem(system, delayed(manyUsers(6, 3, 40), 4_000));
      const [hub, ...users] = sum.machines;
      await system.partition([hub!, ...users.slice(0, 2)], users.slice(2));
      await system.pass(6_000);
      const during = await totals(system, sum.outputLeaves);
      expect(during.slice(2).every((t) => t === 0), `cut-off leaves saw nothing: ${during}`).toBe(true);
      expect(during.slice(0, 2).every((t) => t > 0), `the hub's side went on: ${during}`).toBe(true);
      await system.heal();
      await waitForTotals(system, sum.outputLeaves, sum.expectedTotal, 30_000);
    });
  });

  inModes(['simulated', 'virtual'], () => {
    test('a partition that heals and a machine crashed and restarted: every output exact', async ({ system }) => {
      const users = delayed(manyUsers(4, 3, 200), 2_000);
      const sum = await buildSumSystem(system, users);
      const [hub, first, ...rest] = sum.machines;
      // The first user's machine dies with its recording half played and comes back from its journal.
      await system.pass(2_300);
      await system.crash(first!);
      await system.partition([hub!], rest);
      await system.pass(1_500);
      await system.restart(first!);
      await system.heal();
      await waitForTotals(system, sum.outputLeaves, sum.expectedTotal, 60_000);
      expect((await system.faultCounts()).crashes).toBe(1);
      // The restarted machine still hosts its leaf, which played its whole recording exactly once.
      expect((await totalOf(system, sum.inputLeaves[0]!))).toBe(users[0]!.total);
    });
  });

  test('10% loss on every container (netem, where the kernel has it): every output exact', { tag: '@virtual' }, async ({ system }) => {
    const sum = await buildSumSystem(system, delayed(seedScenarioUsers(), 1_000));
    try {
      await system.configureNetwork({ drop: 0.1 });
    } catch (error) {
      if (!(error instanceof UnsupportedFaultError)) throw error;
      test.skip(true, error.message);
    }
    await waitForTotals(system, sum.outputLeaves, 6, 60_000);
  });

  test('faults a mode cannot inject are refused, never ignored', { tag: '@virtual' }, async ({ system }) => {
    const [a, b] = await system.createMachines(['a', 'b']);
    await expect(system.configureNetwork({ drop: 0.5 }, { from: a!, to: b! })).rejects.toThrow('virtual mode cannot change one link alone');
    await expect(system.configureNetwork({ tailChance: 0.1, tailMs: 100 })).rejects.toThrow(UnsupportedFaultError);
  });

  test('lossy, duplicating, reordering links with a heavy tail: every output exact', { tag: '@simulated' }, async ({ system }) => {
    await system.configureNetwork({ drop: 0.2, duplicate: 0.1, reorder: 0.2, tailChance: 0.05, tailMs: 300 });
    const sum = await buildSumSystem(system, manyUsers(20));
    await waitForTotals(system, sum.outputLeaves, sum.expectedTotal, 60_000);
    const faults = await system.faultCounts();
    expect(faults.drops).toBeGreaterThan(0);
    expect(faults.duplicates).toBeGreaterThan(0);
    expect(faults.reorders).toBeGreaterThan(0);
  });

  test('one dead link holds its output leaf back until it comes back', { tag: '@simulated' }, async ({ system }) => {
    // Everyone acts after the link is cut (the system is built well within 500 ms).
    const sum = await buildSumSystem(system, delayed(seedScenarioUsers(), 500));
    const [hub, b] = sum.machines;
    await system.configureNetwork({ drop: 1 }, { from: hub!, to: b! });
    await system.pass(2_000);
    const [atB, atC] = await totals(system, sum.outputLeaves);
    expect(atC).toBe(6);
    expect(atB).toBe(0);
    await system.configureNetwork({ drop: 0 }, { from: hub!, to: b! });
    await waitForTotals(system, sum.outputLeaves, 6, 30_000);
  });

  test('a crashed hub that restarts loses nothing but time', { tag: '@simulated' }, async ({ system }) => {
    const sum = await buildSumSystem(system, manyUsers(8, 3, 30));
    const hub = sum.machines[0]!;
    await system.crash(hub);
    await system.pass(500);
    await system.restart(hub);
    await waitForTotals(system, sum.outputLeaves, sum.expectedTotal, 30_000);
    const faults = await system.faultCounts();
    expect(faults.crashes).toBe(1);
    // What reached the hub while it was down was lost, and the links sent it again.
    expect(faults.to_down_machine).toBeGreaterThan(0);
  });

  test('a machine that crashes for good loses exactly what it had not yet delivered', { tag: '@simulated' }, async ({ system }) => {
    // User B acts at 200 and 400 ms; C's actions all come first.
    const users = [
      new RecordedUser('user-b', [
        [200, inc(2)],
        [400, inc(1)],
      ]),
      new RecordedUser('user-c', [
        [5, inc(1)],
        [10, inc(1)],
        [15, inc(1)],
      ]),
    ];
    const sum = await buildSumSystem(system, users);
    await system.crash(sum.machines[1]!); // B's machine, before either of its actions
    await waitForTotals(system, [sum.outputLeaves[1]!], 3, 10_000);
    await system.pass(5_000);
    expect((await totalOf(system, sum.outputLeaves[1]!))).toBe(3);
    expect((await totalOf(system, sum.input))).toBe(3);
  });
});
