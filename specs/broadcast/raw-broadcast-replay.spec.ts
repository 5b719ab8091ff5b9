import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { expect, test } from 'distzero/test';
import { childEnvironment } from 'distzero/tools';

const CONFIG = 'examples/raw-broadcast.config.ts';
const REPORT = path.resolve('.tmp/example-raw-broadcast/report.json');

interface Result {
  status: string;
  errors: { message?: string }[];
  attachments: { name: string; body?: string }[];
}

/** The one result of the example's run, from the JSON report its config writes. */
function onlyResult(): Result {
  const json = JSON.parse(fs.readFileSync(REPORT, 'utf8')) as { suites: { specs: { tests: { results: Result[] }[] }[] }[] };
  const results = json.suites.flatMap((s) => s.specs.flatMap((spec) => spec.tests.flatMap((t) => t.results)));
  expect(results).toHaveLength(1);
  return results[0]!;
}

/** The error as the test saw it: its message and the last value the wait saw, without the source excerpt. */
const errorOf = (result: Result) => (result.errors[0]?.message ?? '').split('\n\n')[0]!;

test.describe('a protocol bug the raw channel exposes', () => {
  test('the broadcast without its retries fails under loss, names its replay command, and the replay fails the same way', { tag: '@simulated' }, async () => {
    test.setTimeout(120_000);
    fs.rmSync(REPORT, { force: true });
    const run = spawnSync(process.execPath, ['node_modules/@playwright/test/cli.js', 'test', '-c', CONFIG], { encoding: 'utf8', env: childEnvironment({}) });
    const out = run.stdout + run.stderr;
    expect(run.status, out).toBe(1);
    const first = onlyResult();
    expect(first.status).toBe('failed');
    expect(errorOf(first)).toMatch(/^WaitTimeoutError: .*never came to all 6 nodes hold exactly \[[\d,]+\] \(seed \d+\)\n\s+last value seen: /);

    // The run names one command that reruns exactly this test with its seed: printed, and attached.
    const printed = /\[distzero\] replay with:\n\s+(SIM_SEED=\d+ npx playwright test .*)\n/.exec(out)?.[1];
    expect(printed, out).toMatch(/^SIM_SEED=\d+ npx playwright test -c 'examples\/raw-broadcast\.config\.ts' --project=simulated 'examples\/raw-broadcast-no-retries\.spec\.ts:\d+'$/);
    const attached = first.attachments.find((a) => a.name === 'replay')?.body;
    expect(Buffer.from(attached ?? '', 'base64').toString('utf8').trim()).toBe(printed);

    // Replay exactly as printed, through the shell: the same seed, the same failure, value for value.
    fs.rmSync(REPORT, { force: true });
    const replay = spawnSync('sh', ['-c', printed!], { encoding: 'utf8', env: childEnvironment({}) });
    expect(replay.status, replay.stdout + replay.stderr).toBe(1);
    const again = onlyResult();
    expect(again.status).toBe('failed');
    expect(errorOf(again)).toBe(errorOf(first));
  });
});
