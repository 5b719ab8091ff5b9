import { expect, sweepSeeds, test } from 'distzero/test';
import { buildSumSystem, seedScenarioUsers, waitForTotals } from '../systems/sum/scenario.ts';

/** The seed scenario once per seed (SWEEP_FROM, SWEEP_SEEDS), every third seed failing on purpose; no `replay` given. */
test.describe('every third seed', () => {
  sweepSeeds({ tag: '@simulated' }, async ({ seed, system }) => {
    const sum = await buildSumSystem(system, seedScenarioUsers());
    await waitForTotals(system, sum.outputLeaves, 6, 10_000);
    expect(seed % 3, 'every third seed fails on purpose').not.toBe(0);
  });
});
