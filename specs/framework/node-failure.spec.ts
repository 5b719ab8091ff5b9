/**
 * A node that throws fails its test in every mode, with the same words. A simulated run stops at the
 * throw; a real machine logs it and goes on (a bad message must not take it down), and the fixtures
 * ask every machine after the test: a test that passed on real machines unaware would be a false pass.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { EVERY_MODE, expect, inModes, test } from 'distzero/test';
import { childEnvironment } from 'distzero/tools';
import { fragileNode } from '../../systems/testkit/system.ts';

interface JsonResult {
  status: string;
  errors: { message?: string }[];
}
interface JsonSuite {
  specs: { tests: { annotations: { type: string; description?: string }[]; results: JsonResult[] }[] }[];
  suites?: JsonSuite[];
}

test.describe('a node that throws', () => {
  inModes(EVERY_MODE, () => {
    test('fails its test, naming the node, its machine, what it was doing and its error', async ({ mode }, testInfo) => {
      test.setTimeout(180_000);
      const report = testInfo.outputPath('results.json');
      const run = spawnSync(process.execPath, ['node_modules/@playwright/test/cli.js', 'test', '-c', 'examples/node-failure.config.ts', `--project=${mode}`, '--reporter=json', `--output=${testInfo.outputPath('nested')}`], {
        encoding: 'utf8',
        env: childEnvironment({ PLAYWRIGHT_JSON_OUTPUT_NAME: report, FORCE_COLOR: '0' }),
      });
      const suites = (JSON.parse(fs.readFileSync(report, 'utf8')) as { suites: JsonSuite[] }).suites;
      const tests = suites.flatMap(function all(s: JsonSuite): JsonSuite['specs'][number]['tests'] {
        return [...s.specs.flatMap((spec) => spec.tests), ...(s.suites ?? []).flatMap(all)];
      });
      expect(tests, run.stderr).toHaveLength(1);
      const [only] = tests;
      const result = only!.results[0]!;
      if (result.status === 'skipped') test.skip(true, `the nested ${mode} run skipped: ${only!.annotations.map((a) => a.description).join('; ')}`);
      expect(run.status).toBe(1);
      expect(result.status).toBe('failed');
      const error = result.errors[0]?.message ?? '';
      const kind = mode === 'simulated' ? 'SimulationError' : 'NodeFailedError';
      expect(error).toMatch(new RegExp(`^${kind}: node fragile-\\w+ on machine m failed during send_to_node: Error: poisoned`));
    });
  });
});

test.describe('a machine whose process dies of a rejected promise', () => {
  test('says why in its log before it goes', { tag: '@virtual' }, async ({ system }) => {
    test.setTimeout(120_000);
    const m = await system.createMachine('m');
    const fragile = await system.spawn(m, fragileNode, 'fragile', {});
    // The process may die before it answers: the send's own outcome is not what this test is about.
    await system.send(fragile, { type: 'reject_later' }).catch(() => undefined);
    const logged = () => system.spawner.machineLogFiles().map((file) => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '')).join('');
    await expect.poll(logged, { timeout: 15_000 }).toContain("unhandled promise rejection; the machine's process dies");
    expect(logged()).toContain('rejected later');
  });
});
