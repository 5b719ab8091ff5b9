import { expect, test } from '../fixtures/index.ts';
import { buildSumSystem, seedScenarioUsers } from '../src/system/sum-scenario.ts';

test('a deliberately failing sum: expects 7 where the users add up to 6', { tag: '@simulated' }, async ({ system }) => {
  const sum = await buildSumSystem(system, seedScenarioUsers());
  await system.waitForTotals(sum.outputLeaves, 6, 10_000);
  expect(await system.totals(sum.outputLeaves)).toEqual([7, 7]);
});
