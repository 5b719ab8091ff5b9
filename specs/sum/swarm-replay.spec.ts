import { EVERY_MODE, expect, inModes, test } from 'distzero/test';
import { settings } from 'distzero/tools';
import { totals } from '../../systems/sum/scenario.ts';
import { runSwarm, swarmFor } from '../../systems/sum/swarm.ts';

/**
 * One schedule, three modes: the swarm of faults a seed implies (network conditions, a partition, a
 * crash and restart, skewed clocks) runs unchanged in simulation, on containers and on instances.
 * A swarm a simulated sweep found replays on real machines with one command:
 *   SWARM_SEED=<seed> npx playwright test --grep @swarm --project=virtual
 */
test.describe('swarm replay', () => {
  inModes(EVERY_MODE, () => {
    test(`the swarm of seed ${settings.SWARM_SEED}: every output exact, every fault fired`, { tag: '@swarm' }, async ({ newSystem, mode }, testInfo) => {
      const swarm = swarmFor(settings.SWARM_SEED);
      testInfo.annotations.push({ type: 'swarm', description: JSON.stringify(swarm) });
      const system = await newSystem({ seed: swarm.seed });
      const sum = await runSwarm(system, swarm);
      await system.waitFor(() => totals(system, sum.outputLeaves), {
        until: (t) => t.every((x) => x === sum.expectedTotal),
        timeoutMs: mode === 'simulated' ? 600_000 : 90_000,
        what: `all outputs total ${sum.expectedTotal}`,
      });
      const faults = await system.checkFaultsFired();
      await testInfo.attach('fault-counts.json', { body: JSON.stringify(faults, null, 2), contentType: 'application/json' });
      expect(faults.crashes).toBe(swarm.crash ? 1 : 0);
      if (swarm.partition) expect(faults.partitioned).toBeGreaterThan(0);
    });
  });
});
