import { expect, test } from 'distzero/test';
import { nestedSweep } from './sweep-report.ts';

/** Run the sweep in a Playwright run of its own; read each batch and each seed back from its JSON report. */
const sweep = (env: Record<string, string>, output: string, report: string) => nestedSweep('@sweep', env, output, report);

test.describe('sweeps find seed-dependent bugs', () => {
  test('a bug that shows only under some seeds is found, every failing seed named with its replay command, and the replay fails the same way', { tag: '@simulated' }, async ({}, testInfo) => {
    test.setTimeout(180_000);
    const planted = sweep({ SWEEP_PLANTED_BUG: '1', SWEEP_SEEDS: '40', SWEEP_FROM: '1', SWEEP_BATCH: '10' }, testInfo.outputPath('sweep'), testInfo.outputPath('sweep.json'));
    expect(planted.status).toBe(1);
    // Four tests of ten seeds, each of which ran every one of its seeds, failures or not.
    expect(planted.batches.map((b) => b.title).sort()).toEqual(['seeds 1–10', 'seeds 11–20', 'seeds 21–30', 'seeds 31–40'].sort());
    for (const batch of planted.batches) expect(batch.ran, batch.title).toBe(10);
    expect([...planted.seeds.keys()].sort((a, b) => a - b)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    const failed = [...planted.seeds].filter(([, o]) => o.status === 'failed');
    const passed = [...planted.seeds].filter(([, o]) => o.status === 'passed');
    expect(failed.length, 'some seeds expose the planted bug').toBeGreaterThan(0);
    expect(passed.length, 'the calm seeds do not').toBeGreaterThan(0);
    // A failing batch tells the story of its first failing seed only: its sequence diagram and run.
    for (const batch of planted.batches.filter((b) => b.status === 'failed')) {
      const firstFailing = batch.seeds.find((seed) => planted.seeds.get(seed)!.status === 'failed')!;
      const stories = batch.attachments.filter((name) => /^seed \d+ /.test(name));
      expect(stories.sort(), batch.title).toEqual([`seed ${firstFailing} sequence-diagram.svg`, `seed ${firstFailing} simulation.json`]);
    }
    for (const [seed, outcome] of failed) {
      expect(outcome.replay).toBe(`SWEEP_FROM=${seed} SWEEP_SEEDS=1 SWEEP_PLANTED_BUG=1 npx playwright test --project=simulated --grep @sweep`);
      expect(outcome.error, `seed ${seed}'s error`).toMatch(/^Error: every output leaf totals \d+$/);
      expect(outcome.digest, `seed ${seed}'s trace digest`).toMatch(/\S/);
    }

    // Replay the last failing seed (a batch's first would prove less) exactly as printed: that one
    // seed alone runs, and fails again with the same error after the same run.
    const [seed, outcome] = failed.at(-1)!;
    const assignments = Object.fromEntries([...outcome.replay!.matchAll(/(\w+)=(\S+)/g)].slice(0, 3).map((m) => [m[1]!, m[2]!]));
    const replayed = sweep(assignments, testInfo.outputPath('replay'), testInfo.outputPath('replay.json'));
    expect(replayed.batches.map((b) => b.title)).toEqual([`seed ${seed}`]);
    expect([...replayed.seeds.keys()]).toEqual([seed]);
    expect(replayed.seeds.get(seed)).toEqual(outcome);
  });
});
