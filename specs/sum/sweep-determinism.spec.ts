import { expect, test } from 'distzero/test';
import { nestedSweep } from './sweep-report.ts';

/** The seed scenario's sweep with the determinism check on, in a Playwright run of its own. */
const checkedSweep = (env: Record<string, string>, output: string, report: string) => nestedSweep('@seed-sweep', { ...env, CHECK_DETERMINISM: '1' }, output, report);

test.describe('sweeps under the determinism check', () => {
  test('each seed of a batch is compared with its own other run; a seed that diverges is named, with a replay that diverges again', { tag: '@simulated' }, async ({}, testInfo) => {
    test.setTimeout(120_000);
    // The planted leak: the second run of an odd seed starts 1 ms late (specs/sum/sweep-seed-scenario.spec.ts).
    const leaky = checkedSweep({ SWEEP_PLANTED_BUG: '1', SWEEP_SEEDS: '6', SWEEP_FROM: '1', SWEEP_BATCH: '3' }, testInfo.outputPath('sweep'), testInfo.outputPath('sweep.json'));
    expect(leaky.status).toBe(1);
    // Each batch ran twice; the first run only records, the second compares and fails.
    expect(leaky.batches.map((b) => `${b.title}: ${b.status}`).sort()).toEqual(['seeds 1–3: failed', 'seeds 1–3: passed', 'seeds 4–6: failed', 'seeds 4–6: passed'].sort());
    expect([...leaky.seeds].filter(([, o]) => o.status === 'failed').map(([seed]) => seed).sort()).toEqual([1, 3, 5]);
    expect([...leaky.seeds].filter(([, o]) => o.status === 'passed').map(([seed]) => seed).sort()).toEqual([2, 4, 6]);
    const outcome = leaky.seeds.get(3)!;
    expect(outcome.error).toMatch(/^DeterminismError: determinism check failed \(seed 3\): the two runs diverge at event \d+$/);
    expect(outcome.replay).toBe('CHECK_DETERMINISM=1 SWEEP_FROM=3 SWEEP_SEEDS=1 SWEEP_PLANTED_BUG=1 npx playwright test --project=simulated --grep @seed-sweep');

    const assignments = Object.fromEntries([...outcome.replay!.matchAll(/(\w+)=(\S+)/g)].slice(0, 4).map((m) => [m[1]!, m[2]!]));
    const replayed = checkedSweep(assignments, testInfo.outputPath('replay'), testInfo.outputPath('replay.json'));
    expect(replayed.status).toBe(1);
    expect(replayed.batches.map((b) => b.title)).toEqual(['seed 3', 'seed 3']);
    expect(replayed.seeds.get(3)).toEqual(outcome);
  });
});
