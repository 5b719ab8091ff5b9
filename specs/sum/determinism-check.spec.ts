import { spawnSync } from 'node:child_process';
import { expect, test } from 'distzero/test';

test.describe('determinism self-check', () => {
  test('with the check on, a planted Math.random in a node is caught at the first diverging event', { tag: '@simulated' }, async () => {
    test.setTimeout(120_000);
    const run = spawnSync(process.execPath, ['node_modules/@playwright/test/cli.js', 'test', '-c', 'examples/determinism.config.ts'], { encoding: 'utf8' });
    const out = run.stdout + run.stderr;
    expect(run.status, out).toBe(1);
    // Each test ran twice: the clean one passed both times, the leaky one failed its comparison.
    expect(out).toContain('1 failed');
    expect(out).toContain('3 passed');
    expect(out).toMatch(/a node that consults Math\.random is caught/);
    expect(out).toMatch(/determinism check failed \(seed \d+\): the two runs diverge at event \d+/);
    expect(out).toMatch(/first run: .*\n\s+this run: /);
  });
});
