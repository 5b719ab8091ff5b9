import { sweepSeeds, test } from 'distzero/test';
import { settings } from 'distzero/tools';
import { buildSumSystem, seedScenarioUsers, waitForTotals } from '../../systems/sum/scenario.ts';

/**
 * The seed project's scenario (user B adds 2 then 1, user C adds 1 three times; every output leaf
 * reaches 6) once per seed: SWEEP_SEEDS seeds from SWEEP_FROM, in batches of SWEEP_BATCH. A run
 * is a fraction of a millisecond of simulation, so this sweep is mostly the harness's own cost:
 * `npm run bench` times it through Playwright (seeds per minute per core) and with the determinism
 * check on.
 */
test.describe('seed scenario sweep', () => {
  sweepSeeds(
    {
      tag: ['@simulated', '@seed-sweep'],
      replay: (seed) => `SWEEP_FROM=${seed} SWEEP_SEEDS=1${settings.SWEEP_PLANTED_BUG ? ' SWEEP_PLANTED_BUG=1' : ''} npx playwright test --project=simulated --grep @seed-sweep`,
    },
    async ({ seed, system, testInfo }) => {
      // SWEEP_PLANTED_BUG plants a leak for the determinism check to find: on an odd seed the second
      // run starts its nodes 1 ms later, as a node reading the host's clock would.
      if (settings.SWEEP_PLANTED_BUG && seed % 2 === 1 && testInfo.repeatEachIndex === 1) await system.pass(1);
      const sum = await buildSumSystem(system, seedScenarioUsers());
      await waitForTotals(system, sum.outputLeaves, 6, 10_000);
    },
  );
});
