import { EVERY_MODE, FaultsNeverFiredError, expect, inModes, test } from 'distzero/test';
import { buildSumSystem, manyUsers, seedScenarioUsers, waitForTotals } from '../../systems/sum/scenario.ts';
import { tickerNode } from '../../systems/testkit/system.ts';

test.describe('clocks and fault accounting', () => {
  inModes(EVERY_MODE, () => {
    test('clocks seconds ahead and behind, drifting 10% either way: every output exact', async ({ system }) => {
      const sum = await buildSumSystem(system, manyUsers(4, 3, 300));
      const skews = [
        { offsetMs: 5_000, rate: 1.1 },
        { offsetMs: -3_000, rate: 0.9 },
        { offsetMs: 2_000, rate: 0.9 },
        { offsetMs: -7_000, rate: 1.1 },
        { offsetMs: 0, rate: 1.1 },
      ];
      await Promise.all(sum.machines.map((machine, i) => system.skewClock(machine, skews[i % skews.length]!)));
      await waitForTotals(system, sum.outputLeaves, sum.expectedTotal, 60_000);
      expect((await system.faultCounts()).skewed_clocks).toBe(sum.machines.length);
    });

    test("a skewed clock is the machine's: it survives a crash and restart of the machine's process", async ({ system }) => {
      const [skewed, plain] = await system.createMachines(['skewed', 'plain']);
      const [a, b] = [await system.spawn(skewed!, tickerNode, 'a', {}), await system.spawn(plain!, tickerNode, 'b', {})];
      // How far a's clock is ahead of b's (two calls apart: a second of slack on real machines).
      const ahead = async () => (await system.call(a, { type: 'clock' })).now - (await system.call(b, { type: 'clock' })).now;
      await system.skewClock(skewed!, { offsetMs: 3_600_000, rate: 1 });
      expect(Math.abs((await ahead()) - 3_600_000)).toBeLessThan(1_000);
      await system.crash(skewed!);
      await system.restart(skewed!);
      expect(Math.abs((await ahead()) - 3_600_000)).toBeLessThan(1_000);
    });
  });

  test('faults asked for but wired so they never fire end in an error saying so', { tag: '@simulated' }, async ({ system }) => {
    const sum = await buildSumSystem(system, seedScenarioUsers());
    const [, b, c] = sum.machines;
    // User machines never talk to each other: a lossy link between them drops nothing.
    await system.configureNetwork({ drop: 0.2 }, { from: b!, to: c! });
    await waitForTotals(system, sum.outputLeaves, 6, 10_000);
    await expect(system.checkFaultsFired()).rejects.toThrow(FaultsNeverFiredError);
    await expect(system.checkFaultsFired()).rejects.toThrow('configured faults never fired: drops');
    // Now wire it where traffic flows: the same request fires and the check passes.
    await system.configureNetwork({ drop: 0.5 }, { from: sum.machines[0]!, to: b! });
    for (let i = 0; i < 20; i++) await system.send(sum.input, { type: 'increment', amount: 1 });
    await waitForTotals(system, sum.outputLeaves, 26, 30_000);
    expect((await system.checkFaultsFired()).drops).toBeGreaterThan(0);
  });
});
