/**
 * A sweep that gives no `replay` of its own: each failing seed is named with a command that reruns
 * that seed alone, in its spec file, project and config, and the command, run as printed, does.
 */
import { spawnSync } from 'node:child_process';
import { expect, test } from 'distzero/test';
import { childEnvironment } from 'distzero/tools';
import { readSweepReport } from '../sum/sweep-report.ts';

test.describe('sweep replay by default', () => {
  test('every failing seed gets a replay that runs it alone and fails the same way', { tag: '@simulated' }, async ({}, testInfo) => {
    test.setTimeout(120_000);
    const report = testInfo.outputPath('sweep.json');
    const swept = spawnSync(process.execPath, ['node_modules/@playwright/test/cli.js', 'test', '-c', 'examples/sweep-replay.config.ts', '--reporter=json'], {
      env: childEnvironment({ SWEEP_FROM: '1', SWEEP_SEEDS: '7', SWEEP_BATCH: '4', PLAYWRIGHT_JSON_OUTPUT_NAME: report }),
      encoding: 'utf8',
    });
    expect(swept.status, swept.stderr).toBe(1);
    const { batches, seeds } = readSweepReport(report);
    expect(batches.map((b) => b.title)).toEqual(['seeds 1–4', 'seeds 5–7']);
    const failed = [...seeds].filter(([, o]) => o.status === 'failed').map(([seed]) => seed);
    expect(failed).toEqual([3, 6]);
    const replay = seeds.get(6)!.replay!;
    expect(replay).toBe(`SWEEP_FROM=6 SWEEP_SEEDS=1 npx playwright test -c 'examples/sweep-replay.config.ts' --project=simulated 'examples/every-third-seed.spec.ts' --grep 'seed 6( |$)'`);
    // A failed expectation's one-line summary keeps what was expected and what came.
    expect(seeds.get(6)!.error).toBe('Error: every third seed fails on purpose Expected: not 0');

    // Exactly as printed, by a shell: that seed alone runs, and fails the same way.
    const replayReport = testInfo.outputPath('replay.json');
    const replayed = spawnSync('bash', ['-c', `${replay} --reporter=json`], { env: childEnvironment({ PLAYWRIGHT_JSON_OUTPUT_NAME: replayReport }), encoding: 'utf8' });
    expect(replayed.status, replayed.stderr).toBe(1);
    const again = readSweepReport(replayReport);
    expect(again.batches.map((b) => b.title)).toEqual(['seed 6']);
    expect(again.seeds.get(6)).toEqual(seeds.get(6));
  });
});
