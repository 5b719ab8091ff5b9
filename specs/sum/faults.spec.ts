import { InvalidArgumentError, UnknownMachineError } from 'distzero';
import { EVERY_MODE, expect, inModes, test } from 'distzero/test';
import { RecordedUser, buildSumSystem, inc, manyUsers, seedScenarioUsers, totalOf, totals, waitForTotals } from '../../systems/sum/scenario.ts';


/** The same users, acting `ms` later: time for a test to set up its faults first. */
const delayed = (users: RecordedUser[], ms: number) => users.map((u) => u.shifted(ms));

test.describe('faults', () => {
  inModes(EVERY_MODE, () => {
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

  inModes(EVERY_MODE, () => {
    test('a partition that heals and a machine crashed and restarted: every output exact', async ({ system }) => {
      // Users act 4 s after they start (building takes seconds on containers): the faults are in place
      // first, and the users act under them.
      const users = delayed(manyUsers(4, 3, 200), 4_000);
      const sum = await buildSumSystem(system, users);
      const [hub, first, ...rest] = sum.machines;
      await system.partition([hub!], rest);
      // The first user's machine dies before its recording plays, and comes back from its journal:
      // its leaf's resume() must re-arm the recording.
      await system.crash(first!);
      await system.pass(5_000);
      await system.restart(first!);
      await system.heal();
      await waitForTotals(system, sum.outputLeaves, sum.expectedTotal, 60_000);
      expect((await system.faultCounts()).crashes).toBe(1);
      // The restarted machine still hosts its leaf, which played its whole recording exactly once.
      expect((await totalOf(system, sum.inputLeaves[0]!))).toBe(users[0]!.total);
    });
  });

  // Network faults are applied where packets are sent: by the simulator's network model, or by each
  // real machine's runner in its own packet path (no netem, no kernel support needed). Same calls,
  // same counts, in every mode.
  inModes(EVERY_MODE, () => {
    test('lossy, duplicating, reordering, corrupting links with a heavy tail: every output exact', async ({ system }, testInfo) => {
      await system.configureNetwork({ drop: 0.2, duplicate: 0.2, reorder: 0.2, jitterMs: 5, tailChance: 0.2, tailMs: 100, corrupt: 0.1 });
      const sum = await buildSumSystem(system, manyUsers(system.mode === 'simulated' ? 20 : 4, 3, 40));
      await waitForTotals(system, sum.outputLeaves, sum.expectedTotal, 60_000);
      const faults = await system.checkFaultsFired();
      await testInfo.attach('fault-counts.json', { body: JSON.stringify(faults, null, 2), contentType: 'application/json' });
      for (const kind of ['drops', 'duplicates', 'reorders', 'delays', 'corrupted'] as const) expect(faults[kind], kind).toBeGreaterThan(0);
    });

    test('one dead link holds its output leaf back until it comes back', async ({ system }) => {
      // Everyone acts after the link is cut (the system is built well within 3 s, even on containers).
      const sum = await buildSumSystem(system, delayed(seedScenarioUsers(), 3_000));
      const [hub, b] = sum.machines;
      await system.configureNetwork({ drop: 1 }, { from: hub!, to: b! });
      await waitForTotals(system, [sum.outputLeaves[1]!], 6, 20_000);
      expect((await totals(system, sum.outputLeaves))[0]).toBe(0);
      await system.configureNetwork({ drop: 0 }, { from: hub!, to: b! });
      await waitForTotals(system, sum.outputLeaves, 6, 30_000);
      expect((await system.faultCounts()).drops).toBeGreaterThan(0);
    });

    test('datagrams over the size limit are lost and counted; lifting the limit lets the links catch up', async ({ system }) => {
      const sum = await buildSumSystem(system, delayed(seedScenarioUsers(), 2_000));
      // Every node message is larger than 60 bytes once sealed: nothing gets through.
      await system.configureNetwork({ maxDatagramBytes: 60 });
      await system.pass(4_000);
      expect(await totals(system, sum.outputLeaves)).toEqual([0, 0]);
      expect((await system.faultCounts()).oversized).toBeGreaterThan(0);
      await system.configureNetwork({ maxDatagramBytes: 0 });
      await waitForTotals(system, sum.outputLeaves, 6, 30_000);
    });
  });

  test('impossible network conditions are refused with the argument named, and nothing is applied', { tag: '@simulated' }, async ({ system }) => {
    const [a, b] = await system.createMachines(['a', 'b']);
    await expect(system.configureNetwork({ drop: 1.5 })).rejects.toThrow(InvalidArgumentError);
    await expect(system.configureNetwork({ drop: 1.5 })).rejects.toThrow('invalid configureNetwork(conditions.drop)');
    await expect(system.configureNetwork({ duplicate: 0.1, latencyMs: -1 })).rejects.toThrow('invalid configureNetwork(conditions.latencyMs)');
    await expect(system.configureNetwork({ jitterMs: Number.NaN })).rejects.toThrow('conditions.jitterMs');
    await expect(system.configureNetwork({ drop: 0.1 }, { from: a!, to: { ...b!, id: 'nowhere' } })).rejects.toThrow(UnknownMachineError);
    // Nothing above was applied: no fault was asked for, so none may be required to fire.
    expect(await system.checkFaultsFired()).toMatchObject({ drops: 0, duplicates: 0 });
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
