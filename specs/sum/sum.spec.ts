import { EVERY_MODE, expect, inModes, test } from 'distzero/test';
import { buildSumSystem, manyUsers, seedScenarioUsers, totalOf, totals, waitForTotals } from '../../systems/sum/scenario.ts';

test.describe('sum system', () => {
  inModes(EVERY_MODE, () => {
    test('three machines: every output leaf reaches 6', async ({ system }) => {
      const sum = await buildSumSystem(system, seedScenarioUsers());
      expect(sum.machines).toHaveLength(3);
      expect(sum.expectedTotal).toBe(6);
      await waitForTotals(system, sum.outputLeaves, 6, 30_000);
      expect(await totals(system, sum.outputLeaves)).toEqual([6, 6]);
      expect((await totalOf(system, sum.sum))).toBe(6);
    });

    test('ten users on ten machines: every output leaf is exact', async ({ system }) => {
      const users = manyUsers(10);
      const sum = await buildSumSystem(system, users);
      await waitForTotals(system, sum.outputLeaves, sum.expectedTotal, 60_000);
      expect(await totals(system, sum.outputLeaves)).toEqual(users.map(() => sum.expectedTotal));
    });
  });

  test('a hundred users on a hundred machines: every output leaf is exact', { tag: '@simulated' }, async ({ system }) => {
    const users = manyUsers(100, 4);
    const sum = await buildSumSystem(system, users);
    expect(sum.machines).toHaveLength(101);
    await waitForTotals(system, sum.outputLeaves, sum.expectedTotal, 60_000);
    expect(new Set(await totals(system, sum.outputLeaves))).toEqual(new Set([sum.expectedTotal]));
  });
});
