import { expect, test } from 'distzero/test';
import { settings } from 'distzero/tools';
import { totals } from '../../systems/sum/scenario.ts';
import { runSwarm, swarmFor } from '../../systems/sum/swarm.ts';

/**
 * A sweep: the simulated sum system once per seed, SWEEP_SEEDS seeds from SWEEP_FROM, each under the
 * swarm of faults its seed implies. One test per seed, so the report names a failing seed and its
 * replay command; Playwright spreads them over every worker and `--shard` over machines.
 */
test.describe('sweep', () => {
  for (let seed = settings.SWEEP_FROM; seed < settings.SWEEP_FROM + settings.SWEEP_SEEDS; seed++) {
    test(`seed ${seed}`, { tag: ['@simulated', '@sweep'] }, async ({ newSystem }, testInfo) => {
      const swarm = swarmFor(seed);
      // SWEEP_FROM/SWEEP_SEEDS alone select this one seed's test.
      const replay = `SWEEP_FROM=${seed} SWEEP_SEEDS=1${settings.SWEEP_PLANTED_BUG ? ' SWEEP_PLANTED_BUG=1' : ''} npx playwright test --project=simulated --grep @sweep`;
      // The same swarm on containers (or instances: --project=cloud), unchanged.
      const onContainers = `SWARM_SEED=${seed} npx playwright test --grep @swarm --project=virtual`;
      testInfo.annotations.push({ type: 'swarm', description: JSON.stringify(swarm) }, { type: 'replay', description: replay }, { type: 'replay on containers', description: onContainers });
      const system = await newSystem({ seed, brokenDedup: settings.SWEEP_PLANTED_BUG, quiet: settings.LOG_LEVEL === 'silent' });
      try {
        const sum = await runSwarm(system, swarm);
        // Every increment is positive, so a total past the expected one is final: stop waiting then.
        const seen = await system.waitFor(() => totals(system, sum.outputLeaves), {
          until: (t) => t.every((x) => x === sum.expectedTotal) || t.some((x) => x > sum.expectedTotal),
          timeoutMs: 600_000,
          what: `all outputs total ${sum.expectedTotal}`,
        });
        expect(seen, `every output leaf totals ${sum.expectedTotal}`).toEqual(sum.outputLeaves.map(() => sum.expectedTotal));
        await system.checkFaultsFired();
      } catch (error) {
        await testInfo.attach('replay', { body: `${replay}\n`, contentType: 'text/plain' });
        console.log(`[distzero] sweep seed ${seed} failed; swarm ${JSON.stringify(swarm)}\n  replay: ${replay}\n  on containers: ${onContainers}`);
        throw error;
      }
    });
  }
});
