import { spawnSync } from 'node:child_process';
import { expect, test } from 'distzero/test';
import { childEnvironment } from 'distzero/tools';

/**
 * The planted-leak example (examples/leaky-node.spec.ts) run as a user would, with `extra` arguments,
 * its records in an output directory of its own (`name`: these tests run at once).
 */
function runExample(name: string, extra: string[] = []): string {
  const output = `.tmp/example-determinism-${name}`;
  const run = spawnSync(process.execPath, ['node_modules/@playwright/test/cli.js', 'test', '-c', 'examples/determinism.config.ts', '--output', output, ...extra], {
    encoding: 'utf8',
    env: childEnvironment({ CHECK_DETERMINISM: '1', FORCE_COLOR: '0' }),
  });
  const out = run.stdout + run.stderr;
  expect(run.status, out).toBe(1);
  return out;
}

test.describe('determinism self-check', () => {
  test('with the check on, a planted Math.random in a node is caught at the first diverging event', { tag: '@simulated' }, async () => {
    test.setTimeout(120_000);
    // The example's config sets no repeat and no workers: defineDistZeroConfig runs each test twice, on one worker.
    const out = runExample('caught');
    expect(out).toContain('1 failed');
    expect(out).toContain('3 passed');
    expect(out).toMatch(/a node that consults Math\.random is caught/);
    expect(out).toMatch(/determinism check failed \(seed \d+\): the two runs diverge at event \d+/);
    expect(out).toMatch(/first run: .*\n\s+this run: /);
    // Its replay runs it under the check again: run without it, the test would pass.
    expect(out).toMatch(/CHECK_DETERMINISM=1 SIM_SEED=\d+ npx playwright test -c 'examples\/determinism\.config\.ts' --project=simulated 'examples\/leaky-node\.spec\.ts:\d+'/);
  });

  test('a run that gives no test its second run fails, rather than pass having compared nothing', { tag: '@simulated' }, async () => {
    test.setTimeout(120_000);
    // The command line's one repeat overrides the config's two: every test runs once, and passes.
    const out = runExample('once', ['--repeat-each', '1']);
    expect(out).toContain('2 passed');
    expect(out).toContain('the determinism check compared nothing for 2 tests: it compares two runs of each test, one after the other');
    expect(out).toContain('use --repeat-each 2 --workers 1');
  });
});
