import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { expect, test } from 'distzero/test';
import { childEnvironment } from 'distzero/tools';

interface JsonTest {
  status: string;
  results: { status: string; errors: { message?: string }[]; attachments: { name: string; body?: string }[] }[];
}
interface JsonSuite {
  title: string;
  specs: { title: string; tests: JsonTest[] }[];
  suites?: JsonSuite[];
}

/** Run the sweep in a Playwright run of its own; return each seed's outcome from its JSON report. */
function sweep(env: Record<string, string>, extra: string[], report: string) {
  const run = spawnSync(process.execPath, ['node_modules/@playwright/test/cli.js', 'test', '--project=simulated', '--grep', '@sweep', '--reporter=json', ...extra], {
    env: childEnvironment({ ...env, PLAYWRIGHT_JSON_OUTPUT_NAME: report }),
    encoding: 'utf8',
  });
  const json = JSON.parse(fs.readFileSync(report, 'utf8')) as { suites: JsonSuite[] };
  const outcomes = new Map<number, { status: string; error: string; replay: string | undefined }>();
  const visit = (suite: JsonSuite) => {
    for (const spec of suite.specs) {
      const seed = Number(/seed (\d+)/.exec(spec.title)?.[1]);
      const result = spec.tests[0]!.results[0]!;
      const replay = result.attachments.find((a) => a.name === 'replay')?.body;
      outcomes.set(seed, {
        status: result.status,
        error: (result.errors[0]?.message ?? '').split('\n')[0]!,
        replay: replay ? Buffer.from(replay, 'base64').toString('utf8').trim() : undefined,
      });
    }
    suite.suites?.forEach(visit);
  };
  json.suites.forEach(visit);
  return { status: run.status, outcomes };
}

test.describe('sweeps find seed-dependent bugs', () => {
  test('a bug that shows only under some seeds is found, named with its replay command, and the replay fails the same way', { tag: '@simulated' }, async ({}, testInfo) => {
    test.setTimeout(180_000);
    const planted = sweep({ SWEEP_PLANTED_BUG: '1', SWEEP_SEEDS: '40', SWEEP_FROM: '1' }, [`--output=${testInfo.outputPath('sweep')}`], testInfo.outputPath('sweep.json'));
    const failed = [...planted.outcomes].filter(([, o]) => o.status !== 'passed');
    const passed = [...planted.outcomes].filter(([, o]) => o.status === 'passed');
    expect(planted.outcomes.size).toBe(40);
    expect(planted.status).toBe(1);
    expect(failed.length, 'some seeds expose the planted bug').toBeGreaterThan(0);
    expect(passed.length, 'the calm seeds do not').toBeGreaterThan(0);

    const [seed, outcome] = failed[0]!;
    expect(outcome.replay).toBe(`SWEEP_FROM=${seed} SWEEP_SEEDS=1 SWEEP_PLANTED_BUG=1 npx playwright test --project=simulated --grep @sweep`);
    // Replay exactly as printed: the same seed fails again, with the same error.
    const assignments = Object.fromEntries([...outcome.replay!.matchAll(/(\w+)=(\S+)/g)].slice(0, 3).map((m) => [m[1]!, m[2]!]));
    const replayed = sweep(assignments, [`--output=${testInfo.outputPath('replay')}`], testInfo.outputPath('replay.json'));
    expect([...replayed.outcomes.keys()]).toEqual([seed]);
    expect(replayed.outcomes.get(seed)!.status).not.toBe('passed');
    expect(replayed.outcomes.get(seed)!.error).toBe(outcome.error);
  });
});
