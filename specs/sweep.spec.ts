import { pino } from 'pino';
import { expect, test } from '../fixtures/index.ts';
import { processLog } from '../fixtures/process-log.ts';
import { settings } from '../src/settings.ts';
import { SimulatedSpawner } from '../src/spawners/simulated/simulated-spawner.ts';
import { swarmFor, runSwarm } from '../src/system/swarm.ts';
import { SystemController } from '../src/system/system-controller.ts';

/**
 * A sweep: the simulated sum system once per seed, SWEEP_SEEDS seeds from SWEEP_FROM, each under the
 * swarm of faults its seed implies. One test per seed, so the report names a failing seed and its
 * replay command; Playwright spreads them over every worker and `--shard` over machines.
 */
test.describe('sweep', () => {
  for (let seed = settings.SWEEP_FROM; seed < settings.SWEEP_FROM + settings.SWEEP_SEEDS; seed++) {
    test(`seed ${seed}`, { tag: ['@simulated', '@sweep'] }, async ({}, testInfo) => {
      const swarm = swarmFor(seed);
      // SWEEP_FROM/SWEEP_SEEDS alone select this one seed's test.
      const replay = `SWEEP_FROM=${seed} SWEEP_SEEDS=1${settings.SWEEP_PLANTED_BUG ? ' SWEEP_PLANTED_BUG=1' : ''} npx playwright test --project=simulated --grep @sweep`;
      testInfo.annotations.push({ type: 'swarm', description: JSON.stringify(swarm) }, { type: 'replay', description: replay });
      const logger = settings.LOG_LEVEL === 'silent' ? pino({ level: 'silent' }) : processLog().logger.child({ test: testInfo.title });
      const spawner = new SimulatedSpawner({ seed, logger, brokenDedup: settings.SWEEP_PLANTED_BUG });
      const system = new SystemController(spawner, logger);
      try {
        const sum = await runSwarm(system, swarm);
        // Every increment is positive, so a total past the expected one is final: stop waiting then.
        let totals: number[] = [];
        await system.waitFor(async () => (totals = await system.totals(sum.outputLeaves)).every((t) => t === sum.expectedTotal) || totals.some((t) => t > sum.expectedTotal), {
          timeoutMs: 600_000,
          what: `all outputs total ${sum.expectedTotal}`,
        });
        expect(totals, `every output leaf totals ${sum.expectedTotal}`).toEqual(sum.outputLeaves.map(() => sum.expectedTotal));
        const counts = await system.checkFaultsFired();
        await testInfo.attach('faults.json', { body: JSON.stringify({ requested: [...system.requested], counts }, null, 2), contentType: 'application/json' });
      } catch (error) {
        await testInfo.attach('replay', { body: `${replay}\n`, contentType: 'text/plain' });
        console.log(`[distzero] sweep seed ${seed} failed; swarm ${JSON.stringify(swarm)}\n  replay: ${replay}`);
        throw error;
      } finally {
        await spawner.cleanUp();
      }
    });
  }
});
