import { execFileSync } from 'node:child_process';
import { expect, test } from 'distzero/test';
import type { SystemController } from 'distzero/test';
import { buildSumSystem, manyUsers, totals, waitForTotals } from '../../systems/sum/scenario.ts';

/** Run the ten-user sum system to completion; return its trace digest and what it saw. */
async function run(system: SystemController) {
  const sum = await buildSumSystem(system, manyUsers(10));
  await waitForTotals(system, sum.outputLeaves, sum.expectedTotal, 60_000);
  await system.pass(5_000); // let the last acknowledgements settle so the whole run is compared
  return {
    digest: system.digest(),
    ids: [...sum.inputLeaves, ...sum.outputLeaves].map((h) => h.id),
    totals: await totals(system, sum.outputLeaves),
    expected: sum.expectedTotal,
  };
}

test.describe('determinism', () => {
  test('the same seed gives the same run, message for message, ids included', { tag: '@simulated' }, async ({ newSystem }) => {
    const first = await run(await newSystem());
    const second = await run(await newSystem());
    expect(first.digest).toMatch(/^[0-9a-f]{16}$/);
    expect(second.digest).toBe(first.digest);
    expect(second.ids).toEqual(first.ids);
  });

  test('a different seed gives different delays and the same sums', { tag: '@simulated' }, async ({ newSystem, testSeed }) => {
    const a = await run(await newSystem());
    const b = await run(await newSystem({ seed: testSeed + 1 }));
    expect(b.digest).not.toBe(a.digest);
    expect(a.totals).toEqual(a.totals.map(() => a.expected));
    expect(b.totals).toEqual(a.totals);
  });

  test('a separate process with the same seed produces the identical trace digest', { tag: '@simulated' }, async ({ newSystem, testSeed: seed }) => {
    const here = await run(await newSystem());
    const out = execFileSync(process.execPath, ['--import', 'tsx', 'scripts/sim-digest.ts', String(seed)], { encoding: 'utf8' });
    expect(JSON.parse(out.trim().split('\n').at(-1)!)).toEqual({ seed, digest: here.digest });
  });
});
