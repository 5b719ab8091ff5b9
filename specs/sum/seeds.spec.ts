import { spawnSync } from 'node:child_process';
import { expect, test } from 'distzero/test';
import { childEnvironment } from 'distzero/tools';
import { buildSumSystem, seedScenarioUsers, waitForTotals } from '../../systems/sum/scenario.ts';

test.describe('seeds', () => {
  test.describe('a seed set per test', () => {
    test.use({ seed: 4242 });

    test("the seed option sets the test's seed, which drives the run and the workload generator", { tag: '@simulated' }, async ({ system, newSystem, testSeed }) => {
      expect(testSeed).toBe(4242);
      expect(system.seed).toBe(4242);
      const sum = await buildSumSystem(system, seedScenarioUsers());
      await waitForTotals(system, sum.outputLeaves, 6, 10_000);
      // The same seed, the same run and the same workload draws; another seed, another run.
      const again = await newSystem();
      const other = await newSystem({ seed: 4243 });
      for (const s of [again, other]) await waitForTotals(s, (await buildSumSystem(s, seedScenarioUsers())).outputLeaves, 6, 10_000);
      expect(again.digest()).toBe(system.digest());
      expect(other.digest()).not.toBe(system.digest());
      expect([again.random.int(1e9), again.random.int(1e9)]).toEqual([system.random.int(1e9), system.random.int(1e9)]);
    });
  });

  test('a replay command names one test by file and line, and selects exactly that test', { tag: '@simulated' }, async () => {
    // The failing example's replay names examples/failing-sum.spec.ts:<line> (see the report spec).
    // The list reporter: the examples' HTML report folder belongs to the report spec, which may be running now.
    const list = spawnSync(process.execPath, ['node_modules/@playwright/test/cli.js', 'test', '--list', '--reporter=list', '-c', 'examples/playwright.config.ts', '--project=simulated', 'examples/failing-sum.spec.ts:4'], { encoding: 'utf8', env: childEnvironment({}) });
    expect(list.stdout).toContain('Total: 1 test in 1 file');
  });
});
