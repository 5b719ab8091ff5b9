/**
 * examples/consumer is a user's project in miniature: its own package.json, Playwright config,
 * systems module, system and spec, reaching DistZero only as the `distzero` package. Its suite must
 * pass when run as a user runs it (simulated here; its other modes run it in containers and on EC2).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { childEnvironment } from 'distzero/tools';
import { expect, test } from 'distzero/test';

const CONFIG = 'examples/consumer/playwright.config.ts';
/** The consumer's tests, each run once per mode by `inModes`. */
const CONSUMER_TESTS = 3;

interface JsonReport {
  stats: { expected: number; unexpected: number; skipped: number; flaky: number };
  suites: unknown[];
}

test.describe('a consumer project', () => {
  test("its own suite passes in simulated mode, with the root's Playwright", { tag: '@simulated' }, async ({}, testInfo) => {
    test.setTimeout(120_000);
    const report = testInfo.outputPath('consumer-results.json');
    // The root's @playwright/test (one copy: two would not share the test runner's state).
    const run = spawnSync(
      process.execPath,
      ['node_modules/@playwright/test/cli.js', 'test', '-c', CONFIG, '--project=simulated', '--reporter=list,json', `--output=${testInfo.outputPath('results')}`],
      { encoding: 'utf8', env: childEnvironment({ PLAYWRIGHT_JSON_OUTPUT_FILE: report, FORCE_COLOR: '0' }), timeout: 110_000 },
    );
    const output = `${run.stdout}${run.stderr}`;
    await testInfo.attach('consumer-run.txt', { body: output, contentType: 'text/plain' });
    expect(run.status, output).toBe(0);
    const { stats } = JSON.parse(fs.readFileSync(report, 'utf8')) as JsonReport;
    expect(stats, output).toMatchObject({ expected: CONSUMER_TESTS, unexpected: 0, skipped: 0, flaky: 0 });
    expect(output).toContain(`${CONSUMER_TESTS} passed`);
    expect(output).toContain('[simulated] › examples/consumer/specs/counter.spec.ts');
  });
});
