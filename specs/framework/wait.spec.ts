/**
 * How `waitFor` spends virtual time in simulation: a probe that reads only nodes is run again only
 * once one of their machines has done something, and any other probe is polled every `pollMs`.
 */
import { expect, test } from 'distzero/test';
import { RecordedUser, buildSumSystem, inc, manyUsers, totalOf } from '../../systems/sum/scenario.ts';

const simulated = { tag: '@simulated' };

test.describe('waiting in simulation', () => {
  test('a probe that reads the clock is polled every pollMs, never skipped to the deadline', simulated, async ({ system }) => {
    // Users who keep sending for about a second: the system is busy the whole time.
    await buildSumSystem(system, manyUsers(2, 40, 25));
    const start = system.now();
    const seen = await system.waitFor(() => system.now(), { until: (t) => t >= start + 300, timeoutMs: 10_000, pollMs: 50, what: '300 virtual ms have passed' });
    expect(seen).toBeGreaterThanOrEqual(start + 300);
    expect(seen).toBeLessThan(start + 300 + 50);
  });

  test('a probe that reads only nodes is not run again while nothing happens on their machines', simulated, async ({ system }) => {
    // Three users keep the system busy for five seconds; a fourth adds four times and is done.
    const short = new RecordedUser('user-short', [10, 20, 30, 40].map((atMs) => [atMs, inc(1)] as const));
    const sum = await buildSumSystem(system, [...manyUsers(3, 200, 25), short], { outputLeaves: 1 });
    // Reading the short user's input leaf alone (its machine runs nothing else), the wait runs its
    // probe only when that machine has done something, not every 10 virtual ms for five seconds.
    const leaf = sum.inputLeaves[3]!;
    let probes = 0;
    await expect(
      system.waitFor(
        async () => {
          probes++;
          return totalOf(system, leaf);
        },
        { until: (t) => t > short.total, timeoutMs: 4_000, pollMs: 10, what: 'a total the leaf never reaches' },
      ),
    ).rejects.toThrow(/timed out after 4000 virtual ms/);
    // Polled every 10 ms it would have run about 400 times.
    expect(probes).toBeLessThan(40);
  });
});
