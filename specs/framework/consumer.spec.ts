/**
 * examples/consumer is a user's project in miniature: its own package.json, Playwright config,
 * systems module, system and spec, reaching DistZero only as the `distzero` package. Its suite must
 * pass when run as a user runs it, in every mode: each copy of this test runs the consumer's own
 * project of its mode (containers and the local EC2 endpoint included), and skips, with the reason
 * the consumer's tests give, where this machine cannot run that mode.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { childEnvironment } from 'distzero/tools';
import { EVERY_MODE, expect, inModes, test } from 'distzero/test';

const CONFIG = 'examples/consumer/playwright.config.ts';
/** The consumer's tests, each run once per mode by `inModes`. */
const CONSUMER_TESTS = 4;

interface JsonReport {
  stats: { expected: number; unexpected: number; skipped: number; flaky: number };
  suites: unknown[];
}

/** The reasons the report's skipped tests give (annotations of type `skip`). */
function skipReasons(node: unknown, found = new Set<string>()): Set<string> {
  if (Array.isArray(node)) for (const item of node) skipReasons(item, found);
  else if (node && typeof node === 'object') {
    const record = node as Record<string, unknown>;
    if (record.type === 'skip' && typeof record.description === 'string') found.add(record.description);
    for (const value of Object.values(record)) skipReasons(value, found);
  }
  return found;
}

test.describe('a consumer project', () => {
  inModes(EVERY_MODE, () => {
    test("its own suite passes in this mode, with the root's Playwright", async ({ mode }, testInfo) => {
      test.setTimeout(300_000);
      const report = testInfo.outputPath('consumer-results.json');
      // The root's @playwright/test (one copy: two would not share the test runner's state).
      const run = spawnSync(
        process.execPath,
        ['node_modules/@playwright/test/cli.js', 'test', '-c', CONFIG, `--project=${mode}`, '--reporter=list,json', `--output=${testInfo.outputPath('results')}`],
        { encoding: 'utf8', env: childEnvironment({ PLAYWRIGHT_JSON_OUTPUT_FILE: report, FORCE_COLOR: '0' }), timeout: 280_000 },
      );
      const output = `${run.stdout}${run.stderr}`;
      await testInfo.attach('consumer-run.txt', { body: output, contentType: 'text/plain' });
      expect(run.status, output).toBe(0);
      const parsed = JSON.parse(fs.readFileSync(report, 'utf8')) as JsonReport;
      if (parsed.stats.skipped === CONSUMER_TESTS) test.skip(true, `the consumer's ${mode} tests skipped: ${[...skipReasons(parsed.suites)].join('; ')}`);
      expect(parsed.stats, output).toMatchObject({ expected: CONSUMER_TESTS, unexpected: 0, skipped: 0, flaky: 0 });
      expect(output).toContain(`${CONSUMER_TESTS} passed`);
      expect(output).toContain(`[${mode}] › examples/consumer/specs/counter.spec.ts`);
    });
  });
});
