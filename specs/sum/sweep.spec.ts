import { expect, sweepSeeds, test } from 'distzero/test';
import { settings } from 'distzero/tools';
import { totals } from '../../systems/sum/scenario.ts';
import { runSwarm, swarmFor } from '../../systems/sum/swarm.ts';

/**
 * A sweep: the simulated sum system once per seed, SWEEP_SEEDS seeds from SWEEP_FROM, each under the
 * swarm of faults its seed implies. A test per batch of SWEEP_BATCH seeds; the report names each
 * failing seed with its replay command. Playwright spreads the batches over every worker and
 * `--shard` over machines.
 */
test.describe('sweep', () => {
  sweepSeeds(
    {
      tag: ['@simulated', '@sweep'],
      // SWEEP_FROM/SWEEP_SEEDS alone select this one seed's test.
      replay: (seed) => `SWEEP_FROM=${seed} SWEEP_SEEDS=1${settings.SWEEP_PLANTED_BUG ? ' SWEEP_PLANTED_BUG=1' : ''} npx playwright test --project=simulated --grep @sweep`,
      system: { brokenDedup: settings.SWEEP_PLANTED_BUG },
    },
    async ({ seed, system, note }) => {
      const swarm = swarmFor(seed);
      note('swarm', JSON.stringify(swarm));
      // The same swarm on containers (or instances: --project=cloud), unchanged.
      note('replay on containers', `SWARM_SEED=${seed} npx playwright test --grep @swarm --project=virtual`);
      const sum = await runSwarm(system, swarm);
      // Every increment is positive, so a total past the expected one is final: stop waiting then.
      const seen = await system.waitFor(() => totals(system, sum.outputLeaves), {
        until: (t) => t.every((x) => x === sum.expectedTotal) || t.some((x) => x > sum.expectedTotal),
        timeoutMs: 600_000,
        what: `all outputs total ${sum.expectedTotal}`,
      });
      expect(seen, `every output leaf totals ${sum.expectedTotal}`).toEqual(sum.outputLeaves.map(() => sum.expectedTotal));
    },
  );
});
