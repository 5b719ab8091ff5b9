import { expect, test } from 'distzero/test';
import { buildSumSystem, seedScenarioUsers, totals, waitForTotals } from '../systems/sum/scenario.ts';

test('a deliberately failing sum: expects 7 where the users add up to 6', { tag: '@simulated' }, async ({ system }) => {
  const sum = await buildSumSystem(system, seedScenarioUsers());
  await waitForTotals(system, sum.outputLeaves, 6, 10_000);
  expect(await totals(system, sum.outputLeaves)).toEqual([7, 7]);
});
